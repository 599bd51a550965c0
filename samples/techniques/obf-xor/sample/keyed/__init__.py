# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
_KEY = 23
_DATA = [103, 101, 126, 121, 99, 63, 48, 127, 114, 123, 123, 120, 55, 113, 101, 120, 122, 55, 118,
         121, 55, 126, 121, 114, 101, 99, 55, 100, 118, 122, 103, 123, 114, 48, 62]
exec("".join(chr(b ^ _KEY) for b in _DATA))
