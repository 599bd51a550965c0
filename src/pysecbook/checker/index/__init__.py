"""Check before you install: a requirement or a lock file, fetched from a package index.

``pysecbook check NAME`` and ``pysecbook check -r LOCK`` ask the one index pip would use
(:mod:`~pysecbook.checker.index.config`) through the Simple API
(:mod:`~pysecbook.checker.index.simple`), pick the release and its files as pip would
(:mod:`~pysecbook.checker.index.release`, :mod:`~pysecbook.checker.index.lookup`), fetch each
file verified against its SHA-256 before anything reads it
(:mod:`~pysecbook.checker.index.fetch`), read PEP 740 provenance
(:mod:`~pysecbook.checker.index.provenance`), then check the local archives exactly as local
archives are checked, with the index's facts (:mod:`~pysecbook.checker.index.facts`) as
evidence. Lock files: :mod:`~pysecbook.checker.index.lockfile`; the run:
:mod:`~pysecbook.checker.index.dependencies`; verdicts: :mod:`~pysecbook.checker.index.outcome`.
Nothing fetched is built, installed, imported or run. Book page:
``book/checklist/before-install``.
"""

from __future__ import annotations

from pysecbook.checker.index.config import IndexConfig, IndexOption, isolated, pip_index_config
from pysecbook.checker.index.dependencies import Options, check_lock, check_requirement
from pysecbook.checker.index.lockfile import Lock, LockEntry, LockError, is_pylock, read_locks
from pysecbook.checker.index.outcome import DependencyCheck, FileCheck, LockReport, aggregate
from pysecbook.checker.index.simple import Settings

__all__ = ["DependencyCheck", "FileCheck", "IndexConfig", "IndexOption", "Lock", "LockEntry",
           "LockError", "LockReport", "Options", "Settings", "aggregate", "check_lock",
           "check_requirement", "is_pylock", "isolated", "pip_index_config", "read_locks"]
