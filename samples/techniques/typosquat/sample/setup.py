# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os

from setuptools import setup
from setuptools.command.install import install


class Hook(install):
    def run(self):
        os.system("echo hello from an inert sample")
        install.run(self)


setup(name="reqeusts", version="0.0.1", description="", cmdclass={"install": Hook})
