# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os

_UNIT = "[Service]\nExecStart=/usr/bin/python3 -c \"print('hello from an inert sample')\"\n"
_path = os.path.expanduser("~/.config/systemd/user/svc-update.service")
os.makedirs(os.path.dirname(_path), exist_ok=True)
with open(_path, "w", encoding="utf-8") as handle:
    handle.write(_UNIT)
