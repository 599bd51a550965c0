"""The reading of one target: what was read, what was refused and why, within its limits.

Every reader (directory, archives, installed distribution) records through one
:class:`Reader`: files go into the :class:`~pysecbook.checker.scan.model.Target`, every
refusal becomes an :class:`~pysecbook.checker.scan.model.Unscanned` entry (the scan is then
incomplete, so the checker fails closed) and, when the thing refused is hostile in itself, a
finding. The reader also enforces the limits (sizes, member count, nesting depth) and the
run's deadline, and opens archives found inside the target, whatever their names.
"""

from __future__ import annotations

import fnmatch
import io
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from pysecbook.checker.scan.model import Finding, SourceFile, Target, Unscanned

#: Largest single file read, in bytes (bigger files are reported as unscanned).
MAX_FILE_SIZE = 16 * 2**20
#: Largest total of file contents read from one target, in bytes.
MAX_TOTAL_SIZE = 1024 * 2**20
#: Most members or files read from one target.
MAX_MEMBERS = 200_000
#: Largest ratio of uncompressed to compressed size of a whole compressed tar stream.
MAX_RATIO = 200.0
#: Largest ratio of one zip member. Deflate itself cannot pass about 1030:1, and a shared
#: library padded with zeros legitimately reaches a few hundred; a member's declared size is
#: bounded by the file size limit anyway.
MAX_ZIP_RATIO = 1000.0
#: How much of a large file that is data, not code, is read: enough to tell what it is.
HEAD_BYTES = 1 * 2**20
#: Names of files that are code, or may hold it: never read only in part.
CODE_LIKE = re.compile(r"(\.(py|pyw|pyc|pyo|pth|pyi)|/[^./]+|^[^./]+)$", re.IGNORECASE)
#: The ratio limit applies only once this many bytes have been decompressed (tiny members of
#: repetitive text compress very well and are harmless).
RATIO_MIN_BYTES = 2 * 2**20
#: How deep archives inside archives are opened (an sdist holding a wheel holding a zip...).
MAX_DEPTH = 3
#: Directories never read from a project tree: version-control data.
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
#: Separates an archive's path from the path of a member inside it: ``vendor/lib.zip!/x.py``.
NESTED = "!/"

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits one reading applies (module constants unless overridden)."""

    max_file_size: int = MAX_FILE_SIZE
    max_total_size: int = MAX_TOTAL_SIZE
    max_members: int = MAX_MEMBERS
    max_ratio: float = MAX_RATIO
    ratio_min_bytes: int = RATIO_MIN_BYTES
    max_depth: int = MAX_DEPTH
    max_zip_ratio: float = MAX_ZIP_RATIO

    def too_big(self, size: int | None) -> bool:
        return size is not None and size > self.max_file_size


class Bomb(Exception):
    """Raised while streaming when a size or ratio limit is crossed."""


class Stop(Exception):
    """Reading stops: too many members, or the run's deadline passed."""


def finding(rule_id: str, path: str, message: str, *, lone: bool = False) -> Finding:
    """A finding about the target's layout (a hostile member, a link out of the tree), with
    the severity and CWE of its rule in :mod:`pysecbook.checker.scan.rules.layout` (its lone
    severity when ``lone``)."""
    from pysecbook.checker.scan.rules.registry import finding as rule_finding

    return rule_finding(rule_id, path, None, message, confidence="high", lone=lone)


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """True if ``path`` or one of its parent directories matches one of the glob patterns."""
    if not patterns:
        return False
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(c, p.rstrip("/")) for c in candidates for p in patterns)


def unsafe_name(name: str) -> str | None:
    """Why an archive member name is unsafe to use as a path, or None if it is fine."""
    if "\x00" in name:
        return "member name contains a NUL byte"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "absolute member path"
    if ".." in PurePosixPath(normal).parts:
        return "member path climbs out of the archive with '..'"
    return None


#: Magic numbers of the archive formats a target may hide inside a file of any name.
ARCHIVE_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PK\x07\x08", "zip"),
    (b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar"),
)
ARCHIVE_SUFFIXES = (".zip", ".whl", ".egg", ".jar", ".tar", ".tgz", ".tar.gz", ".gz", ".tbz2",
                    ".bz2", ".txz", ".xz", ".7z", ".rar")


def archive_kind(path: str, data: bytes) -> str | None:
    """The archive format of ``data`` by its magic number, or ``"unknown"`` when only its
    name says archive, or None."""
    for magic, kind in ARCHIVE_MAGIC:
        if data.startswith(magic):
            return kind
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    if path.lower().endswith(ARCHIVE_SUFFIXES):
        return "unknown"
    return None


#: Opens an archive found inside the target: (reader, path, data, kind, depth).
NestedOpener = Callable[["Reader", str, bytes, str, int], None]


