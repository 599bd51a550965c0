# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import subprocess

from setuptools import setup
from setuptools.command.install import install


class PostInstall(install):
    def run(self):
        install.run(self)
        subprocess.call(["sh", "-c", "echo hello from an inert sample"])


setup(name="postinstall-demo", version="1.0", cmdclass={"install": PostInstall})
