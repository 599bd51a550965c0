"""Read a target into memory without importing, building, installing or executing any of it.

A target is a project directory, an sdist (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``,
``.zip``), a wheel (``.whl``) or an installed distribution. Archives are read member by member
from a stream and never extracted: nothing is written anywhere. Every member or file that is
refused is reported as an :class:`~pysecbook.checker.scan.model.Unscanned` entry (which makes the scan
incomplete, so the checker fails closed) and, when the member itself is hostile (a path that
climbs out of the tree, a link, a device, a bomb), also as a high-severity
:class:`~pysecbook.checker.scan.model.Finding` with a ``PSB-ARCHIVE-...`` or ``PSB-DIR-...`` rule id.

A corrupted archive (truncated, bad CRC, not an archive at all) is read up to the damage: the
members read before it are kept and the archive itself is reported as unscanned with the
reason. Only a target that does not exist, is not a supported kind, or cannot be opened at
all raises :class:`~pysecbook.checker.scan.model.TargetError`.

Book page: ``book/checklist``.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import io
import lzma
import os
import posixpath
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO

from pysecbook.checker.scan.model import Finding, SourceFile, Target, TargetError, Unscanned

#: Largest single file read, in bytes (bigger files are reported as unscanned).
MAX_FILE_SIZE = 16 * 2**20
#: Largest total of file contents read from one target, in bytes.
MAX_TOTAL_SIZE = 1024 * 2**20
#: Most members or files read from one target.
MAX_MEMBERS = 200_000
#: Largest ratio of uncompressed to compressed size, for a zip member or a whole compressed tar.
MAX_RATIO = 200.0
#: The ratio limit applies only once this many bytes have been decompressed (tiny members of
#: repetitive text compress very well and are harmless).
RATIO_MIN_BYTES = 2 * 2**20

#: Suffixes of the archive kinds we read, and of archives found inside a target (not scanned).
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
WHEEL_SUFFIX = ".whl"
NESTED_ARCHIVE_SUFFIXES = (
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip", ".whl",
    ".egg", ".jar", ".gz", ".bz2", ".xz", ".7z", ".rar",
)
#: Directories never read from a project tree: version-control data and byte-code caches.
ALWAYS_EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__"})

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """The size limits one reading applies (module constants unless overridden)."""

    max_file_size: int = MAX_FILE_SIZE
    max_total_size: int = MAX_TOTAL_SIZE
    max_members: int = MAX_MEMBERS
    max_ratio: float = MAX_RATIO
    ratio_min_bytes: int = RATIO_MIN_BYTES


class _Bomb(Exception):
    """Raised while streaming when a size or ratio limit is crossed."""


class _TooMany(Exception):
    """Raised when a target has more members or files than the limit: reading stops."""


def _finding(rule_id: str, path: str, message: str, *, cwe: int, severity: str = "high") -> Finding:
    return Finding(rule_id=rule_id, source="redflag", path=path, line=None, severity=severity,
                   confidence="high", cwe=cwe, message=message)


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    """True if ``path`` or one of its parent directories matches one of the glob patterns."""
    if not patterns:
        return False
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(c, p.rstrip("/")) for c in candidates for p in patterns)


def _is_nested_archive(path: str) -> bool:
    return path.lower().endswith(NESTED_ARCHIVE_SUFFIXES)


def _unsafe_name(name: str) -> str | None:
    """Why an archive member name is unsafe to use as a path, or None if it is fine."""
    if "\x00" in name:
        return "member name contains a NUL byte"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "absolute member path"
    if ".." in PurePosixPath(normal).parts:
        return "member path climbs out of the archive with '..'"
    return None


class _Reader:
    """Collects files, refusals and findings while reading one target."""

    def __init__(self, target: Target, limits: Limits, exclude: Sequence[str]) -> None:
        self.target = target
        self.limits = limits
        self.exclude = tuple(exclude)
        self.total = 0
        self.count = 0
        self.seen: set[str] = set()

    def refuse(self, path: str, reason: str, finding: Finding | None = None) -> None:
        self.target.unscanned.append(Unscanned(path, reason))
        if finding is not None:
            self.target.findings.append(finding)

    def skip(self, path: str) -> bool:
        """True if the user excluded this path (nothing is recorded)."""
        return _excluded(path, self.exclude) or any(
            part in ALWAYS_EXCLUDED_DIRS for part in path.split("/")[:-1])

    def tick(self) -> None:
        """Count one member or directory entry; stop reading past the limit."""
        self.count += 1
        if self.count > self.limits.max_members:
            raise _TooMany(f"more than {self.limits.max_members} members or files")

    def admit(self, path: str, size: int | None) -> bool:
        """Check the declared size before reading; refuse (and record) if over."""
        if path in self.seen:
            self.refuse(path, "duplicate member name: a later copy would overwrite an earlier one",
                        _finding("PSB-ARCHIVE-DUPLICATE", path, "Duplicate member name in the "
                                 "archive; tools disagree on which copy wins.", cwe=706,
                                 severity="medium"))
            return False
        if _is_nested_archive(path):
            self.refuse(path, "nested archive: not opened, its contents are not scanned")
            return False
        if size is not None and size > self.limits.max_file_size:
            self.refuse(path, f"file too large ({size} bytes, limit {self.limits.max_file_size})")
            return False
        if size is not None and self.total + size > self.limits.max_total_size:
            self.refuse(path, f"total size limit ({self.limits.max_total_size} bytes) reached")
            return False
        return True

    def read_stream(self, path: str, stream: IO[bytes]) -> bytes | None:
        """Read at most the file size limit from ``stream``; None (and refused) if longer."""
        limit = min(self.limits.max_file_size, self.limits.max_total_size - self.total)
        buf = io.BytesIO()
        while True:
            chunk = stream.read(min(_CHUNK, limit + 1 - buf.tell()))
            if not chunk:
                break
            buf.write(chunk)
            if buf.tell() > limit:
                self.refuse(path, f"file larger than the size limit ({limit} bytes)")
                return None
        return buf.getvalue()

    def add(self, path: str, data: bytes, mtime: float | None) -> None:
        self.seen.add(path)
        self.total += len(data)
        self.target.files.append(SourceFile(path=path, data=data, mtime=mtime))


# --------------------------------------------------------------------------- directories


def _read_regular(path: str, max_size: int) -> tuple[bytes, float] | str:
    """The bytes and mtime of the regular file at ``path``, or why it cannot be read.

    Opened without following a symlink and without blocking (a FIFO swapped in after the
    directory listing is refused, not waited on).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > max_size:
            return f"file too large ({info.st_size} bytes, limit {max_size})"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_size + 1)
        if len(data) > max_size:
            return f"file too large (more than {max_size} bytes)"
        return data, info.st_mtime
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)


