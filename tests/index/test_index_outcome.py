"""The verdict of a dependency from its files' reports: one rule for gaps in the scan."""

from __future__ import annotations

import pytest

from pysecbook.checker.index.outcome import DependencyCheck, FileCheck, aggregate
from pysecbook.checker.report.safe import sanitized
from pysecbook.checker.results import CheckOutcome, Report
from pysecbook.checker.scan.model import Unscanned

PASS = [CheckOutcome(i, "must", "t", "pass", "s", (), "u", "e") for i in ("M1", "M2", "M4")]


def dependency(*gaps: Unscanned) -> DependencyCheck:
    report = Report("sdist", "demo-1.0.tar.gz", PASS, [], list(gaps))
    return DependencyCheck("demo==1.0", name="demo", version="1.0", files=[
        FileCheck("demo-1.0.tar.gz", "0" * 64, "verified against the index", report)])


@pytest.mark.parametrize(("gaps", "verdict", "exit_code"), [
    ((), "pass", 0),
    ((Unscanned("tests/py2_fixture.py", "Python 2 source"),), "review", 3),
    ((Unscanned("tests/py2_fixture.py", "Python 2 source"),
      Unscanned("setup.py", "syntax error", True)), "blocked", 1),
    ((Unscanned("demo-1.0.tar.gz", "corrupted archive, reading stopped", True),), "blocked", 1),
])
def test_a_gap_asks_for_a_person_unless_it_blocks(gaps, verdict: str, exit_code: int) -> None:
    dep = dependency(*gaps)
    result = aggregate([dep], [])
    assert (result.verdicts, result.verdict, result.exit_code) == ((verdict,), verdict, exit_code)
    assert dep.files[0].report.verdict == verdict  # the file's own verdict says the same
    if gaps:
        assert f"{len(gaps)} file(s) not scanned" in result.why[0]


def test_escaping_a_report_keeps_what_its_gaps_mean() -> None:
    gap = Unscanned("setup\x1b[2J.py", "syntax error", True)
    report = Report("sdist", "demo-1.0.tar.gz", PASS, [], [gap])
    clean = sanitized(report)
    assert "\x1b" not in clean.unscanned[0].path
    assert clean.unscanned[0].blocks and clean.verdict == report.verdict == "blocked"
