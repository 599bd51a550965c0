"""The words of a verdict, shared by every format: what it means and what to do next.

Each function takes either report: a single target's
:class:`~pysecbook.checker.results.Report`, or a
:class:`~pysecbook.checker.index.outcome.LockReport` of packages fetched from an index.
Book page: ``book/checklist/index`` (section "Reading the verdict").
"""

from __future__ import annotations

from typing import Any

from pysecbook.checker.results import Report

__all__ = ["HEADLINES", "LOCK_NEXT_STEPS", "NEXT_STEPS", "headline", "machine_line", "next_step",
           "shown_verdict"]

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

#: What to do with each verdict of packages fetched from an index, before installing.
LOCK_NEXT_STEPS = {
    "blocked": "Do not install it yet. Read each reason: a dependency that could not be "
               "fetched or verified was not checked at all.",
    "review": "Nothing found shows danger, but something a must-do item needs is not in these "
              "files or could not be scanned: look where each item says (often the project's "
              "repository), read every file not scanned, then decide.",
    "pass": "Install with pip's --require-hashes from the one index checked, in a virtual "
            "environment, and keep the recovery plan of M9.",
    #: Review only because this machine failed one of its own must-do items.
    "machine": "The packages passed: fix this machine first, then install with pip's "
               "--require-hashes from the one index checked.",
}


def shown_verdict(report: Any) -> str:
    """The verdict the headline states: the program's own for a single target (the machine
    has its own line), the run's for packages from an index."""
    return report.target_verdict if isinstance(report, Report) else report.outcome.verdict


def headline(report: Any) -> str:
    """One line: the verdict and its reasons."""
    if isinstance(report, Report):
        verdict = report.target_verdict
        reasons = report.evidence(target_only=True)
        tail = f" ({'; '.join(reasons)})" if reasons and verdict != "pass" else ""
        return HEADLINES[verdict] + tail
    out = report.outcome
    if out.verdict == "pass":
        return "PASS: every dependency was fetched, verified against its hash, and passed"
    if not out.reasons:  # the packages passed; only this machine's line raised it
        return f"{HEADLINES[out.verdict]} (the packages passed; this machine did not, see its line)"
    return f"{HEADLINES[out.verdict]} ({len(out.reasons)} reason(s), listed above)"


def machine_line(report: Any) -> str | None:
    """A must-do item the machine fails, printed beside the verdict, never in it."""
    if isinstance(report, Report):
        problems = report.machine_problems
        if not problems:
            return None
        listed = "; ".join(f"{c.id} {c.status}: {c.summary}" for c in problems)
        if report.own_project:
            return f"This machine (not the project): {listed}"
        return f"This machine, not the program: {listed}. Fix it before you run the program here."
    machine = report.outcome.machine
    if not machine:
        return None
    listed = "; ".join(f"{c.id} {c.status}: {c.summary}" for c in machine)
    return f"This machine, not the packages: {listed}. Fix it before you install here."


def next_step(report: Any) -> str:
    if isinstance(report, Report):
        return NEXT_STEPS[report.target_verdict]
    out = report.outcome
    machine_only = out.verdict == "review" and not out.reasons and out.machine
    return LOCK_NEXT_STEPS["machine" if machine_only else out.verdict]
