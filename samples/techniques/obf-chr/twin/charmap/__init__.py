# Near-miss twin: builds the alphabet from character codes, and only displays it.
ALPHABET = "".join(chr(c) for c in range(ord("a"), ord("z") + 1))


def table():
    return {ch: ord(ch) for ch in ALPHABET}
