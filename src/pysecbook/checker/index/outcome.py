"""The result of checking dependencies fetched from an index: one row each, one verdict.

:class:`DependencyCheck` holds, for one requirement, the index's facts, each file fetched
(its hash status and its full :class:`~pysecbook.checker.runner.Report`) or the reason it
could not be fetched or checked. :class:`LockReport` holds them all with the checks that
concern the lock as a whole (M1, M4). :func:`aggregate` is the one place that decides the
verdicts (pass, review, blocked, as :mod:`pysecbook.checker.results` defines them) and the
exit code; a dependency that could not be fetched or checked is blocked, never a pass.
Data only: :mod:`pysecbook.checker.report.dependencies` formats it. Book page:
``book/checklist/before-install``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pysecbook import __version__
from pysecbook.checker.index.config import IndexConfig
from pysecbook.checker.index.facts import IndexFacts
from pysecbook.checker.results import ALWAYS_MANUAL, EXIT_CODES, CheckOutcome, Report, gap_verdict
from pysecbook.checker.scan.model import Finding, Unscanned

__all__ = ["Aggregate", "DependencyCheck", "FileCheck", "LockReport", "aggregate"]


@dataclass
class FileCheck:
    """One file of a release: fetched and verified, then checked; or why not."""

    filename: str
    sha256: str | None
    #: "verified against the index", "... and the lock", "MISMATCH: ...", "not fetched: ..."
    hash_status: str
    report: Report | None = None
    error: str | None = None


@dataclass
class DependencyCheck:
    """One requirement: what the index said, and each file checked."""

    requirement: str
    origin: str | None = None
    name: str | None = None
    version: str | None = None
    facts: IndexFacts | None = None
    files: list[FileCheck] = field(default_factory=list)
    #: Why the dependency could not be fetched or checked at all (it fails: never a pass).
    error: str | None = None
    #: Why it does not apply here (an environment marker): neither checked nor failed.
    skipped: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}" if self.name and self.version else self.requirement

    @property
    def red_flags(self) -> list[tuple[str, Finding]]:
        return [(f.filename, x) for f in self.files if f.report for x in f.report.findings
                if x.source == "redflag"]

    @property
    def unscanned(self) -> list[tuple[str, Unscanned]]:
        return [(f.filename, u) for f in self.files if f.report for u in f.report.unscanned]

    @property
    def hash_status(self) -> str:
        if not self.files:
            return "not fetched"
        bad = [f for f in self.files if not f.hash_status.startswith("verified")]
        if bad:
            return bad[0].hash_status
        both = all("lock" in f.hash_status for f in self.files)
        return "verified against the index and the lock" if both else "verified against the index"

    def as_dict(self, verdict: str, failed: Sequence[str]) -> dict[str, Any]:
        return {
            "requirement": self.requirement, "origin": self.origin, "name": self.name,
            "version": self.version, "verdict": verdict, "error": self.error,
            "skipped": self.skipped, "hash_status": self.hash_status,
            "failed_checks": list(failed),
            "red_flags": [{"file": n, **x.as_dict()} for n, x in self.red_flags],
            "unscanned": [{"file": n, "path": u.path, "reason": u.reason, "blocks": u.blocks}
                          for n, u in self.unscanned],
            "index": self.facts.as_dict() if self.facts else None,
            "files": [{"filename": f.filename, "sha256": f.sha256, "hash_status": f.hash_status,
                       "error": f.error, "report": f.report.as_dict() if f.report else None}
                      for f in self.files],
        }


@dataclass(frozen=True)
class Aggregate:
    """The verdict of every dependency and of the whole run, and the exit code."""

    #: Per dependency: "pass", "review", "blocked" (as :data:`~pysecbook.checker.results.VERDICTS`)
    #: or "skipped" (an environment marker leaves it out here).
    verdicts: tuple[str, ...]
    #: Per dependency: the must-do checks its release does not pass (``M2``...) or cannot show.
    failed: tuple[tuple[str, ...], ...]
    #: Per dependency: why it is blocked or in review (None when it passes or is skipped).
    why: tuple[str | None, ...]
    verdict: str  # one of VERDICTS
    exit_code: int
    reasons: tuple[str, ...]
    #: Must-do checks that judge this machine, not the dependencies (M3, M5, M8), not passed.
    machine: tuple[CheckOutcome, ...] = ()


#: Checks that look for evidence (a licence, signs of the authors' scanning): evidence in any
#: file of a release counts for the whole release, since its wheels are built from its sdist
#: and a wheel never carries the repository's CI files. Every other check counts against a
#: release when it does not pass on any one of its files.
RELEASE_WIDE = ("M6", "M7")

_RANK = {"pass": 0, "review": 1, "blocked": 2}


def _release_checks(d: DependencyCheck) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(failed or erred, not shown) must-do checks of a release's files, judging the target."""
    reports = [f.report for f in d.files if f.report is not None]
    passing = {c.id for r in reports for c in r.target_checks if c.status == "pass"}

    def counted(i: str) -> bool:
        return not (i in RELEASE_WIDE and i in passing)

    failed = [c.id for r in reports for c in r.failed_must if c.judges == "target"]
    unshown = [c.id for r in reports for c in r.unshown_must if c.judges == "target"]
    failed_ids = tuple(dict.fromkeys(i for i in failed if counted(i)))
    return failed_ids, tuple(dict.fromkeys(i for i in unshown if counted(i) and i not in failed_ids))


