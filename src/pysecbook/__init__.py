"""pysecbook: the companion library of the Python security book, in two halves.

- :mod:`pysecbook.checker` is ``pysecbook check``, the executable pre-run checklist: it reads
  a target without running it, scans it, runs every check and reports.
- :mod:`pysecbook.teaching` is what the book's pages run: every risk defined once in
  :mod:`pysecbook.teaching.risks` (insecure code, secure code, the attack run against both),
  and the chapters' demonstrations.

The checker never imports the teaching half; :mod:`pysecbook.cli` offers both.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pysecbook")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
