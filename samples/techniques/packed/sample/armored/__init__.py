# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
# (a packer's loader: the blob below is not a real packed module, only its shape)
from .pytransform import pyarmor_runtime

pyarmor_runtime()
__pyarmor__(__name__, __file__, b"\x50\x59\x41\x52\x4d\x4f\x52\x00\x00\x03\x0b\x00")
