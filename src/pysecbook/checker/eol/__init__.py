"""Which CPython versions still get fixes: a dated end-of-life table.

CPython ships a feature release every October (PEP 602). Since 3.13 each release gets about two
years of bugfix releases (binaries and source), then security-only source releases until five
years after its first release; 3.12 and older had about eighteen months of bugfixes. The
schedule of each version is in its release PEP (PEP 619 for 3.10, 664, 693, 719, 745, 790,
826 for 3.16) and in the devguide's "Status of Python versions" page.

The table below is data shipped with the package, so it ages: :data:`TABLE_DATE` says when it
was last checked, and :func:`support_status` reports it as ``stale`` once it is more than
about six months old. Where a PEP names only a month, the table uses the first day of that
month (plan to be off a version by then); dates that were still a schedule when the table was
checked are marked as such.

The support status of a feature version says whether fixes are still *published* for it;
whether an interpreter *has* them depends on its patch level. :mod:`.patches` holds the
second table, the newest patch release of every branch and the security fixes each release
carries, and :func:`patch_gap` says which of them one exact version lacks.
Book page: ``book/security-model/python-versions``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date

from pysecbook.checker.eol.patches import (
    PatchGap,
    PatchRelease,
    SecurityFix,
    load_table,
    markdown_patch_table,
    patch_gap,
)

__all__ = [
    "RELEASES",
    "PatchGap",
    "PatchRelease",
    "SecurityFix",
    "load_table",
    "markdown_patch_table",
    "patch_gap",
    "STALE_AFTER_DAYS",
    "TABLE_DATE",
    "Release",
    "SupportStatus",
    "all_statuses",
    "support_status",
]

#: When the table was last checked against the release PEPs, the devguide and the release
#: announcements (3.15.0 came out on 2026-10-09, a week after PEP 790's date).
TABLE_DATE: date = date(2026, 12, 1)

#: After this many days the table is reported as stale (about six months).
STALE_AFTER_DAYS = 183

DEVGUIDE_URL = "https://devguide.python.org/versions/"


@dataclass(frozen=True)
class Release:
    """One CPython feature version and its support schedule."""

    version: tuple[int, int]
    pep: int
    first_release: date
    bugfix_until: date
    end_of_life: date
    #: Names of the date fields that were still a schedule on :data:`TABLE_DATE`.
    scheduled: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


def _r(
    version: tuple[int, int],
    pep: int,
    first: str,
    bugfix: str,
    eol: str,
    scheduled: tuple[str, ...] = (),
) -> Release:
    return Release(
        version,
        pep,
        date.fromisoformat(first),
        date.fromisoformat(bugfix),
        date.fromisoformat(eol),
        frozenset(scheduled),
    )


#: The table: first release, end of bugfix releases, end of life. Month-only dates in the PEPs
#: are read as the first of the month.
RELEASES: tuple[Release, ...] = (
    _r((3, 6), 494, "2016-12-23", "2018-12-24", "2021-12-23"),
    _r((3, 7), 537, "2018-06-27", "2020-06-27", "2023-06-27"),
    _r((3, 8), 569, "2019-10-14", "2021-05-03", "2024-10-07"),
    _r((3, 9), 596, "2020-10-05", "2022-05-17", "2025-10-31"),
    _r((3, 10), 619, "2021-10-04", "2023-04-05", "2026-10-01"),
    _r((3, 11), 664, "2022-10-24", "2024-04-02", "2027-10-01", ("end_of_life",)),
    _r((3, 12), 693, "2023-10-02", "2025-04-08", "2028-10-01", ("end_of_life",)),
    _r((3, 13), 719, "2024-10-07", "2026-10-01", "2029-10-01", ("end_of_life",)),
    _r((3, 14), 745, "2025-10-07", "2027-10-01", "2030-10-01", ("bugfix_until", "end_of_life")),
    _r((3, 15), 790, "2026-10-09", "2028-10-01", "2031-10-01", ("bugfix_until", "end_of_life")),
    _r(
        (3, 16),
        826,
        "2027-10-06",
        "2029-10-01",
        "2032-10-01",
        ("first_release", "bugfix_until", "end_of_life"),
    ),
)

_BY_VERSION = {r.version: r for r in RELEASES}

STATUSES = ("bugfix", "security", "end-of-life", "prerelease", "unknown")


@dataclass(frozen=True)
class SupportStatus:
    """Where one CPython version stands on a given day, according to the shipped table."""

    version: str
    status: str
    first_release: date | None
    end_of_life: date | None
    table_date: date
    stale: bool
    message: str
    bugfix_until: date | None = None
    pep: int | None = None

    @property
    def supported(self) -> bool:
        """True while the version still gets fixes (bugfix or security status)."""
        return self.status in ("bugfix", "security")


def _month(d: date) -> str:
    return d.strftime("%B %Y")


def _status_of(release: Release, today: date) -> str:
    if today < release.first_release:
        return "prerelease"
    if today < release.bugfix_until:
        return "bugfix"
    if today < release.end_of_life:
        return "security"
    return "end-of-life"


def _message(release: Release, status: str) -> str:
    name = release.name
    eol = _month(release.end_of_life)
    if status == "prerelease":
        return (
            f"Python {name} is not released yet (first release scheduled for "
            f"{release.first_release.isoformat()}): test with it, do not deploy it."
        )
    if status == "bugfix":
        note = ""
        if "first_release" in release.scheduled:
            note = (
                f" (the table holds its scheduled first release date, "
                f"{release.first_release.isoformat()})"
            )
        return (
            f"Python {name} is supported{note}: bug and security fixes until about "
            f"{_month(release.bugfix_until)}, security fixes only until {eol}."
        )
    if status == "security":
        return (
            f"Python {name} gets security fixes only, as source releases, until {eol}: "
            f"plan the upgrade to a newer version."
        )
    return (
        f"Python {name} reached end of life in {eol} and gets no security fixes: "
        f"upgrade to a supported version."
    )


def support_status(
    version: tuple[int, int] | None = None, today: date | None = None
) -> SupportStatus:
    """The support status of ``version`` (default: the running interpreter) on ``today``.

    ``today`` defaults to the current date. An alpha, beta or release candidate of the running
    interpreter is reported as ``prerelease`` whatever the table says; a version missing from
    the table is ``unknown``. ``stale`` is true when the table was checked more than
    :data:`STALE_AFTER_DAYS` days before ``today``; the message then says so.
    """
    running = version is None
    if version is None:
        version = (sys.version_info.major, sys.version_info.minor)
    today = today or date.today()
    stale = (today - TABLE_DATE).days > STALE_AFTER_DAYS
    name = f"{version[0]}.{version[1]}"
    release = _BY_VERSION.get((int(version[0]), int(version[1])))
    if release is None:
        status = "unknown"
        message = (
            f"Python {name} is not in this table (checked {TABLE_DATE.isoformat()}): "
            f"see {DEVGUIDE_URL}"
        )
        first = eol = bugfix = None
        pep = None
    else:
        status = _status_of(release, today)
        if running and sys.version_info.releaselevel != "final":
            status = "prerelease"
        message = _message(release, status)
        first, eol, bugfix, pep = (
            release.first_release,
            release.end_of_life,
            release.bugfix_until,
            release.pep,
        )
    if stale:
        message += (
            f" This table was last checked on {TABLE_DATE.isoformat()}, more than six months "
            f"before {today.isoformat()}: check {DEVGUIDE_URL} for newer information."
        )
    return SupportStatus(
        version=name,
        status=status,
        first_release=first,
        end_of_life=eol,
        table_date=TABLE_DATE,
        stale=stale,
        message=message,
        bugfix_until=bugfix,
        pep=pep,
    )


def all_statuses(today: date | None = None) -> list[SupportStatus]:
    """The status of every version in the table on ``today``, newest first."""
    return [support_status(r.version, today) for r in reversed(RELEASES)]


def markdown_table(today: date | None = None) -> str:
    """The whole table as Markdown, one row per version, newest first.

    Dates that were still a schedule when the table was checked are in italics, as on the
    devguide's page.
    """
    lines = [
        "| Version | Status | First release | Bugfixes until | End of life | Schedule |",
        "|---|---|---|---|---|---|",
    ]
    for release in reversed(RELEASES):
        status = support_status(release.version, today).status

        def cell(field: str, rel: Release = release) -> str:
            value: date = getattr(rel, field)
            text = value.isoformat()
            return f"*{text}*" if field in rel.scheduled else text

        lines.append(
            f"| {release.name} | {status} | {cell('first_release')} | {cell('bugfix_until')} "
            f"| {cell('end_of_life')} | PEP {release.pep} |"
        )
    return "\n".join(lines)
