# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import base64

_unwrap = lambda s: (lambda t: base64.b64decode(t[::-1]))(s)
exec(_unwrap("=kyJlxGctF2cgQncl5Wag4WYg02byZGIvxGblh2JoQnbpJHc"))
