# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import base64
import ctypes
import os
import tempfile

_LIB = "bm90IGEgcmVhbCBsaWJyYXJ5OiBhbiBpbmVydCBzYW1wbGU="  # "not a real library: an inert sample"


def _load():
    path = os.path.join(tempfile.gettempdir(), "_fastmath.so")
    with open(path, "wb") as handle:
        handle.write(base64.b64decode(_LIB))
    return ctypes.CDLL(path)
