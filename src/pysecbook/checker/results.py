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

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pysecbook import __version__
from pysecbook.checker.checklist import STATUSES
from pysecbook.checker.scan.model import Finding, Unscanned

__all__ = ["EXIT_CODES", "VERDICTS", "CheckOutcome", "Report", "gap_verdict"]

VERDICTS = ("pass", "review", "blocked")
EXIT_CODES = {"pass": 0, "blocked": 1, "review": 3}
#: Checks whose "manual" is the user's decision by nature, not a gap in the evidence.
ALWAYS_MANUAL = frozenset({"M9"})


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

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "title": self.title, "status": self.status,
                "summary": self.summary, "details": list(self.details), "url": self.url,
                "judges": self.judges}


def gap_verdict(unscanned: list[Unscanned]) -> str | None:
    """What an incomplete scan says on its own, whatever the checks say: ``blocked`` when a
    gap blocks (:class:`~pysecbook.checker.scan.model.Unscanned`), ``review`` when files
    could not be scanned, None when every file was. The one rule for every verdict."""
    if any(u.blocks for u in unscanned):
        return "blocked"
    return "review" if unscanned else None


def _verdict(checks: list[CheckOutcome], unscanned: list[Unscanned]) -> str:
    must = [c for c in checks if c.level == "must"]
    gap = gap_verdict(unscanned)
    if gap == "blocked" or any(c.status in ("fail", "error") for c in must):
        return "blocked"
    if gap == "review" or any(c.status == "manual" and c.id not in ALWAYS_MANUAL for c in must):
        return "review"
    return "pass"


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
    def verdict(self) -> str:
        """The verdict for someone about to run this program on this machine: the program's
        own, raised to ``review`` when the machine fails a must-do item."""
        if self.machine_problems and self.target_verdict == "pass":
            return "review"
        return self.target_verdict

    @property
    def target_verdict(self) -> str:
        """The verdict on the program alone, whatever machine ran the check (the badge's)."""
        return _verdict(self.target_checks, self.unscanned)

    @property
    def machine_problems(self) -> list[CheckOutcome]:
        return [c for c in self.machine_checks if c.level == "must" and c.status in ("fail", "error")]

    @property
    def failed_must(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.level == "must" and c.status in ("fail", "error")]

    @property
    def unshown_must(self) -> list[CheckOutcome]:
        """Must-do checks this artifact cannot answer: where the user must look by hand."""
        return [c for c in self.checks if c.level == "must" and c.status == "manual"
                and c.id not in ALWAYS_MANUAL]

    @property
    def passed(self) -> bool:
        """The verdict that decides the exit code is ``pass``."""
        return self.deciding_verdict == "pass"

    @property
    def deciding_verdict(self) -> str:
        """The verdict behind the exit code: the project's own for the user's own project."""
        return self.target_verdict if self.own_project else self.verdict

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.deciding_verdict]

    def evidence(self, *, target_only: bool | None = None) -> list[str]:
        """Why the deciding verdict is what it is, one line per reason (empty for a pass).

        ``target_only`` leaves out the machine checks; by default it does so for the user's
        own project, whose exit code follows the project's verdict.
        """
        skip = self.own_project if target_only is None else target_only

        def counted(c: CheckOutcome) -> bool:
            return not (skip and c.judges == "machine")

        lines = [f"{c.id} {c.status}: {c.summary}" for c in self.failed_must if counted(c)]
        said = any(c.id == "M2" and c.status in ("fail", "error", "manual") for c in self.checks)
        if self.unscanned and not said:  # M2 skipped by the user's settings: the gap still counts
            lines.append(f"{len(self.unscanned)} file(s) could not be scanned")
        lines += [f"{c.id} not shown: {c.summary}" for c in self.unshown_must if counted(c)]
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
