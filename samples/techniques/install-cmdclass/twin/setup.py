# Near-miss twin: a build_py override that writes the version file into the build directory.
import os

from setuptools import setup
from setuptools.command.build_py import build_py


class WriteVersion(build_py):
    def run(self):
        build_py.run(self)
        target = os.path.join(self.build_lib, "postinstall_demo", "_version.py")
        with open(target, "w", encoding="utf-8") as handle:
            handle.write('__version__ = "1.0"\n')


setup(name="postinstall-demo", version="1.0", cmdclass={"build_py": WriteVersion})
