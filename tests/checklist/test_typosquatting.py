"""Names one edit away from a well-known distribution are flagged; listed names never are."""

from __future__ import annotations

import pytest

from pysecbook.checker.typosquatting import check_name, check_names, normalize, one_edit_apart, popular_names


def test_the_shipped_list_is_a_few_hundred_normalised_names() -> None:
    names = popular_names()
    assert 300 <= len(names) <= 1000
    assert {"requests", "numpy", "typing-extensions", "python-dateutil"} <= names
    assert all(n == normalize(n) for n in names)


@pytest.mark.parametrize("name, looks_like", [
    ("reqeusts", "requests"),       # swap
    ("requets", "requests"),        # deletion
    ("requestss", "requests"),      # insertion
    ("numpi", "numpy"),             # substitution
    ("python-dateutils", "python-dateutil"),
    ("Reqeusts", "requests"),       # case does not hide it
])
def test_one_edit_away_is_flagged(name: str, looks_like: str) -> None:
    suspect = check_name(name)
    assert suspect is not None and suspect.looks_like == looks_like


@pytest.mark.parametrize("name", ["requests", "Typing_Extensions", "numpy", "my-own-tool", "pysecbook", ""])
def test_near_misses_are_not_flagged(name: str) -> None:
    assert check_name(name) is None


def test_edit_distance_primitive() -> None:
    assert one_edit_apart("abc", "acb")
    assert not one_edit_apart("abc", "abc")
    assert not one_edit_apart("abc", "cba")
    assert not one_edit_apart("abc", "abcde")


def test_check_names_reports_each_name_once() -> None:
    found = check_names(["reqeusts", "Reqeusts", "rich"])
    assert [s.name for s in found] == ["reqeusts"]
    assert "requests" in str(found[0])
