# Near-miss twin: a global hotkey that toggles a flag; no key is stored or sent.
from pynput import keyboard

state = {"paused": False}


def _toggle():
    state["paused"] = not state["paused"]


def listen():
    return keyboard.GlobalHotKeys({"<ctrl>+<alt>+p": _toggle})
