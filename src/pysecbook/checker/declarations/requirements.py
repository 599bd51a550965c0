"""The one reader of requirements files: a target's (in memory) and a lock file's (on disk).

A file is read as pip reads it (:mod:`.pipsyntax`: encoding, lines, options), and its
includes are followed as pip follows them: ``-r FILE`` is read, relative to the file that
names it; ``-c FILE`` (constraints) is recorded, not read, since it installs nothing by
itself. Where the files come from is an :class:`Opener`'s business: :class:`TargetFiles`
reads the files of a target already in memory and refuses an include that leaves it;
:class:`DiskFiles` reads files on disk and refuses a remote one. Nothing is resolved, fetched
or run. Every line pip would refuse, every include that cannot be followed, a file that
includes itself and more than :data:`MAX_INCLUDES` files are reported, never skipped in
silence. Book pages: ``book/checklist/must`` (M1, M4), ``book/checklist/before-install``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.requirements import Requirement

from pysecbook.checker.declarations.model import IndexOption
from pysecbook.checker.declarations.pipsyntax import LineError, decode_like_pip, logical_lines, parse_line

__all__ = ["MAX_INCLUDES", "DiskFiles", "Include", "Opener", "Problem", "Reading",
           "RequirementLine", "RequirementsReader", "Source", "TargetFiles", "Unreadable", "is_pinned",
           "read_requirements"]

#: Most files one reading follows (the file itself and everything it includes with ``-r``).
#: pip has no limit: this one stops a bomb of includes, not a real project.
MAX_INCLUDES = 100
#: What pip takes for a URL rather than a path (``SCHEME_RE`` in pip's reader).
_SCHEME = re.compile(r"^(http|https|file):", re.IGNORECASE)


def is_pinned(requirement: Requirement) -> bool:
    """Pinned to one exact version: one ``==`` or ``===`` specifier, without a wildcard.

    pip's own test (``InstallRequirement.is_pinned``), except that ``==1.*`` is a range.
    """
    specs = list(requirement.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


@dataclass(frozen=True)
class Source:
    """One file an opener can read: ``key`` identifies it (includes loop on it), ``name``
    is how reports name it."""

    key: Hashable
    name: str


class Unreadable(Exception):
    """An opener cannot give a file's bytes (the reason is the message)."""

    def __init__(self, why: str, *, missing: bool = False) -> None:
        super().__init__(why)
        self.missing = missing


class Opener(Protocol):
    """Where a reading's files come from."""

    def follow(self, source: Source, ref: str) -> Source | str:
        """The file ``ref`` (written in ``source``) names, or why it is not followed."""

    def read(self, source: Source) -> bytes:
        """The file's bytes, or :class:`Unreadable`."""


class TargetFiles:
    """The files of a target in memory, by POSIX path; an include must stay inside."""

    def __init__(self, lookup: Callable[[str], bytes | None]) -> None:
        self._lookup = lookup

    @classmethod
    def of_target(cls, target: Any) -> TargetFiles:
        """A :class:`~pysecbook.checker.scan.model.Target`'s files."""
        def lookup(path: str) -> bytes | None:
            f = target.file(path)
            return None if f is None else f.data
        return cls(lookup)

    @classmethod
    def of(cls, files: Mapping[str, bytes]) -> TargetFiles:
        """Files given as ``{path: bytes}``."""
        return cls(files.get)

    @staticmethod
    def source(path: str) -> Source:
        return Source(path, path)

    def follow(self, source: Source, ref: str) -> Source | str:
        included = posixpath.normpath(posixpath.join(posixpath.dirname(source.name), ref.strip()))
        if ("://" in ref or _SCHEME.match(ref) or included == ".." or included.startswith("../")
                or included.startswith("/")):
            return "outside the target"
        return Source(included, included)

    def read(self, source: Source) -> bytes:
        data = self._lookup(source.name)
        if data is None:
            raise Unreadable("not in the target", missing=True)
        return data


