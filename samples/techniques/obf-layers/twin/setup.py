# Near-miss twin: the classic version read, exec of the package's own version file.
from setuptools import setup

about = {}
with open("layered/_version.py", encoding="utf-8") as handle:
    exec(handle.read(), about)

setup(name="layered", version=about["__version__"])