def _dependency_verdict(d: DependencyCheck) -> tuple[str, tuple[str, ...], str | None]:
    """(verdict, checks not passed, why) of one dependency; it fails closed."""
    failed, unshown = _release_checks(d)
    if d.error:
        return "blocked", failed, d.error
    if not d.files:
        return "blocked", failed, "no file was checked"
    for f in d.files:
        if not f.hash_status.startswith("verified"):
            return "blocked", failed, f.hash_status
        if f.report is None:
            return "blocked", failed, f"{f.filename}: {f.error}"
    gap = gap_verdict([u for _, u in d.unscanned])
    if failed or gap == "blocked":
        what = [f"must-do check(s) not passed: {', '.join(failed)}"] if failed else []
        what += [f"{len(d.unscanned)} file(s) not scanned"] if d.unscanned else []
        return "blocked", failed + unshown, "; ".join(what)
    if unshown or gap == "review":
        what = [f"not shown by these files, check by hand: {', '.join(unshown)}"] if unshown else []
        what += [f"{len(d.unscanned)} file(s) not scanned: read them by hand"] if gap else []
        return "review", unshown, "; ".join(what)
    return "pass", (), None


def aggregate(dependencies: list[DependencyCheck], lock_checks: list[CheckOutcome]) -> Aggregate:
    """The one place the verdicts of a requirement or a lock are decided.

    Each dependency is judged as :class:`~pysecbook.checker.results.Report` judges one
    artifact, on the checks about the program: **blocked** when it could not be fetched or
    checked, a file's hash was not verified, a file was not scanned, or a must-do check
    failed or erred (for the :data:`RELEASE_WIDE` ones: on every file); **review** when a
    must-do item cannot be shown from its files; **pass** otherwise. The run takes the worst
    of its dependencies and of the must-do checks on the lock as a whole (M1, M4). The checks
    that judge this machine (M3, M5, M8) are gathered once for the run in ``machine``, never
    as evidence against a package: as in :attr:`~pysecbook.checker.results.Report.verdict`,
    a failed one raises a pass to review, since the packages would be installed here. A run
    in which no dependency was checked is blocked. Exit codes as
    :data:`~pysecbook.checker.results.EXIT_CODES`.
    """
    verdicts, failed_all, whys, reasons = [], [], [], []
    for d in dependencies:
        if d.skipped and not d.error:
            verdicts.append("skipped")
            failed_all.append(())
            whys.append(None)
            continue
        verdict, failed, why = _dependency_verdict(d)
        verdicts.append(verdict)
        failed_all.append(failed)
        whys.append(why)
        if why:
            reasons.append(f"{d.label}: {why}")
    worst = max((_RANK[v] for v in verdicts if v in _RANK), default=None)
    if worst is None:
        worst = _RANK["blocked"]
        reasons.append("no dependency was checked")
    problems = [c for d in dependencies for f in d.files if f.report is not None
                for c in f.report.machine_problems]
    for c in lock_checks:
        if c.judges == "machine":
            if c.level == "must" and c.status in ("fail", "error"):
                problems.insert(0, c)
        elif c.level == "must" and c.status in ("fail", "error"):
            reasons.append(f"{c.id} on the whole run: {c.summary}")
            worst = _RANK["blocked"]
        elif c.level == "must" and c.status == "manual" and c.id not in ALWAYS_MANUAL:
            reasons.append(f"{c.id} on the whole run, not shown: {c.summary}")
            worst = max(worst, _RANK["review"])
    first: dict[str, CheckOutcome] = {}
    for c in problems:
        first.setdefault(c.id, c)
    machine = tuple(first.values())
    if machine and worst == _RANK["pass"]:
        worst = _RANK["review"]  # as Report.verdict: the machine never blocks a package
    verdict = next(v for v, rank in _RANK.items() if rank == worst)
    return Aggregate(tuple(verdicts), tuple(failed_all), tuple(whys), verdict,
                     EXIT_CODES[verdict], tuple(reasons), machine)


@dataclass
class LockReport:
    """Everything ``pysecbook check NAME`` or ``-r LOCK`` found: what every format prints."""

    source: str  # "demo==1.0", or the lock files' names
    kind: str  # "requirement" or "lock"
    config: IndexConfig
    dependencies: list[DependencyCheck]
    lock_checks: list[CheckOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    offline: bool = False
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    tool_name: str = "pysecbook"
    tool_version: str = __version__

    @property
    def outcome(self) -> Aggregate:
        return aggregate(self.dependencies, self.lock_checks)

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    @property
    def verdict(self) -> str:
        return self.outcome.verdict

    @property
    def passed(self) -> bool:
        return self.outcome.verdict == "pass"

    def as_dict(self) -> dict[str, Any]:
        out = self.outcome
        return {
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "target": {"kind": self.kind, "source": self.source},
            "generated": self.generated.isoformat(timespec="seconds"),
            "verdict": out.verdict, "exit_code": out.exit_code, "reasons": list(out.reasons),
            "machine": [c.as_dict() for c in out.machine],
            "index": {"url": self.config.index_url, "origin": self.config.origin,
                      "extra_sources": [{"option": s.option, "value": s.value, "origin": s.where}
                                        for s in self.config.extra],
                      "config_files": list(self.config.files_read), "offline": self.offline},
            "lock_checks": [c.as_dict() for c in self.lock_checks],
            "notes": list(self.notes),
            "dependencies": [d.as_dict(v, f) for d, v, f in
                             zip(self.dependencies, out.verdicts, out.failed)],
        }