class DiskFiles:
    """Files on disk; an include is relative to the file that names it, a remote one is
    refused. Each file is at most ``max_size`` bytes."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size

    @staticmethod
    def source(path: str | Path, name: str | None = None) -> Source:
        return Source(Path(path).resolve(), str(path) if name is None else name)

    def follow(self, source: Source, ref: str) -> Source | str:
        if "://" in ref or _SCHEME.match(ref):
            return "remote requirements files are not read"
        return Source((Path(str(source.key)).parent / ref).resolve(), str(Path(source.name).parent / ref))

    def read(self, source: Source) -> bytes:
        path = Path(str(source.key))
        try:
            if path.stat().st_size > self.max_size:
                raise Unreadable(f"larger than {self.max_size} bytes")
            return path.read_bytes()
        except OSError as exc:
            raise Unreadable(f"cannot read: {exc.strerror or exc}",
                             missing=isinstance(exc, FileNotFoundError)) from None


@dataclass(frozen=True)
class RequirementLine:
    """One requirement pip would install: the requirement as written (or the path or URL
    after ``-e``), where it is, and the hashes it must match (``"sha256:..."``)."""

    text: str
    origin: str
    line: int
    editable: bool = False
    hashes: tuple[str, ...] = ()

    def parse(self) -> Requirement:
        """The requirement, parsed by :mod:`packaging` (``InvalidRequirement`` if it is not
        one: a local path, a bare URL, a typo)."""
        return Requirement(self.text)


@dataclass(frozen=True)
class Include:
    """A ``-r`` or ``-c`` line: what it names, the file it leads to or why it is not followed."""

    origin: str
    line: int
    ref: str
    constraint: bool
    name: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something pip would refuse or that could not be read.

    ``kind``: ``"option"`` (pip refuses the line), ``"unreadable"`` or ``"missing"`` (the
    file ``path``), ``"loop"`` (``path`` includes itself, through the line at
    ``origin:line``), ``"repeated"`` (``path`` is included a second time, read once) or
    ``"too-many"`` (more than :data:`MAX_INCLUDES` files).
    """

    kind: str
    path: str
    message: str
    origin: str | None = None
    line: int | None = None


@dataclass
class Reading:
    """What a reading found, each list in the order of the files and their lines."""

    files: list[str] = field(default_factory=list)
    requirements: list[RequirementLine] = field(default_factory=list)
    options: list[IndexOption] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class RequirementsReader:
    """Reads requirements files through one opener; a file is read once, whichever of the
    files given to :meth:`read` includes it."""

    def __init__(self, opener: Opener, *, max_files: int = MAX_INCLUDES) -> None:
        self.opener = opener
        self.max_files = max_files
        self._seen: set[Hashable] = set()

    def read(self, source: Source) -> Reading:
        """``source`` and the files it includes (those already read are not read again)."""
        reading = Reading()
        self._file(source, reading, (), None)
        return reading

    def _file(self, source: Source, reading: Reading, chain: tuple[Hashable, ...],
              via: tuple[str, int] | None) -> None:
        origin, line = via or (None, None)
        if source.key in self._seen:
            if source.key in chain:
                reading.problems.append(Problem(
                    "loop", source.name, "included twice, in a loop: pip refuses a requirements "
                    "file that includes itself; read once", origin, line))
            else:
                reading.problems.append(Problem("repeated", source.name, "included twice, read once",
                                                origin, line))
            return
        if len(self._seen) >= self.max_files:
            reading.problems.append(Problem("too-many", source.name, f"more than {self.max_files} "
                                            "requirements files included with -r", origin, line))
            return
        self._seen.add(source.key)
        try:
            text, why = decode_like_pip(self.opener.read(source))
        except Unreadable as exc:
            reading.problems.append(Problem("missing" if exc.missing else "unreadable", source.name,
                                            str(exc), origin, line))
            return
        if text is None:
            reading.problems.append(Problem("unreadable", source.name, str(why), origin, line))
            return
        reading.files.append(source.name)
        for number, text_line in logical_lines(text):
            self._line(source, number, text_line, reading, (*chain, source.key))

    def _line(self, source: Source, number: int, text: str, reading: Reading,
              chain: tuple[Hashable, ...]) -> None:
        name = source.name
        try:
            args, opts = parse_line(text)
        except LineError as exc:
            reading.problems.append(Problem("option", name, f"pip refuses this line: {exc}", name, number))
            return
        editables = opts.get("editables")
        if args or editables:  # a requirement: only its own options count (pip ignores others)
            reading.requirements.append(RequirementLine(
                args or editables[0], name, number, editable=not args,
                hashes=tuple(opts.get("hashes")) if args else ()))
            return
        requirements, constraints = opts.get("requirements"), opts.get("constraints")
        if requirements or constraints:  # pip follows the first -r (or else -c) and nothing else
            ref = (requirements or constraints)[0]
            found = self.opener.follow(source, ref)
            if isinstance(found, str):
                reading.includes.append(Include(name, number, ref, not requirements, why=found))
                return
            reading.includes.append(Include(name, number, ref, not requirements, found.name))
            if requirements:
                self._file(found, reading, chain, (name, number))
            return
        # the order in which pip applies them (handle_option_line)
        if "no_index" in opts.flags:
            reading.options.append(IndexOption("no-index", "true", name, number))
        if opts.get("index_url"):
            reading.options.append(IndexOption("index-url", opts.get("index_url")[-1], name, number))
        for value in opts.get("extra_index_urls"):
            reading.options.append(IndexOption("extra-index-url", value, name, number))
        if opts.get("find_links"):
            reading.options.append(IndexOption("find-links", opts.get("find_links")[0], name, number))
        for value in opts.get("trusted_hosts"):
            reading.options.append(IndexOption("trusted-host", value, name, number))


def read_requirements(opener: Opener, source: Source, *, max_files: int = MAX_INCLUDES) -> Reading:
    """One requirements file and what it includes, read through ``opener``."""
    return RequirementsReader(opener, max_files=max_files).read(source)
