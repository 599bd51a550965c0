"""The helpers of the page on the project's own detections (``book/culture/detections.md``)."""

from __future__ import annotations

from pysecbook.teaching import detections

TOTAL = ("import ctypes\n\n\ndef total(quantity, price):\n"
         "    return ctypes.c_int32(quantity * price).value\n")
REVIEWED = TOTAL.replace(".value\n", ".value  # nosec PSB101 - quantity <= 100 checked by the caller\n")


def test_the_checker_reports_a_project_rule_like_bandits_own() -> None:
    assert detections.check_findings(TOTAL) == ["PSB101 [bandit] target.py:5 medium/medium CWE-190"]


def test_a_nosec_comment_counts_only_in_your_own_project() -> None:
    assert detections.check_findings(REVIEWED) == ["(1 finding(s) suppressed by your nosec comments)"]
    assert detections.check_findings(REVIEWED, own_project=False) == [
        "PSB101 [bandit] target.py:5 medium/medium CWE-190",
        "PSB-TRUST-NOSEC [trust] target.py:5 low/high CWE-693",
    ]


def test_a_file_that_cannot_be_parsed_is_said_to_be_unscanned() -> None:
    (line,) = detections.check_findings("def broken(:\n")
    assert line.startswith("(not scanned: ")
