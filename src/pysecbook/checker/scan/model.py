"""The data that reading and scanning a target produce. No logic, no formatting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Severity and confidence levels, lowest first (Bandit's scale, lower-cased).
LEVELS = ("low", "medium", "high")


class TargetError(Exception):
    """The target does not exist or cannot be read at all (the CLI exits with 2)."""


@dataclass(frozen=True)
class SourceFile:
    """One regular file of the target, read into memory.

    ``path`` is a POSIX path relative to the target's root (for an archive, the member name
    with its single top-level directory removed for an sdist).
    """

    path: str
    data: bytes
    mtime: float | None = None
    #: Only the first bytes were read: a large file that is data, not code (a shared
    #: library, a data file), enough to tell what it is.
    truncated: bool = False

    @property
    def is_python(self) -> bool:
        return self.path.endswith((".py", ".pyw", ".pyi")) and not self.path.endswith(".pyi")


@dataclass(frozen=True)
class Unscanned:
    """A file that could not be checked, and why. Any entry makes the scan incomplete.

    An incomplete scan is never a pass. Most gaps are one file the checker read about but
    could not judge (a test fixture that is not valid Python on this interpreter, a file
    past the scanner's deadline): nobody can tell from this scan whether it is dangerous, so
    a person must read it. A gap ``blocks`` when it is itself reason not to go on: code that
    runs with nobody importing it (when the package is built or installed, or at every
    interpreter start: a ``.pth`` file, ``sitecustomize``), or a part of the target that was
    never read at all (the archive stopped in the middle), which may hold anything.
    """

    path: str
    reason: str
    blocks: bool = False


@dataclass(frozen=True)
class Finding:
    """One problem found in the target, with where it is."""

    rule_id: str  # "B602" for Bandit, "PSB-RF-..." for red flags
    source: str  # "bandit", "redflag" or "checklist"
    path: str
    line: int | None
    severity: str  # one of LEVELS
    confidence: str  # one of LEVELS
    cwe: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "source": self.source,
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "confidence": self.confidence,
            "cwe": self.cwe,
            "message": self.message,
        }


@dataclass(frozen=True, eq=False)
class Target:
    """What was read from the target, before any check ran: read-only data.

    Built once by :func:`~pysecbook.checker.scan.targets.open_target` (its reader collects,
    then hands over this frozen record); nothing after the reading adds to it. Two targets are
    equal only if they are the same object, so a target can key a cache of what is derived
    from it.
    """

    kind: str  # "directory", "sdist", "wheel" or "installed"
    path: str  # as the user named it (a path, or the distribution name)
    files: tuple[SourceFile, ...] = ()
    unscanned: tuple[Unscanned, ...] = ()
    #: Problems found while reading (a hostile archive member, a symlink escaping the tree).
    findings: tuple[Finding, ...] = ()
    #: For an installed distribution or a wheel: its dist-info files (METADATA, RECORD...).
    dist_info: Mapping[str, bytes] = field(default_factory=dict)
    #: For a directory: the root on disk (used for git metadata); None for archives.
    root: str | None = None

    def __post_init__(self) -> None:
        for name in ("files", "unscanned", "findings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "dist_info", MappingProxyType(dict(self.dist_info)))

    def file(self, path: str) -> SourceFile | None:
        """The file at ``path`` (relative, POSIX), if the target has one."""
        for f in self.files:
            if f.path == path:
                return f
        return None


@dataclass
class ScanOutcome:
    """What scanning the target's code found."""

    findings: list[Finding] = field(default_factory=list)
    unscanned: list[Unscanned] = field(default_factory=list)
    files_scanned: int = 0
    #: nosec suppressions honoured (the user's own project only).
    nosec_count: int = 0
    #: nosec comments found, honoured or refused: path -> lines.
    nosec_lines: dict[str, list[int]] = field(default_factory=dict)
    #: Absolute imports of every Python file: module name -> [(path, line)].
    imports: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: Literal keyword arguments of ``setup()`` in the root setup.py, when it has one.
    setup_kwargs: dict[str, object] | None = None
    #: What each Python file can do: path -> [(capability, line, runs early)].
    capabilities: dict[str, list[tuple[str, int, bool]]] = field(default_factory=dict)
    #: For a Git checkout: its HEAD commit (a :class:`~pysecbook.checker.scan.targets.git.HeadCommit`).
    head_commit: object | None = None
