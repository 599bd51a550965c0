"""The verdict logic that reads the index's facts: C4 from upload times, M1 from a lock's
sources. Each case both ways: the fact that fails and the one that passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest
from hermetic import TODAY

from pysecbook.checker.checklist import CheckContext, get_check, index_evidence
from pysecbook.checker.index import IndexOption, LockEntry, isolated, pip_index_config
from pysecbook.checker.index.facts import IndexFacts
from pysecbook.checker.scan.model import SourceFile, Target

NOON = datetime.combine(TODAY, time(12), tzinfo=timezone.utc)


def c4(first_days: float, last_days: float) -> tuple[str, str]:
    facts = IndexFacts("https://mirror.invalid/simple/", "--index-url", False, "demo", "1.0", (),
                       versions=("1.0",), first_upload=NOON - timedelta(days=first_days),
                       last_upload=NOON - timedelta(days=last_days))
    ctx = CheckContext(Target("sdist", "demo-1.0.tar.gz", files=[SourceFile("a.py", b"", 31_536_000.0)]),
                       today=TODAY, index=facts)
    result = get_check("C4")().run(ctx)
    return result.status, result.summary


@pytest.mark.parametrize(("first", "last", "status", "summary"), [
    (900, 30, "pass", "last upload to the index 2026-10-22 (30 days ago)"),
    (900, 500, "warn", "last upload to the index 2025-07-09, 500 days ago: is it still maintained?"),
    (2000, 800, "fail", "last upload to the index 2024-09-12, 800 days ago: is it still maintained?"),
    (20, 20, "warn", "a new project: first uploaded 2026-11-01, 20 days ago; look at who publishes "
                     "it before trusting it"),
    (900, -10, "warn", "the index dates the last upload 2026-12-01, in the future: its dates "
                       "cannot be trusted"),
])
def test_c4_reads_the_index_dates_not_the_archive(first: float, last: float, status: str,
                                                  summary: str) -> None:
    # The archive's only file is dated 1971 and counts for nothing: the index's dates decide.
    assert c4(first, last) == (status, summary)


def test_c4_without_upload_times_says_where_to_look_and_ignores_file_dates() -> None:
    facts = IndexFacts("https://mirror.invalid/simple/", "--index-url", False, "demo", "1.0", ())
    ctx = CheckContext(Target("sdist", "demo-1.0.tar.gz", files=[SourceFile("a.py", b"", 31_536_000.0)]),
                       today=TODAY, index=facts)
    result = get_check("C4")().run(ctx)
    # An index without PEP 700 upload times gives C4 nothing; the 1971 file date is not evidence.
    assert (result.status, result.summary) == (
        "manual", "an sdist carries no evidence of maintenance (file dates come from the build "
                  "tool): look at the project's release and commit history")


def test_lock_m1_both_ways() -> None:
    entries = [LockEntry("demo==1.0", "pylock.toml:packages[1]", "demo", pinned=True)]
    assert index_evidence.lock_m1(isolated(), entries).status == "pass"
    moved = [replace(entries[0], index="https://other.invalid/simple")]
    result = index_evidence.lock_m1(isolated(), moved)
    assert (result.status, result.details) == ("fail", (
        "pylock.toml:packages[1]: demo was locked from another index, https://other.invalid/simple",))
    extra = pip_index_config(environ={}, config_files=(), file_settings=[
        IndexOption("find-links", "/srv/wheels", "requirements.txt:1")])
    assert index_evidence.lock_m1(extra, entries).details == (
        "requirements.txt:1: --find-links /srv/wheels: a source outside the index",)
