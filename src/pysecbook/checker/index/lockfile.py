"""Lock files read as text: requirements files (``--hash``, ``-r`` includes) and PEP 751 ``pylock.toml``.

Nothing is resolved here and nothing is run: each line or ``[[packages]]`` entry becomes a
:class:`LockEntry` (the requirement, its hashes, where it was written), and each
index option (``--index-url``, ``--extra-index-url``, ``--find-links``, ``--trusted-host``,
``--no-index``) becomes an :class:`~pysecbook.checker.declarations.IndexOption`, because pip
obeys those options as if they were given on its command line. A requirements file is read by
the checker's one requirements reader (:mod:`pysecbook.checker.declarations.requirements`), with
pip's rules for lines, options, includes and encodings; a line pip would refuse makes the
lock unreadable, as it makes pip refuse it. A requirement whose environment marker excludes
this interpreter is kept, marked skipped. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement

from pysecbook.checker.declarations import (
    DiskFiles,
    IndexOption,
    Unreadable,
    decode_like_pip,
    is_pinned,
    read_requirements,
)

__all__ = ["Lock", "LockEntry", "LockError", "is_pylock", "read_lock", "read_locks"]

MAX_LOCK_SIZE = 32 * 2**20


class LockError(Exception):
    """A lock file cannot be read at all (the CLI exits with 2)."""


@dataclass(frozen=True)
class LockEntry:
    """One requirement of a lock file."""

    requirement: str  # PEP 508 text, hashes removed ("demo==1.0")
    origin: str  # "requirements.txt:12"
    name: str | None = None
    hashes: frozenset[str] = frozenset()  # SHA-256 hex digests the lock accepts
    pinned: bool = False
    #: Why this line cannot be checked from an index (a URL, an editable path, bad syntax).
    error: str | None = None
    #: Why this line does not apply here (an environment marker), or None.
    skipped: str | None = None
    #: The index a pylock.toml entry says it came from.
    index: str | None = None

    @property
    def hashed(self) -> bool:
        return bool(self.hashes)


@dataclass
class Lock:
    """Every entry and every index option of one or more lock files."""

    entries: list[LockEntry] = field(default_factory=list)
    settings: list[IndexOption] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: Lock) -> None:
        self.entries += other.entries
        self.settings += other.settings
        self.files += other.files
        self.notes += other.notes


def is_pylock(path: str | Path) -> bool:
    """A PEP 751 lock file name: ``pylock.toml`` or ``pylock.NAME.toml``."""
    name = Path(path).name
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        return DiskFiles(MAX_LOCK_SIZE).read(DiskFiles.source(path, display))
    except Unreadable as exc:
        raise LockError(f"{display}: {exc}") from None


def _entry(text: str, origin: str, hashes: frozenset[str], index: str | None = None) -> LockEntry:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return LockEntry(text, origin, error=f"unreadable requirement ({str(exc).splitlines()[0]})")
    if req.url:
        return LockEntry(text, origin, req.name, hashes, error=f"comes from a URL ({req.url}), not an index")
    skipped = None
    if req.marker is not None and not req.marker.evaluate():
        skipped = f"marker {req.marker} excludes this interpreter"
    return LockEntry(str(req), origin, req.name, hashes, is_pinned(req), skipped=skipped, index=index)


def _requirements(path: Path, display: str) -> Lock:
    """A requirements file and the files it includes, each read once; a line pip refuses,
    an include that cannot be read and too many files
    (:data:`~pysecbook.checker.declarations.MAX_INCLUDES`) are errors."""
    reading = read_requirements(DiskFiles(MAX_LOCK_SIZE), DiskFiles.source(path, display))
    for problem in reading.problems:
        if problem.kind in ("loop", "repeated"):
            continue
        where = problem.path if problem.kind in ("unreadable", "missing") else \
            f"{problem.origin}:{problem.line}" if problem.line is not None else problem.path
        raise LockError(f"{where}: {problem.message}")
    for inc in reading.includes:
        if inc.why is not None and not inc.constraint:
            raise LockError(f"{inc.origin}:{inc.line}: -r {inc.ref}: {inc.why}")
    lock = Lock(files=list(reading.files), settings=list(reading.options))
    lock.notes += [f"{p.path}: {p.message}" for p in reading.problems if p.kind in ("loop", "repeated")]
    lock.notes += [f"{inc.origin}:{inc.line}: constraints file {inc.ref} not checked (it installs "
                   "nothing by itself)" for inc in reading.includes if inc.constraint]
    for req in reading.requirements:
        origin = f"{req.origin}:{req.line}"
        if req.editable:
            lock.entries.append(LockEntry(req.text, origin, error="an editable install, not from an index"))
            continue
        hashes = frozenset(h.partition(":")[2].lower() for h in req.hashes if h.startswith("sha256:"))
        lock.entries.append(_entry(req.text, origin, hashes))
    return lock


def _pylock(path: Path, display: str) -> Lock:
    lock = Lock(files=[display])
    try:
        text, why = decode_like_pip(_read_bytes(path, display), coding=False)
        if text is None:
            raise LockError(f"{display}: {why}")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{display}: not valid TOML ({exc})") from None
    version = str(data.get("lock-version", ""))
    if not version.startswith("1."):
        raise LockError(f"{display}: lock-version {version or 'missing'}: only PEP 751 version 1 is read")
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        raise LockError(f"{display}: [[packages]] must be an array of tables")
    for i, pkg in enumerate(packages, 1):
        origin = f"{display}:packages[{i}]"
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            lock.entries.append(LockEntry(str(pkg)[:80], origin, error="a package without a name"))
            continue
        name = pkg["name"]
        if any(k in pkg for k in ("vcs", "directory", "archive")):
            kind = next(k for k in ("vcs", "directory", "archive") if k in pkg)
            lock.entries.append(LockEntry(name, origin, name, error=f"comes from {kind}, not an index"))
            continue
        files = [pkg["sdist"]] if isinstance(pkg.get("sdist"), dict) else []
        files += [w for w in pkg.get("wheels", []) if isinstance(w, dict)] \
            if isinstance(pkg.get("wheels"), list) else []
        hashes = frozenset(str(f["hashes"]["sha256"]).lower() for f in files
                           if isinstance(f.get("hashes"), dict) and "sha256" in f["hashes"])
        text = f"{name}=={pkg['version']}" if isinstance(pkg.get("version"), str) else name
        marker = pkg.get("marker")
        if isinstance(marker, str):
            try:
                Marker(marker)
                text += f" ; {marker}"
            except InvalidMarker:
                lock.entries.append(LockEntry(name, origin, name, error=f"unreadable marker {marker!r}"))
                continue
        index = pkg.get("index") if isinstance(pkg.get("index"), str) else None
        lock.entries.append(_entry(text, origin, hashes, index=index))
    return lock


def read_lock(path: str | Path) -> Lock:
    """Every entry of one lock file (a requirements file and its includes, or a pylock.toml)."""
    p = Path(path)
    if not p.is_file():
        raise LockError(f"{path}: no such file")
    if is_pylock(p):
        return _pylock(p, str(path))
    return _requirements(p, str(path))


def read_locks(paths: list[str]) -> Lock:
    """Every entry of several lock files, in order."""
    lock = Lock()
    for path in paths:
        lock.merge(read_lock(path))
    return lock