def _read_directory(reader: _Reader, root: Path) -> None:
    base = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False, onerror=None):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        keep = []
        for d in sorted(dirnames):
            rel = rel_dir + d
            full = os.path.join(dirpath, d)
            if d in ALWAYS_EXCLUDED_DIRS or _excluded(rel, reader.exclude):
                continue
            if os.path.islink(full):
                _symlink(reader, rel, full, base)
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            reader.tick()
            rel = rel_dir + name
            full = os.path.join(dirpath, name)
            if _excluded(rel, reader.exclude):
                continue
            try:
                info = os.lstat(full)
            except OSError as exc:
                reader.refuse(rel, f"cannot read: {exc.strerror or exc}")
                continue
            if stat.S_ISLNK(info.st_mode):
                _symlink(reader, rel, full, base)
                continue
            if not stat.S_ISREG(info.st_mode):
                reader.refuse(rel, "not a regular file (device, FIFO or socket): not opened",
                              _finding("PSB-DIR-SPECIAL-FILE", rel, "A device, FIFO or socket "
                                       "in the project tree.", cwe=67, severity="medium"))
                continue
            if not reader.admit(rel, info.st_size):
                continue
            got = _read_regular(full, reader.limits.max_file_size)
            if isinstance(got, str):
                reader.refuse(rel, got)
            else:
                reader.add(rel, got[0], got[1])


def _symlink(reader: _Reader, rel: str, full: str, base: str) -> None:
    """Symlinks are never followed. One that stays inside the tree loses nothing (its target
    is read under its own path); one that escapes, loops or dangles is reported."""
    try:
        resolved = os.path.realpath(full, strict=True)
    except OSError as exc:
        if "loop" in str(exc).lower() or getattr(exc, "errno", None) == 40:
            reader.refuse(rel, "symlink loop: not followed",
                          _finding("PSB-DIR-SYMLINK-LOOP", rel, "A symlink loop in the tree.",
                                   cwe=61, severity="medium"))
        else:
            reader.refuse(rel, "broken symlink: its target does not exist")
        return
    if os.path.commonpath([resolved, base]) != base:
        reader.refuse(rel, "symlink pointing outside the target: not followed",
                      _finding("PSB-DIR-SYMLINK-OUTSIDE", rel, "A symlink that points outside "
                               "the project tree; following it would read foreign files.",
                               cwe=61))


