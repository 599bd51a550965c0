# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import base64

exec(base64.b64decode("cHJpbnQoJ2hlbGxvIGZyb20gYW4gaW5lcnQgc2FtcGxlJyk="))
