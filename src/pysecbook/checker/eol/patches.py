"""Patch levels: the newest release of each CPython branch, and the security fixes since.

A supported branch (3.11, say) keeps getting security fixes, but only in new patch releases
(3.11.8, 3.11.9, ...). An interpreter that is never upgraded inside its branch misses them
all while its branch is still "supported". This module reads the dated table shipped as
``pysecbook/data/cpython-security-releases.toml`` (written by hand from CPython's
changelogs and the PSF's CVE records; the file says how) and answers, for one exact version:
which releases came after it, and which security fixes they carry.

A distribution's interpreter (Debian's ``python3.11`` is 3.11.2 plus patches) may carry
backported fixes under its old version number; a version number cannot show that, so
:func:`patch_gap` says when the interpreter looks like a distribution build and what to read
instead. Book page: ``book/security-model/python-versions``.
"""

from __future__ import annotations

import functools
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

__all__ = [
    "Branch",
    "PatchGap",
    "PatchRelease",
    "PatchTable",
    "SecurityFix",
    "fixed_in",
    "load_table",
    "markdown_patch_table",
    "parse_version",
    "patch_gap",
    "releases_fixing",
]

DATA_FILE = "data/cpython-security-releases.toml"

#: After this many days the table is reported as stale (about six months), as the schedule is.
STALE_AFTER_DAYS = 183

Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    """``"3.11.7"`` as ``(3, 11, 7)``."""
    major, minor, micro = (int(part) for part in text.split("."))
    return major, minor, micro


