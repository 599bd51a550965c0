"""The patch-level table: the newest release of each CPython branch and the fixes since.

Every expectation here is read from the shipped data file by hand (its source is CPython's
changelogs), so a test fails when the table or the code that reads it changes meaning.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from importlib import resources

import pytest

from pysecbook.checker import eol
from pysecbook.checker.checklist.environment import _distribution_build
from pysecbook.checker.eol import patches

TABLE = patches.load_table()
CHECKED = TABLE.checked


def test_the_data_file_ships_with_the_package_and_is_dated() -> None:
    text = resources.files("pysecbook").joinpath(patches.DATA_FILE).read_text("utf-8")
    data = tomllib.loads(text)
    assert data["checked"] == CHECKED
    assert CHECKED >= eol.TABLE_DATE - timedelta(days=31)


def test_every_supported_branch_lists_its_releases_in_order_up_to_the_newest() -> None:
    for version, branch in TABLE.branches.items():
        if branch.baseline is None:
            assert branch.releases == (), version  # end of life: the last release only
            continue
        numbers = [r.version for r in branch.releases]
        assert numbers == sorted(numbers), version
        # Patch releases are numbered without gaps after the baseline.
        expected = [(*version, m) for m in range(branch.baseline[2] + 1, branch.newest.version[2] + 1)]
        assert numbers == expected, version
        if branch.releases:
            assert branch.releases[-1].version == branch.newest.version


def test_3_11_7_lacks_ten_releases_and_the_tar_filter_fixes() -> None:
    gap = eol.patch_gap((3, 11, 7), CHECKED)
    assert gap.behind and not gap.ahead and not gap.before_baseline
    assert [r.name for r in gap.missing] == [f"3.11.{m}" for m in range(8, 18)]
    assert gap.summary().startswith("Python 3.11.7 lacks 10 patch releases of 3.11 (3.11.8 to 3.11.17)")
    lines = gap.details()
    assert ("3.11.13: CVE-2024-12718, CVE-2025-4138, CVE-2025-4330, CVE-2025-4517 (tarfile): "
            "several bypasses of the 'data' and 'tar' extraction filters through crafted links "
            "and long paths") in lines
    assert any(line.startswith("3.11.17: CVE-2026-82049 (tarfile)") for line in lines)
    # Releases whose fixes were only partly copied say where to read the rest.
    assert ("3.11.14: more fixes not copied into the table: read "
            "https://docs.python.org/release/3.11.14/whatsnew/changelog.html") in lines


def test_the_newest_release_is_not_behind_and_a_newer_one_is_ahead() -> None:
    newest = eol.patch_gap((3, 11, 17), CHECKED)
    assert not newest.behind and newest.missing == ()
    assert newest.summary() == "Python 3.11.17 is the newest 3.11 release in the table (3.11.17 of 2026-10-01)"
    later = eol.patch_gap((3, 11, 18), CHECKED)
    assert later.ahead and not later.behind


def test_a_version_older_than_the_baseline_counts_every_release_and_says_so() -> None:
    gap = eol.patch_gap((3, 11, 2), CHECKED, distribution_build=True)
    assert "lacks 15 patch releases of 3.11 (3.11.3 to 3.11.17)" in gap.summary()
    first, second = gap.details()[:2]
    assert first.startswith("this interpreter looks like a distribution build")
    assert second.startswith("3.11.2 is older than the first release the table lists fixes for")


def test_an_end_of_life_branch_is_behind_its_last_release() -> None:
    gap = eol.patch_gap((3, 10, 13), CHECKED)
    assert [r.name for r in gap.missing] == ["3.10.22"]
    assert "behind the newest 3.10 release, 3.10.22" in gap.summary()


def test_unknown_branch_and_stale_table() -> None:
    assert not eol.patch_gap((3, 16, 0), CHECKED).known
    fresh = eol.patch_gap((3, 11, 17), CHECKED + timedelta(days=100))
    old = eol.patch_gap((3, 11, 17), CHECKED + timedelta(days=200))
    assert not fresh.stale and old.stale
    assert old.details()[-1].startswith(f"the patch table was checked on {CHECKED.isoformat()}")


def test_fixed_in_versions_of_the_2025_tar_filter_bypass() -> None:
    assert patches.fixed_in("CVE-2025-4517") == {
        (3, 9): (3, 9, 23), (3, 10): (3, 10, 18), (3, 11): (3, 11, 13),
        (3, 12): (3, 12, 11), (3, 13): (3, 13, 4), (3, 14): (3, 14, 0)}
    assert patches.fixed_in("CVE-0000-0000") == {}


def test_releases_fixing_a_module() -> None:
    tar = {r.name: [f.issue for f in fixes] for r, fixes in patches.releases_fixing("tarfile")}
    assert tar["3.11.13"] == ["gh-135034"]
    assert tar["3.11.17"] == ["gh-157265", "gh-157190", "gh-155999"]
    assert "3.11.12" not in tar


def test_markdown_table_has_one_row_per_branch() -> None:
    table = eol.markdown_patch_table()
    assert table.count("\n") == len(TABLE.branches) + 1
    assert "| 3.11 | 3.11.17 | 2026-10-01 | after 3.11.7: 10 (2 not transcribed) | 75 |" in table


@pytest.mark.parametrize(("prefix", "platform", "expected"), [
    ("/usr", "linux", True),
    ("/usr/local", "linux", False),
    ("/root/.pyenv/versions/3.11.7", "linux", False),
    ("/usr", "darwin", False),
])
def test_distribution_build_is_read_from_the_base_prefix(prefix: str, platform: str, expected: bool) -> None:
    assert _distribution_build(prefix, platform) is expected
