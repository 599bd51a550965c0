"""pysecbook: the companion library of the Python security book.

Every risk the book presents is defined once in :mod:`pysecbook.risks`, with the insecure
code, the secure code and the attack run against both. The pre-run checklist that
``pysecbook check`` executes lives in :mod:`pysecbook.checklist`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pysecbook")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
