"""Pick the release a requirement names and the files of it to check, as pip would.

The version: the highest one the specifier allows, pre-releases only when the specifier
asks for them (PEP 440), skipping a yanked release unless the requirement pins exactly that
version (PEP 592) and skipping files whose ``Requires-Python`` excludes the running
interpreter. The files (``--dist``): by default the sdist and the one wheel pip would
install here (the first match in :func:`packaging.tags.sys_tags` order); ``sdist`` or
``wheel`` for one kind; ``all`` for every file of the release, every platform's wheel too.
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, sys_tags
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version
from pypi_simple import ProjectPage

__all__ = ["DIST_CHOICES", "IndexFile", "NoRelease", "choose_files", "choose_version", "index_files"]

DIST_CHOICES = ("sdist", "wheel", "all")


class NoRelease(Exception):
    """No release on the index satisfies the requirement (one line)."""


@dataclass(frozen=True)
class IndexFile:
    """One file of a project page, as the index describes it (strings are the index's)."""

    filename: str
    url: str
    kind: str  # "sdist", "wheel" or "other"
    version: str | None
    sha256: str | None
    size: int | None = None
    upload_time: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    requires_python: str | None = None
    provenance_url: str | None = None
    tags: frozenset[Tag] = frozenset()

    def allows_python(self, python: Version) -> bool:
        if not self.requires_python:
            return True
        try:
            return SpecifierSet(self.requires_python).contains(python, prereleases=True)
        except InvalidSpecifier:
            return True  # pip ignores a requires-python it cannot read


def _parse_name(filename: str, project: str) -> tuple[str, str | None, frozenset[Tag]]:
    try:
        name, version, _, tags = parse_wheel_filename(filename)
        return ("wheel" if name == canonicalize_name(project) else "other"), str(version), tags
    except (InvalidWheelFilename, InvalidVersion):
        pass
    try:
        name, version = parse_sdist_filename(filename)
        return ("sdist" if name == canonicalize_name(project) else "other"), str(version), frozenset()
    except (InvalidSdistFilename, InvalidVersion):
        return "other", None, frozenset()


def index_files(page: ProjectPage, project: str) -> list[IndexFile]:
    """The files of ``page``; a file whose name is not ``project``'s is kind ``other``."""
    out = []
    for pkg in page.packages:
        kind, version, tags = _parse_name(pkg.filename, project)
        out.append(IndexFile(
            filename=pkg.filename, url=pkg.url, kind=kind, version=version,
            sha256=(pkg.digests or {}).get("sha256"), size=pkg.size, upload_time=pkg.upload_time,
            yanked=pkg.is_yanked, yanked_reason=pkg.yanked_reason,
            requires_python=pkg.requires_python, provenance_url=pkg.provenance_url, tags=tags))
    return out


def running_python() -> Version:
    return Version(platform.python_version())


def _exact_pin(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def choose_version(files: Sequence[IndexFile], req: Requirement,
                   python: Version | None = None) -> str:
    """The version pip would pick for ``req`` among ``files``; :class:`NoRelease` if none."""
    python = python or running_python()
    by_version: dict[Version, list[IndexFile]] = {}
    for f in files:
        if f.kind in ("sdist", "wheel") and f.version:
            by_version.setdefault(Version(f.version), []).append(f)
    if not by_version:
        raise NoRelease("the index lists no sdist or wheel of this project")
    pin = _exact_pin(req)
    allowed = set(req.specifier.filter(by_version, prereleases=True if pin else None))
    usable = []
    for v in allowed:
        vfiles = [f for f in by_version[v] if f.allows_python(python)]
        yanked = all(f.yanked for f in by_version[v])
        if vfiles and (not yanked or pin is not None):
            usable.append(v)
    if not usable:
        shown = ", ".join(str(v) for v in sorted(by_version)[-5:])
        why = ("every matching release is yanked or excludes Python " f"{python}"
               if allowed else f"no release matches {req.specifier or 'any version'}")
        raise NoRelease(f"{why} (latest on the index: {shown})")
    return str(max(usable))


def choose_files(files: Sequence[IndexFile], version: str, dist: str | None = None,
                 tags: Iterable[Tag] | None = None) -> list[IndexFile]:
    """The files of ``version`` to check (see the module docstring for ``dist``)."""
    mine = [f for f in files if f.kind in ("sdist", "wheel") and f.version
            and Version(f.version) == Version(version)]
    if dist == "all":
        return mine
    out: list[IndexFile] = []
    if dist in (None, "sdist"):
        sdists = sorted((f for f in mine if f.kind == "sdist"),
                        key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))
        out += sdists[:1]
    if dist in (None, "wheel"):
        order = {t: i for i, t in enumerate(tags if tags is not None else sys_tags())}
        wheels = [(min(order[t] for t in f.tags if t in order), f.filename, f) for f in mine
                  if f.kind == "wheel" and any(t in order for t in f.tags)]
        out += [min(wheels)[2]] if wheels else []
    return out
