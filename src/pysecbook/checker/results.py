"""What one run of ``pysecbook check`` found, and the verdict a user can act on.

Every format in :mod:`pysecbook.checker.report` prints a :class:`Report`. Its verdict is one
of three, so that "do not run this" never reads like "nobody can tell from this file":

- ``blocked``: evidence of danger. A must-do check that failed on evidence or could not
  run, or a gap in the scan that is itself a reason to stop: code run at build or install
  time that could not be scanned, or a part of the target that was never read. Exit code 1.
- ``review``: no evidence of danger, but something a must-do item needs cannot be shown from
  this artifact (a wheel carries no CI configuration, a Bandit finding needs an expert's
  eye, a file could not be scanned): the check's summary says where to look. An incomplete
  scan is never a pass. Exit code 3.
- ``pass``: every must-do item that can be checked passed, and every file was scanned. Exit
  code 0.

M9 (a recovery plan) is always for the user to decide and never changes the verdict. Could-do
checks are reported and never change it either. The checks that judge the machine running
the check rather than the target (M3, M5, M8) never make the program's verdict: an
interpreter that lacks security releases is a reason to fix the machine, not evidence
against the program. They are printed on a line of their own, and for someone about to run
a third-party program here a failed one raises a pass to ``review`` (exit code 3). For the
user's own project (a CI run) the exit code follows the project's own verdict alone.
Book page: ``book/checklist/index`` (section "Reading the verdict").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pysecbook import __version__
from pysecbook.checker.checklist import STATUSES
from pysecbook.checker.scan.model import Finding, Unscanned
from pysecbook.exitcodes import ExitCode

__all__ = ["FAILED", "VERDICTS", "CheckOutcome", "Judgement", "Report", "judge", "worst"]

VERDICTS = ("pass", "review", "blocked")
#: The statuses of a must-do check that count as evidence against what it judges.
FAILED = ("fail", "error")


@dataclass(frozen=True)
class CheckOutcome:
    """One check's definition and its result on this target."""

    id: str
    level: str
    title: str
    status: str
    summary: str
    details: tuple[str, ...]
    url: str
    explanation: str
    #: "target" for checks about the program, "machine" for checks about where it would run.
    judges: str = "target"
    #: The check's roles, as its class declares them (:class:`~pysecbook.checker.checklist.Check`);
    #: left out (None), they are read from the registered check with this id.
    manual_by_nature: bool | None = None
    covers_scan_gaps: bool | None = None
    evidence_in_any_file: bool | None = None

    def __post_init__(self) -> None:
        roles = ("manual_by_nature", "covers_scan_gaps", "evidence_in_any_file")
        if any(getattr(self, r) is None for r in roles):
            from pysecbook.checker.checklist import get_check

            try:
                declared: Any = get_check(self.id)
            except KeyError:
                declared = None
            for role in roles:
                if getattr(self, role) is None:
                    object.__setattr__(self, role, bool(getattr(declared, role, False)))

    @classmethod
    def of(cls, check: Any, result: Any) -> CheckOutcome:
        """The outcome of ``check`` (a check class) that returned ``result`` (a CheckResult)."""
        return cls(check.id, check.level, check.title(), result.status, result.summary,
                   result.details, check.url(), check.explanation(),
                   result.judges or check.judges, manual_by_nature=check.manual_by_nature,
                   covers_scan_gaps=check.covers_scan_gaps,
                   evidence_in_any_file=check.evidence_in_any_file)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "title": self.title, "status": self.status,
                "summary": self.summary, "details": list(self.details), "url": self.url,
                "judges": self.judges}


@dataclass(frozen=True)
class Judgement:
    """What :func:`judge` decided, and everything it decided on."""

    verdict: str  # one of VERDICTS
    #: Reasons given from outside the checks that block on their own (a file that could not be
    #: fetched or verified).
    failures: tuple[str, ...]
    #: Must-do checks about the program that failed or could not run.
    failed: tuple[CheckOutcome, ...]
    #: Must-do checks about the program that this artifact cannot answer: look by hand.
    unshown: tuple[CheckOutcome, ...]
    #: Everything that could not be read or scanned.
    gaps: tuple[Unscanned, ...]
    #: Must-do checks about the machine that failed: never evidence against the program.
    machine: tuple[CheckOutcome, ...]

    @property
    def blocking_gaps(self) -> bool:
        return any(u.blocks for u in self.gaps)

    @property
    def for_use_here(self) -> str:
        """The verdict for someone about to run the program on this machine: a failed
        must-do item of the machine raises a pass to review, and never blocks."""
        return "review" if self.machine and self.verdict == "pass" else self.verdict


