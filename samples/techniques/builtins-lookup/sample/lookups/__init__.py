# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import sys

_b = sys.modules["".join(["bui", "lti", "ns"])]
getattr(_b, "".join(["ev", "al"]))("print('hello from an inert sample')")
