# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import urllib.request

_CONFIG = "https://pastebin.invalid/raw/inert-sample"

try:
    _settings = urllib.request.urlopen(_CONFIG, timeout=5).read()
except OSError:
    _settings = b""
