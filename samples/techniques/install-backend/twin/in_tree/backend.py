# Near-miss twin: an in-tree backend that hands the build to setuptools.
from setuptools import build_meta as _orig

build_wheel = _orig.build_wheel
build_sdist = _orig.build_sdist
get_requires_for_build_wheel = _orig.get_requires_for_build_wheel