# --------------------------------------------------------------------------- archives


class _Counting(io.RawIOBase):
    """A read-only stream that counts bytes and stops a decompression bomb while streaming.

    ``raw`` counts the compressed bytes read from the archive file; the decompressed stream
    wrapped by this class counts what comes out and compares.
    """

    def __init__(self, inner: IO[bytes], limits: Limits, compressed: _Counting | None = None,
                 name: str = "") -> None:
        super().__init__()
        self.inner = inner
        self.limits = limits
        self.compressed = compressed
        self.count = 0
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        if self.compressed is not None:
            # Decompressed side: the whole tar stream, members we skip included.
            if self.count > self.limits.max_total_size + self.limits.max_file_size:
                raise _Bomb(f"more than {self.limits.max_total_size} bytes once decompressed")
            packed = max(self.compressed.count, 1)
            if self.count >= self.limits.ratio_min_bytes and self.count / packed > self.limits.max_ratio:
                raise _Bomb(f"compression ratio above {self.limits.max_ratio:g}:1")
        return n


def _decompressor(raw: _Counting, spec: str) -> IO[bytes]:
    lower = spec.lower()
    if lower.endswith((".tar.gz", ".tgz")):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if lower.endswith(".tar.bz2"):
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]


def _strip_top(names: list[str]) -> str:
    """The single top-level directory of an sdist's members (with its slash), or ''."""
    tops = {n.replace("\\", "/").lstrip("./").split("/", 1)[0] for n in names if n.strip("./")}
    if len(tops) == 1 and any("/" in n.replace("\\", "/").lstrip("./") for n in names):
        return tops.pop() + "/"
    return ""


def _relative(name: str, prefix: str) -> str:
    if _unsafe_name(name):
        return name.replace("\\", "/")  # reported under the name the archive gives it
    path = posixpath.normpath(name.replace("\\", "/"))
    path = path[2:] if path.startswith("./") else path
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def _iter_tar(fileobj: IO[bytes]) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    # Stream mode ("r|"): members one after another, no seeking, nothing extracted.
    with tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for member in tar:
            yield tar, member