def judge(checks: Sequence[CheckOutcome], gaps: Sequence[Unscanned] = (), *,
          failures: Sequence[str] = ()) -> Judgement:
    """The one rule that turns check outcomes and scan gaps into a verdict.

    **blocked** when a reason from outside the checks says so (``failures``), when a must-do
    check about the program failed or could not run, or when a gap blocks (code run at build or
    install time that could not be scanned, a part of the target never read); **review** when
    a must-do item about the program cannot be shown from this artifact (and is not the
    user's decision by nature) or a file could not be scanned; **pass** otherwise. Could-do
    checks never decide, and neither do the checks about the machine: they are returned in
    ``machine``, for :attr:`Judgement.for_use_here`. A single target's :class:`Report` and the
    lock's aggregate both decide here.
    """
    must = [c for c in checks if c.level == "must"]
    target = [c for c in must if c.judges == "target"]
    failed = tuple(c for c in target if c.status in FAILED)
    unshown = tuple(c for c in target if c.status == "manual" and not c.manual_by_nature)
    machine = tuple(c for c in must if c.judges == "machine" and c.status in FAILED)
    gaps = tuple(gaps)
    if failures or failed or any(u.blocks for u in gaps):
        verdict = "blocked"
    elif unshown or gaps:
        verdict = "review"
    else:
        verdict = "pass"
    return Judgement(verdict, tuple(failures), failed, unshown, gaps, machine)


def worst(verdicts: Iterable[str]) -> str | None:
    """The most serious of ``verdicts`` (None when there is none)."""
    ranked = [VERDICTS.index(v) for v in verdicts if v in VERDICTS]
    return VERDICTS[max(ranked)] if ranked else None


@dataclass
class Report:
    """Everything ``pysecbook check`` found on one target: what every format prints."""

    target_kind: str
    target_path: str
    checks: list[CheckOutcome]
    findings: list[Finding]
    unscanned: list[Unscanned]
    files_scanned: int = 0
    nosec_count: int = 0
    fail_on: str = "high"
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: The target's main declaration file (pyproject.toml, setup.py...), where reports anchor
    #: checklist results that concern the whole project.
    manifest: str | None = None
    #: The target is the user's own project: its settings and nosec comments were honoured.
    own_project: bool = False
    #: Where the settings in force came from (command line, --config, own pyproject).
    config_sources: tuple[str, ...] = ()
    tool_name: str = "pysecbook"
    tool_version: str = __version__

    # ------------------------------------------------------------------ verdicts
    @property
    def target_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.judges == "target"]

    @property
    def machine_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.judges == "machine"]

    @property
    def judgement(self) -> Judgement:
        return judge(self.checks, self.unscanned)

    @property
    def verdict(self) -> str:
        """The verdict for someone about to run this program on this machine: the program's
        own, raised to ``review`` when the machine fails a must-do item."""
        return self.judgement.for_use_here

    @property
    def target_verdict(self) -> str:
        """The verdict on the program alone, whatever machine ran the check (the badge's)."""
        return self.judgement.verdict

    @property
    def machine_problems(self) -> list[CheckOutcome]:
        return list(self.judgement.machine)

    @property
    def failed_must(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.level == "must" and c.status in FAILED]

    @property
    def unshown_must(self) -> list[CheckOutcome]:
        """Must-do checks this artifact cannot answer: where the user must look by hand."""
        return list(self.judgement.unshown)

    @property
    def passed(self) -> bool:
        """The verdict that decides the exit code is ``pass``."""
        return self.deciding_verdict == "pass"

    @property
    def deciding_verdict(self) -> str:
        """The verdict behind the exit code: the project's own for the user's own project."""
        return self.target_verdict if self.own_project else self.verdict

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.for_verdict(self.deciding_verdict)

    def evidence(self, *, target_only: bool | None = None) -> list[str]:
        """Why the deciding verdict is what it is, one line per reason (empty for a pass).

        ``target_only`` leaves out the machine checks; by default it does so for the user's
        own project, whose exit code follows the project's verdict.
        """
        skip = self.own_project if target_only is None else target_only
        judgement = self.judgement
        lines = [f"{c.id} {c.status}: {c.summary}" for c in self.failed_must
                 if not (skip and c.judges == "machine")]
        said = any(c.covers_scan_gaps and c.status in (*FAILED, "manual") for c in self.checks)
        if self.unscanned and not said:  # the check that reports gaps was skipped: they count
            lines.append(f"{len(self.unscanned)} file(s) could not be scanned")
        lines += [f"{c.id} not shown: {c.summary}" for c in judgement.unshown]
        return lines

    def check(self, check_id: str) -> CheckOutcome:
        return next(c for c in self.checks if c.id == check_id.upper())

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "target": {"kind": self.target_kind, "path": self.target_path},
            "generated": self.generated.isoformat(timespec="seconds"),
            "verdict": self.deciding_verdict,
            "target_verdict": self.target_verdict,
            "machine_verdict": "fail" if self.machine_problems else "pass",
            "exit_code": self.exit_code,
            "evidence": self.evidence(),
            "own_project": self.own_project,
            "config_sources": list(self.config_sources),
            "fail_on": self.fail_on,
            "files_scanned": self.files_scanned,
            "nosec_count": self.nosec_count,
            "checks": [c.as_dict() for c in self.checks],
            "findings": [f.as_dict() for f in self.findings],
            "unscanned": [{"path": u.path, "reason": u.reason, "blocks": u.blocks}
                          for u in self.unscanned],
        }
