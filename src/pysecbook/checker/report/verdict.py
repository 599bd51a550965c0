"""The words of a verdict, shared by every format: what it means and what to do next.

Book page: ``book/checklist/index`` (section "Reading the verdict").
"""

from __future__ import annotations

from pysecbook.checker.results import Report

__all__ = ["HEADLINES", "headline", "machine_line", "next_step"]

HEADLINES = {
    "blocked": "BLOCKED: evidence of danger",
    "review": "REVIEW: not shown by this artifact, check by hand",
    "pass": "PASS: every must-do item that can be checked passed, and every file was scanned",
}

NEXT_STEPS = {
    "blocked": "Do not run it. Read the evidence; a person who can read the code must explain "
               "every item before anyone runs it.",
    "review": "Nothing found shows danger, but something a must-do item needs is not in this "
              "artifact or could not be scanned: look where each item says, read every file "
              "not scanned, then decide.",
    "pass": "Run it only as the checklist says: in a virtual environment or an isolated "
            "machine, with a recovery plan (M9).",
}


def headline(report: Report) -> str:
    """One line: the program's verdict and its reasons (the machine has its own line)."""
    verdict = report.target_verdict
    reasons = report.evidence(target_only=True)
    tail = f" ({'; '.join(reasons)})" if reasons and verdict != "pass" else ""
    return HEADLINES[verdict] + tail


def machine_line(report: Report) -> str | None:
    """A must-do item the machine fails, printed beside the program's verdict, never in it."""
    problems = report.machine_problems
    if not problems:
        return None
    listed = "; ".join(f"{c.id} {c.status}: {c.summary}" for c in problems)
    if report.own_project:
        return f"This machine (not the project): {listed}"
    return f"This machine, not the program: {listed}. Fix it before you run the program here."


def next_step(report: Report) -> str:
    return NEXT_STEPS[report.target_verdict]