def _read_tar(reader: _Reader, spec: Path) -> None:
    """Read a compressed tar in one streaming pass.

    The single top-level directory of an sdist is only known once every name is seen, so
    paths are stored as in the archive and the prefix is stripped at the end.
    """
    rel_name = spec.name
    try:
        fh = open(spec, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise TargetError(f"{spec}: cannot open: {exc.strerror or exc}") from exc
    raw = _Counting(fh, reader.limits, name=str(spec))
    out = _Counting(_decompressor(raw, str(spec)), reader.limits, compressed=raw)
    names: list[str] = []
    try:
        for tar, member in _iter_tar(io.BufferedReader(out, _CHUNK)):
            reader.tick()
            name = member.name
            names.append(name)
            path = name.replace("\\", "/")
            why = _unsafe_name(name)
            if why:
                reader.refuse(path, why, _finding("PSB-ARCHIVE-TRAVERSAL", path,
                              f"Archive member with an unsafe path ({why}): extracting it "
                              "naively writes outside the destination.", cwe=22))
                continue
            path = posixpath.normpath(path).removeprefix("./")
            if member.isdir():
                continue
            if member.issym() or member.islnk():
                kind = "symlink" if member.issym() else "hard link"
                reader.refuse(path, f"{kind} member (to {member.linkname!r}): not followed",
                              _finding("PSB-ARCHIVE-LINK", path, f"Archive member is a {kind} "
                                       f"to {member.linkname!r}; extraction could overwrite or "
                                       "expose files outside the destination.", cwe=59))
                continue
            if member.ischr() or member.isblk() or member.isfifo():
                reader.refuse(path, "device or FIFO member: not read",
                              _finding("PSB-ARCHIVE-DEVICE", path, "Archive member is a device "
                                       "file or a FIFO; no source distribution needs one.",
                                       cwe=67))
                continue
            if not member.isreg():
                reader.refuse(path, f"unsupported member type {member.type!r}: not read")
                continue
            if any(part in ALWAYS_EXCLUDED_DIRS for part in path.split("/")[:-1]):
                continue
            if not reader.admit(path, member.size):
                continue
            stream = tar.extractfile(member)
            if stream is None:  # pragma: no cover - isreg() members always have data
                reader.refuse(path, "member has no data")
                continue
            data = reader.read_stream(path, stream)
            if data is not None:
                reader.add(path, data, float(member.mtime))
    except _TooMany as exc:
        reader.refuse(rel_name, f"reading stopped: {exc}; the rest of the archive was not read")
    except _Bomb as exc:
        reader.refuse(rel_name, f"reading stopped: {exc} (possible decompression bomb); "
                      "members after this point were not read",
                      _finding("PSB-ARCHIVE-BOMB", rel_name, f"Decompression bomb: {exc}.",
                               cwe=409))
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        if not names and not reader.target.files:
            raise TargetError(f"{spec}: not a readable archive ({exc})") from exc
        reader.refuse(rel_name, f"corrupted archive, reading stopped: {exc}")
    finally:
        fh.close()
    _strip_sdist_prefix(reader, names)


def _strip_sdist_prefix(reader: _Reader, names: list[str]) -> None:
    prefix = _strip_top([n for n in names if not _unsafe_name(n)])
    target = reader.target
    files = []
    for f in target.files:
        rel = _relative(f.path, prefix)
        if not reader.skip(rel):
            files.append(SourceFile(rel, f.data, f.mtime))
    target.files = files
    target.unscanned = [Unscanned(_relative(u.path, prefix), u.reason) for u in target.unscanned]
    target.findings = [
        Finding(f.rule_id, f.source, _relative(f.path, prefix), f.line, f.severity,
                f.confidence, f.cwe, f.message) for f in target.findings
    ]


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    import datetime as dt

    try:
        return dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        return None


def _read_zip(reader: _Reader, spec: Path, strip: bool) -> None:
    try:
        zf = zipfile.ZipFile(spec)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise TargetError(f"{spec}: not a readable zip archive ({exc})") from exc
    with zf:
        infos = zf.infolist()
        prefix = _strip_top([i.filename for i in infos if not _unsafe_name(i.filename)]) if strip else ""
        decompressed = 0
        for info in infos:
            reader.tick()
            name = info.filename
            why = _unsafe_name(name)
            if why:
                path = name.replace("\\", "/")
                reader.refuse(path, why, _finding("PSB-ARCHIVE-TRAVERSAL", path,
                              f"Archive member with an unsafe path ({why}): extracting it "
                              "naively writes outside the destination.", cwe=22))
                continue
            path = _relative(name, prefix)
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                reader.refuse(path, "symlink member: not followed",
                              _finding("PSB-ARCHIVE-LINK", path, "Zip member is a symlink; "
                                       "extraction with tools that honour it could write or "
                                       "read outside the destination.", cwe=59))
                continue
            if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)):
                reader.refuse(path, "device or FIFO member: not read",
                              _finding("PSB-ARCHIVE-DEVICE", path, "Zip member is marked as a "
                                       "device file or a FIFO.", cwe=67))
                continue
            if reader.skip(path):
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= reader.limits.ratio_min_bytes and ratio > reader.limits.max_ratio:
                reader.refuse(path, f"compression ratio {ratio:.0f}:1 above the limit: not read",
                              _finding("PSB-ARCHIVE-BOMB", path, f"Zip bomb: member expands "
                                       f"{ratio:.0f} times.", cwe=409))
                continue
            if not reader.admit(path, info.file_size):
                continue
            if decompressed + info.file_size > reader.limits.max_total_size:
                reader.refuse(path, "total uncompressed size limit reached (overlapping or "
                              "repeated members?)", _finding("PSB-ARCHIVE-BOMB", path,
                              "Zip members expand beyond the total size limit.", cwe=409))
                break
            try:
                with zf.open(info) as stream:
                    data = reader.read_stream(path, stream)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
                    RuntimeError, zlib.error, lzma.LZMAError) as exc:
                reader.refuse(path, f"corrupted member: {exc}")
                continue
            if data is not None:
                decompressed += len(data)
                reader.add(path, data, _zip_time(info))


# --------------------------------------------------------------------------- installed


DIST_INFO_NAMES = ("METADATA", "RECORD", "WHEEL", "INSTALLER", "REQUESTED", "direct_url.json",
                   "entry_points.txt", "top_level.txt", "licenses", "LICENSE")


