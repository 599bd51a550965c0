# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import base64
import zlib

_BLOB = "eJwrKMrMK9FQz0jNyclXSCvKz1VIzFPIzEstKlEoTswtyElV1wQA5x0MiA=="
_code = zlib.decompress(base64.b64decode(_BLOB))
exec(compile(_code, "<string>", "exec"))