def _name(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class SecurityFix:
    """One security fix, named by its GitHub issue and the CVE ids the sources give it."""

    issue: str
    module: str
    summary: str
    cves: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The CVE ids when there are some, the GitHub issue otherwise."""
        return ", ".join(self.cves) or self.issue

    def line(self) -> str:
        return f"{self.name} ({self.module}): {self.summary}"


@dataclass(frozen=True)
class PatchRelease:
    """One patch release and the security fixes the table knows it carries."""

    version: Version
    date: date | None
    fixes: tuple[SecurityFix, ...] = ()
    #: False when the release's fixes were not copied into the table (see its changelog).
    transcribed: bool = True

    @property
    def name(self) -> str:
        return _name(self.version)

    @property
    def changelog_url(self) -> str:
        return f"https://docs.python.org/release/{self.name}/whatsnew/changelog.html"


@dataclass(frozen=True)
class Branch:
    """A feature version (3.11) and its patch releases after ``baseline``."""

    version: tuple[int, int]
    newest: PatchRelease
    baseline: Version | None
    releases: tuple[PatchRelease, ...]

    @property
    def name(self) -> str:
        return _name(self.version)


@dataclass(frozen=True)
class PatchTable:
    """The whole shipped table: when it was checked, the branches, and fixed-in versions."""

    checked: date
    branches: Mapping[tuple[int, int], Branch]
    fixed_in: Mapping[str, tuple[Version, ...]]


def _release(entry: Mapping[str, Any], fixes: Mapping[str, SecurityFix]) -> PatchRelease:
    return PatchRelease(
        version=parse_version(entry["version"]),
        date=entry.get("date"),
        fixes=tuple(fixes[issue] for issue in entry.get("fixes", ())),
        transcribed=entry.get("transcribed", True),
    )


def _parse(data: Mapping[str, Any]) -> PatchTable:
    fixes = {
        issue: SecurityFix(issue, f["module"], f["summary"], tuple(f.get("cves", ())))
        for issue, f in data["fixes"].items()
    }
    branches = {}
    for name, b in data["branches"].items():
        major, minor = (int(p) for p in name.split("."))
        branches[major, minor] = Branch(
            version=(major, minor),
            newest=_release(b["newest"], fixes),
            baseline=parse_version(b["baseline"]) if "baseline" in b else None,
            releases=tuple(_release(r, fixes) for r in b.get("releases", ())),
        )
    fixed = {cve: tuple(parse_version(v) for v in versions)
             for cve, versions in data.get("fixed_in", {}).items()}
    return PatchTable(data["checked"], branches, fixed)


@functools.lru_cache(maxsize=1)
def load_table() -> PatchTable:
    """The table shipped with pysecbook, parsed once."""
    text = resources.files("pysecbook").joinpath(DATA_FILE).read_text("utf-8")
    return _parse(tomllib.loads(text))


def fixed_in(cve: str, table: PatchTable | None = None) -> dict[tuple[int, int], Version]:
    """The first patch release of each branch that fixes ``cve`` (only the CVEs the table
    records with fixed-in versions)."""
    table = table or load_table()
    return {v[:2]: v for v in table.fixed_in.get(cve, ())}


def releases_fixing(module: str, table: PatchTable | None = None) -> Iterator[tuple[PatchRelease, list[SecurityFix]]]:
    """Every release in the table with at least one fix in ``module``, branch by branch."""
    table = table or load_table()
    for branch in table.branches.values():
        for release in branch.releases:
            mine = [f for f in release.fixes if module in (m.strip() for m in f.module.split(","))]
            if mine:
                yield release, mine


@dataclass(frozen=True)
class PatchGap:
    """How far one exact interpreter version is behind its branch's newest patch release."""

    version: str
    branch: str
    known: bool  # the branch is in the table
    newest: PatchRelease | None
    missing: tuple[PatchRelease, ...]
    #: The version is older than the first release the table lists fixes for.
    before_baseline: bool
    #: The version is newer than the table's newest release of its branch.
    ahead: bool
    checked: date
    stale: bool
    distribution_build: bool = False

    @property
    def behind(self) -> bool:
        return bool(self.missing)

    @property
    def fixes(self) -> list[tuple[PatchRelease, SecurityFix]]:
        """Every fix the table knows in the releases this version lacks, oldest first."""
        return [(r, f) for r in self.missing for f in r.fixes]

    @property
    def untranscribed(self) -> list[PatchRelease]:
        return [r for r in self.missing if not r.transcribed]

    def summary(self) -> str:
        if not self.known:
            return f"Python {self.version}: branch {self.branch} is not in the patch table"
        assert self.newest is not None  # nosec B101 - set whenever the branch is known
        newest = self.newest.name + (f" of {self.newest.date.isoformat()}" if self.newest.date else "")
        if self.ahead:
            return (f"Python {self.version} is newer than the newest {self.branch} release in the "
                    f"table ({newest}, checked {self.checked.isoformat()})")
        if not self.behind:
            return f"Python {self.version} is the newest {self.branch} release in the table ({newest})"
        # Patch releases are numbered without gaps, so the count holds before the baseline too.
        major, minor, micro = parse_version(self.version)
        count = self.newest.version[2] - micro
        first = _name((major, minor, micro + 1))
        span = first if count == 1 else f"{first} to {self.newest.name}"
        if not self.fixes and not self.untranscribed:
            return (f"Python {self.version} is behind the newest {self.branch} release, {newest} "
                    "(the table lists no fixes for this branch)")
        return (f"Python {self.version} lacks {_count(count, 'patch release')} of "
                f"{self.branch} ({span}) with {_count(len(self.fixes), 'security fix', 'es')} "
                f"listed in the table; the newest is {newest}")

    def details(self) -> list[str]:
        """The caveats that change how to read the verdict (a distribution build, a version
        older than the table), then release by release the missing fixes and where the table
        does not know them, then a stale table."""
        lines = []
        if self.distribution_build and self.behind:
            lines.append("this interpreter looks like a distribution build, which may carry "
                         "backported fixes under its old version number: check the package's "
                         "changelog (apt changelog, rpm -q --changelog) or the distribution's "
                         "security tracker for each CVE")
        if self.before_baseline:
            lines.append(f"{self.version} is older than the first release the table lists fixes "
                         "for, so it lacks earlier fixes as well")
        for release in self.missing:
            lines += [f"{release.name}: {f.line()}" for f in release.fixes]
            if not release.transcribed:
                more = "more fixes" if release.fixes else "its fixes are"
                lines.append(f"{release.name}: {more} not copied into the table: read "
                             f"{release.changelog_url}")
        if self.stale:
            lines.append(f"the patch table was checked on {self.checked.isoformat()}, more than six "
                         "months ago: newer releases may exist (https://www.python.org/downloads/)")
        return lines


def _count(n: int, word: str, plural: str = "s") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{plural}"


def patch_gap(
    version: tuple[int, int, int] | None = None,
    today: date | None = None,
    *,
    distribution_build: bool = False,
    table: PatchTable | None = None,
) -> PatchGap:
    """Where ``version`` (default: the running interpreter) stands in the patch table.

    ``today`` (default: the current date) decides only whether the table is stale.
    """
    table = table or load_table()
    if version is None:
        version = tuple(sys.version_info[:3])  # type: ignore[assignment]
    assert version is not None  # nosec B101 - for the type checker
    today = today or date.today()
    stale = (today - table.checked).days > STALE_AFTER_DAYS
    branch = table.branches.get((version[0], version[1]))
    name = _name(version)
    if branch is None:
        return PatchGap(name, _name(version[:2]), False, None, (), False, False, table.checked,
                        stale, distribution_build)
    newest = branch.newest.version
    missing: tuple[PatchRelease, ...]
    if version >= newest:
        missing = ()
    elif branch.releases:
        missing = tuple(r for r in branch.releases if version < r.version <= newest)
    else:  # a branch listed by its last release only
        missing = (branch.newest,)
    before = branch.baseline is not None and version < branch.baseline
    return PatchGap(name, branch.name, True, branch.newest, missing, before, version > newest,
                    table.checked, stale, distribution_build)


def markdown_patch_table(table: PatchTable | None = None) -> str:
    """One row per branch: its newest patch release and what the table holds after the baseline."""
    table = table or load_table()
    lines = ["| Branch | Newest release | Released | Releases listed | Security fixes listed |",
             "|---|---|---|---|---|"]
    for branch in sorted(table.branches.values(), key=lambda b: b.version, reverse=True):
        when = branch.newest.date.isoformat() if branch.newest.date else "–"
        if branch.baseline is None:
            listed = fixes = "– (end of life)"
        else:
            untranscribed = sum(not r.transcribed for r in branch.releases)
            listed = f"after {_name(branch.baseline)}: {len(branch.releases)}"
            if untranscribed:
                listed += f" ({untranscribed} not transcribed)"
            fixes = str(sum(len(r.fixes) for r in branch.releases))
        lines.append(f"| {branch.name} | {branch.newest.name} | {when} | {listed} | {fixes} |")
    return "\n".join(lines)
