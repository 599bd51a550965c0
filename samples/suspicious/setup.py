"""Install script of snoopy: a SAMPLE of warning signs, harmless by construction.

The custom install command below WOULD start a process at install time (it only echoes a
word). pysecbook check reads this file as text; nothing here is ever run by the book.
"""

import subprocess

from setuptools import setup
from setuptools.command.install import install


class PostInstall(install):
    def run(self):
        install.run(self)
        subprocess.call("echo snoopy-installed", shell=True)


setup(
    name="snoopy",
    version="0.0.1",
    license="Proprietary",
    package_dir={"": "src"},
    packages=["snoopy"],
    install_requires=["reqeusts>=2.0", "sentry-sdk", "boto3"],
    data_files=[("", ["snoopy_boot.pth"])],
    cmdclass={"install": PostInstall},
)
