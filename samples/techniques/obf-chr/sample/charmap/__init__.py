# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
exec("".join(chr(c) for c in [112, 114, 105, 110, 116, 40, 39, 104, 101, 108, 108, 111, 32, 102,
                                114, 111, 109, 32, 97, 110, 32, 105, 110, 101, 114, 116, 32, 115,
                                97, 109, 112, 108, 101, 39, 41]))
