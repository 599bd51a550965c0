"""The dated end-of-life table of CPython versions (pysecbook.checker.eol)."""

from __future__ import annotations

import sys
from datetime import date, timedelta

import pytest

from pysecbook.checker import eol
from pysecbook.checker.eol import TABLE_DATE, support_status

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("version", "status"),
    [
        ((3, 16), "prerelease"),
        ((3, 14), "bugfix"),
        ((3, 13), "security"),
        ((3, 11), "security"),
        ((3, 10), "end-of-life"),
        ((3, 9), "end-of-life"),
        ((2, 7), "unknown"),
        ((4, 0), "unknown"),
    ],
)
def test_status_on_the_table_date(version: tuple[int, int], status: str) -> None:
    result = support_status(version, TODAY)
    assert result.status == status
    assert result.version == f"{version[0]}.{version[1]}"
    assert result.supported is (status in ("bugfix", "security"))
    assert result.table_date == TABLE_DATE
    assert result.message.startswith(f"Python {result.version} ")


def test_release_pep_schedule() -> None:
    # PEP 602: five years of support; 3.9 reached end of life in October 2025.
    for release in eol.RELEASES:
        if release.version >= (3, 9):
            years = release.end_of_life.year - release.first_release.year
            assert years == 5, release
        assert release.first_release < release.bugfix_until < release.end_of_life
    # Two years of bugfixes from 3.13 on (PEP 602 as amended), about 18 months before.
    by = {r.version: r for r in eol.RELEASES}
    assert (by[3, 13].bugfix_until - by[3, 13].first_release).days > 700
    assert (by[3, 12].bugfix_until - by[3, 12].first_release).days < 600
    assert by[3, 10].end_of_life == date(2026, 10, 1)


def test_boundaries_move_status() -> None:
    r311 = {r.version: r for r in eol.RELEASES}[3, 11]
    day = timedelta(days=1)
    assert support_status((3, 11), r311.first_release - day).status == "prerelease"
    assert support_status((3, 11), r311.first_release).status == "bugfix"
    assert support_status((3, 11), r311.bugfix_until - day).status == "bugfix"
    assert support_status((3, 11), r311.bugfix_until).status == "security"
    assert support_status((3, 11), r311.end_of_life - day).status == "security"
    assert support_status((3, 11), r311.end_of_life).status == "end-of-life"
    assert not support_status((3, 11), r311.end_of_life).supported


def test_fresh_table_is_not_stale() -> None:
    result = support_status((3, 14), TABLE_DATE + timedelta(days=30))
    assert not result.stale
    assert "last checked" not in result.message


def test_old_table_is_stale_and_says_so() -> None:
    later = TABLE_DATE + timedelta(days=200)
    result = support_status((3, 14), later)
    assert result.stale
    assert f"last checked on {TABLE_DATE.isoformat()}" in result.message
    assert eol.DEVGUIDE_URL in result.message
    # Staleness is reported for unknown versions too.
    assert support_status((9, 9), later).stale


def test_unknown_version_has_no_dates() -> None:
    result = support_status((3, 99), TODAY)
    assert result.status == "unknown"
    assert result.first_release is None and result.end_of_life is None
    assert not result.supported
    assert eol.DEVGUIDE_URL in result.message


def test_default_is_the_running_interpreter() -> None:
    result = support_status()
    assert result.version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert result.status in eol.STATUSES


def test_a_release_that_happened_is_no_longer_shown_as_scheduled() -> None:
    # 3.15.0 came out on 2026-10-09: the table holds that date, not PEP 790's plan.
    r315 = {r.version: r for r in eol.RELEASES}[3, 15]
    assert r315.first_release == date(2026, 10, 9)
    assert "first_release" not in r315.scheduled
    assert "scheduled" not in support_status((3, 15), TODAY).message
    assert "| 3.15 | bugfix | 2026-10-09 |" in eol.markdown_table(TODAY)


def test_scheduled_first_release_is_flagged_in_the_message() -> None:
    # A version whose first release is still a plan, on a day after that plan.
    r316 = {r.version: r for r in eol.RELEASES}[3, 16]
    assert "scheduled first release" in support_status((3, 16), r316.first_release + timedelta(days=1)).message


def test_all_statuses_and_markdown_table() -> None:
    statuses = eol.all_statuses(TODAY)
    assert [s.version for s in statuses][:2] == ["3.16", "3.15"]
    table = eol.markdown_table(TODAY)
    assert table.count("\n") == len(eol.RELEASES) + 1
    assert "| 3.10 | end-of-life |" in table
    assert "*2027-10-06*" in table  # scheduled dates are in italics