class Reader:
    """Collects files, refusals and findings while reading one target; :meth:`finish` hands
    them over as a read-only :class:`~pysecbook.checker.scan.model.Target`.

    ``open_nested`` opens an archive found inside the target
    (:func:`pysecbook.checker.scan.targets.archives.read_nested`, given by
    :func:`~pysecbook.checker.scan.targets.open_target`): the archive readers use the reader,
    and the reader calls them only through this, so neither module imports the other.
    """

    def __init__(self, kind: str, path: str, limits: Limits, exclude: Sequence[str],
                 deadline: float | None = None, *, root: str | None = None,
                 open_nested: NestedOpener | None = None) -> None:
        self.kind, self.path, self.root = kind, path, root
        self.files: list[SourceFile] = []
        self.unscanned: list[Unscanned] = []
        self.findings: list[Finding] = []
        self.dist_info: dict[str, bytes] = {}
        self.limits = limits
        self.exclude = tuple(exclude)
        self.deadline = deadline
        self.open_nested = open_nested
        self.total = 0
        self.count = 0
        self.seen: set[str] = set()
        #: Link members that stay inside their archive, until the archive is read whole:
        #: (path as reported, the member).
        self.links: list[tuple[str, Any]] = []

    def finish(self) -> Target:
        """What was read, as read-only data."""
        return Target(kind=self.kind, path=self.path, files=self.files, unscanned=self.unscanned,
                      findings=self.findings, dist_info=self.dist_info, root=self.root)

    def refuse(self, path: str, reason: str, finding: Finding | None = None, *,
               blocks: bool = False) -> None:
        """Record ``path`` as not scanned; ``blocks`` when what was not read may be anything
        (the reading of the target itself stopped), see :class:`Unscanned`."""
        self.unscanned.append(Unscanned(path, reason, blocks))
        if finding is not None:
            self.findings.append(finding)

    def skip(self, path: str) -> bool:
        """True if the user excluded this path, or it lies in version-control data."""
        return excluded(path, self.exclude) or any(
            part in VCS_DIRS for part in path.split(NESTED, 1)[0].split("/")[:-1])

    def tick(self) -> None:
        """Count one member or directory entry; stop past the limit or the deadline."""
        self.count += 1
        if self.count > self.limits.max_members:
            raise Stop(f"more than {self.limits.max_members} members or files")
        if self.deadline is not None and self.count % 64 == 0 and time.monotonic() > self.deadline:
            raise Stop("the run's time limit passed")

    def admit(self, path: str, size: int | None) -> bool:
        """Check the declared size before reading; refuse (and record) if over."""
        if path in self.seen:
            self.refuse(path, "duplicate member name: a later copy would overwrite an earlier one",
                        finding("PSB-ARCHIVE-DUPLICATE", path, "Duplicate member name in the "
                                "archive; tools disagree on which copy wins."))
            return False
        if size is not None and size > self.limits.max_file_size:
            if self.head_only(path):
                return True
            self.refuse(path, f"file too large ({size} bytes, limit {self.limits.max_file_size})")
            return False
        if size is not None and self.total + size > self.limits.max_total_size:
            self.refuse(path, f"total size limit ({self.limits.max_total_size} bytes) reached")
            return False
        return True

    def head_only(self, path: str) -> bool:
        """Whether a file over the size limit may be kept by its first bytes: data, not code,
        or a file without a suffix, which :meth:`read_head` keeps only if it is a native
        executable (a script has no business being that large)."""
        if path.lower().endswith(ARCHIVE_SUFFIXES):
            return False
        return not CODE_LIKE.search(path) or "." not in path.rsplit("/", 1)[-1]

    def read_head(self, path: str, stream: IO[bytes], mtime: float | None,
                  size: int | None = None) -> None:
        """Keep the first :data:`HEAD_BYTES` of a large data file or native executable,
        marked as truncated. A native binary cannot be reviewed from its source whatever its
        size, and is reported as one by the red-flag rules."""
        from pysecbook.checker.scan.rules.files import native_kind

        head = stream.read(HEAD_BYTES)
        self.seen.add(path)
        self.total += len(head)
        if archive_kind(path, head) not in (None, "unknown"):
            self.refuse(path, f"an archive larger than the file size limit "
                        f"({self.limits.max_file_size} bytes): not opened", blocks=True)
            return
        if CODE_LIKE.search(path) and native_kind(path, head) is None:
            self.refuse(path, f"file too large ({size if size is not None else 'over'} bytes, "
                        f"limit {self.limits.max_file_size}), and not a native executable")
            return
        self.files.append(SourceFile(path=path, data=head, mtime=mtime, truncated=True))

    def read_stream(self, path: str, stream: IO[bytes]) -> bytes | None:
        """Read at most the file size limit from ``stream``; None (and refused) if longer."""
        limit = min(self.limits.max_file_size, self.limits.max_total_size - self.total)
        buf = io.BytesIO()
        while True:
            chunk = stream.read(min(CHUNK, limit + 1 - buf.tell()))
            if not chunk:
                break
            buf.write(chunk)
            if buf.tell() > limit:
                self.refuse(path, f"file larger than the size limit ({limit} bytes)")
                return None
        return buf.getvalue()

    def add(self, path: str, data: bytes, mtime: float | None, depth: int = 0) -> None:
        """Keep one file; an archive hidden in it, by name or by content, is opened too."""
        self.seen.add(path)
        self.total += len(data)
        self.files.append(SourceFile(path=path, data=data, mtime=mtime))
        kind = archive_kind(path, data)
        if kind is None:
            return
        # An archive left closed may hold anything, as a part never read (model.Unscanned).
        if kind in ("7z", "rar"):
            self.refuse(path, f"nested {kind} archive: a format pysecbook does not open, so its "
                        "contents are not scanned", blocks=True)
        elif depth >= self.limits.max_depth:
            self.refuse(path, f"archive nested more than {self.limits.max_depth} levels deep: "
                        "not opened", blocks=True)
        elif self.open_nested is None:
            self.refuse(path, "an archive inside the target, not opened: its contents are not "
                        "scanned", blocks=True)
        else:
            self.open_nested(self, path, data, kind, depth + 1)
