# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
_run = getattr(__import__("o" + "s"), "sys" + "tem")
_run("echo hello from an inert sample")
