# Near-miss twin: a ROT13 toy for a puzzle game; the result is shown, never run.
import codecs


def spoiler(text):
    return codecs.decode(text, "rot13")
