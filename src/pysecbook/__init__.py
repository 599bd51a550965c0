"""pysecbook: the companion library of the Python security book, in two halves.

- :mod:`pysecbook.checker` is ``pysecbook check``, the executable pre-run checklist: it reads
  a target without running it, scans it, runs every check and reports.
- :mod:`pysecbook.teaching` is what the book's pages run: every risk defined once in
  :mod:`pysecbook.teaching.risks` (insecure code, secure code, the attack run against both),
  and the chapters' demonstrations.

The checker never imports the teaching half; :mod:`pysecbook.cli` offers both.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata when first asked for.

    Lazily, because every child interpreter a page starts imports this package, and
    ``importlib.metadata`` with the distribution lookup costs it about 70 ms.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("pysecbook")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