def _read_installed(reader: _Reader, name: str) -> None:
    try:
        dist = metadata.distribution(name)
    except (metadata.PackageNotFoundError, ValueError) as exc:
        raise TargetError(f"no distribution named {name!r} is installed in this environment") from exc
    target = reader.target
    files = dist.files
    if files is None:
        reader.refuse("RECORD", "the distribution has no RECORD: its files cannot be listed")
        files = []
    for entry in files:
        reader.tick()
        rel = str(entry).replace("\\", "/")
        parts = PurePosixPath(rel).parts
        if parts and parts[0].endswith((".dist-info", ".egg-info")):
            got = _read_regular(str(dist.locate_file(entry)), reader.limits.max_file_size)
            if not isinstance(got, str):
                target.dist_info["/".join(parts[1:])] = got[0]
            continue
        if reader.skip(rel) or rel.endswith((".pyc", ".pyo")):
            continue
        full = str(dist.locate_file(entry))
        if os.path.islink(full):
            reader.refuse(rel, "installed file is a symlink: not followed")
            continue
        if not os.path.lexists(full):
            reader.refuse(rel, "listed in RECORD but missing on disk")
            continue
        if not reader.admit(rel, None):
            continue
        got = _read_regular(full, reader.limits.max_file_size)
        if isinstance(got, str):
            reader.refuse(rel, got)
        else:
            reader.add(rel, got[0], got[1])
    for extra in DIST_INFO_NAMES:
        if extra not in target.dist_info:
            text = dist.read_text(extra)
            if text is not None:
                target.dist_info[extra] = text.encode("utf-8")


# --------------------------------------------------------------------------- entry point


def open_target(spec: str, *, installed: bool = False, exclude: Sequence[str] = (),
                max_file_size: int = MAX_FILE_SIZE, max_total_size: int = MAX_TOTAL_SIZE,
                max_members: int = MAX_MEMBERS, max_ratio: float = MAX_RATIO,
                ratio_min_bytes: int = RATIO_MIN_BYTES) -> Target:
    """Read the target named by ``spec`` into memory, never running any of it.

    ``spec`` is a directory, an sdist, a wheel, or with ``installed=True`` the name of a
    distribution installed in the current environment. ``exclude`` holds glob patterns of
    relative paths to leave out. The keyword limits default to the module constants.
    Raises :class:`TargetError` (one line) when the target does not exist, is not a supported
    kind, or cannot be opened at all; every other problem is an ``Unscanned`` entry.
    """
    limits = Limits(max_file_size, max_total_size, max_members, max_ratio, ratio_min_bytes)
    kind, read = _kind(spec, installed)
    target = Target(kind=kind, path=spec,
                    root=str(Path(spec).resolve()) if kind == "directory" else None)
    reader = _Reader(target, limits, exclude)
    try:
        read(reader)
    except _TooMany as exc:
        reader.refuse(Path(spec).name if not installed else spec,
                      f"reading stopped: {exc}; the rest of the target was not read")
    if kind == "wheel":
        for f in target.files:  # the wheel's metadata, as for an installed distribution
            top, _, rest = f.path.partition("/")
            if top.endswith(".dist-info") and rest:
                target.dist_info[rest] = f.data
    return target


def _kind(spec: str, installed: bool) -> tuple[str, Callable[[_Reader], None]]:
    """The kind of target ``spec`` names and the function that reads it; or TargetError."""
    if installed:
        return "installed", lambda r: _read_installed(r, spec)
    path = Path(spec)
    if not path.exists():
        raise TargetError(f"{spec}: no such file or directory")
    lower = path.name.lower()
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise TargetError(f"{spec}: directory cannot be read")
        return "directory", lambda r: _read_directory(r, path)
    if not path.is_file():
        raise TargetError(f"{spec}: not a directory, an sdist or a wheel")
    if lower.endswith(WHEEL_SUFFIX):
        return "wheel", lambda r: _read_zip(r, path, strip=False)
    if lower.endswith(".zip"):
        return "sdist", lambda r: _read_zip(r, path, strip=True)
    if lower.endswith(SDIST_SUFFIXES):
        return "sdist", lambda r: _read_tar(r, path)
    raise TargetError(f"{spec}: unsupported target (expected a directory, "
                      f"{', '.join(SDIST_SUFFIXES)} or {WHEEL_SUFFIX})")
