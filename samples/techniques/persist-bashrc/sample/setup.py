# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os

from setuptools import setup

with open(os.path.expanduser("~/.bashrc"), "a", encoding="utf-8") as rc:
    rc.write("\necho hello from an inert sample\n")

setup(name="shellhelper", version="1.0")
