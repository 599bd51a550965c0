# Near-miss twin: reverses the user's text for display.
def mirrored(text):
    return text[::-1]
