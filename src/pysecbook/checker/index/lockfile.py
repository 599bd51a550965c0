"""Lock files read as text: requirements files (``--hash``, ``-r`` includes) and PEP 751 ``pylock.toml``.

Nothing is resolved here and nothing is run: each line or ``[[packages]]`` entry becomes a
:class:`LockEntry` (the requirement, its hashes, where it was written), and each
index option (``--index-url``, ``--extra-index-url``, ``--find-links``, ``--trusted-host``)
becomes an :class:`~pysecbook.checker.index.config.IndexSetting`, because pip obeys those
options as if they were given on its command line. As pip does, the encoding of a
requirements file is read from its byte-order mark (UTF-8, UTF-16, UTF-32), UTF-8 otherwise.
A requirement whose environment marker excludes this interpreter is kept, marked skipped.
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import codecs
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement

from pysecbook.checker.index.config import IndexSetting

__all__ = ["Lock", "LockEntry", "LockError", "is_pylock", "read_lock", "read_locks"]

#: Most files one ``-r`` chain may include (a loop or a bomb of includes stops here).
MAX_INCLUDES = 100
MAX_LOCK_SIZE = 32 * 2**20
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_INDEX_OPTIONS = {"-i": "index-url", "--index-url": "index-url",
                  "--extra-index-url": "extra-index-url",  # nosec PSB802 - parsed to report it (M1)
                  "-f": "find-links",
                  "--find-links": "find-links", "--trusted-host": "trusted-host"}
_HASH = re.compile(r"--hash[= ]\s*(\w+):([0-9a-fA-F]+)")


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
    settings: list[IndexSetting] = field(default_factory=list)
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


def _decode(data: bytes, path: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LockError(f"{path}: not UTF-8 and no byte-order mark ({exc.reason})") from None


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_LOCK_SIZE:
            raise LockError(f"{path}: larger than {MAX_LOCK_SIZE} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise LockError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines, buf, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = number
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            lines.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        lines.append((start, buf.strip()))
    return lines


def _pinned(req: Requirement) -> bool:
    specs = list(req.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


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
    return LockEntry(str(req), origin, req.name, hashes, _pinned(req), skipped=skipped, index=index)


def _requirements(path: Path, lock: Lock, seen: set[Path], display: str) -> None:
    real = path.resolve()
    if real in seen:
        lock.notes.append(f"{display}: included twice (a -r loop?), read once")
        return
    if len(seen) >= MAX_INCLUDES:
        raise LockError(f"{display}: more than {MAX_INCLUDES} files included with -r")
    seen.add(real)
    lock.files.append(display)
    text = _decode(_read_bytes(path), display)
    for number, line in _logical_lines(text):
        origin = f"{display}:{number}"
        if line.startswith("-"):
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            option, _, inline = words[0].partition("=")
            value = inline or (words[1] if len(words) > 1 else "")
            if option in ("-r", "--requirement", "-c", "--constraint"):
                if not value:
                    raise LockError(f"{origin}: {option} needs a file name")
                if option in ("-c", "--constraint"):
                    lock.notes.append(f"{origin}: constraints file {value} not checked (it "
                                      "installs nothing by itself)")
                    continue
                if "://" in value:
                    raise LockError(f"{origin}: -r {value}: remote requirements files are not read")
                _requirements(path.parent / value, lock, seen, str(Path(display).parent / value))
            elif option in _INDEX_OPTIONS:
                lock.settings.append(IndexSetting(_INDEX_OPTIONS[option], value, origin))
            elif option == "--no-index":
                lock.settings.append(IndexSetting("no-index", "true", origin))
            elif option in ("-e", "--editable"):
                lock.entries.append(LockEntry(value or line, origin,
                                              error="an editable install, not from an index"))
            continue
        hashes = frozenset(d.lower() for algo, d in _HASH.findall(line) if algo.lower() == "sha256")
        requirement = re.split(r"\s--", line, maxsplit=1)[0].strip()
        lock.entries.append(_entry(requirement, origin, hashes))


def _pylock(path: Path, display: str) -> Lock:
    lock = Lock(files=[display])
    try:
        data = tomllib.loads(_decode(_read_bytes(path), display))
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
    lock = Lock()
    _requirements(p, lock, set(), str(path))
    return lock


def read_locks(paths: list[str]) -> Lock:
    """Every entry of several lock files, in order."""
    lock = Lock()
    for path in paths:
        lock.merge(read_lock(path))
    return lock
