"""The result of checking dependencies fetched from an index: one row each, one verdict.

:class:`DependencyCheck` holds, for one requirement, the index's facts, each file fetched
(its hash status and its full :class:`~pysecbook.checker.runner.Report`) or the reason it
could not be fetched or checked. :class:`LockReport` holds them all with the checks that
concern the lock as a whole (M1, M4). :func:`aggregate` applies the one verdict rule,
:func:`pysecbook.checker.results.judge`, to each release and to the lock's own checks; a
dependency that could not be fetched or checked is blocked, never a pass.
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
from pysecbook.checker.results import CheckOutcome, Judgement, Report, judge, worst
from pysecbook.checker.scan.model import Finding, Unscanned
from pysecbook.exitcodes import ExitCode

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
    exit_code: ExitCode
    reasons: tuple[str, ...]
    #: Must-do checks that judge this machine, not the dependencies (M3, M5, M8), not passed.
    machine: tuple[CheckOutcome, ...] = ()


def _fetch_failure(d: DependencyCheck) -> str | None:
    """Why the dependency could not be judged on its files at all (the first reason)."""
    if d.error:
        return d.error
    if not d.files:
        return "no file was checked"
    for f in d.files:
        if not f.hash_status.startswith("verified"):
            return f.hash_status
        if f.report is None:
            return f"{f.filename}: {f.error}"
    return None


def release_judgement(d: DependencyCheck) -> Judgement:
    """The one verdict rule (:func:`~pysecbook.checker.results.judge`) on a release: every
    file's checks and gaps together. A check whose evidence counts in any file
    (``evidence_in_any_file``: a licence, the authors' CI, which a wheel never carries)
    counts for the whole release when it passes on one of them."""
    reports = [f.report for f in d.files if f.report is not None]
    shown = {c.id for r in reports for c in r.checks
             if c.evidence_in_any_file and c.status == "pass"}
    checks = [c for r in reports for c in r.checks if c.id not in shown]
    gaps = [u for r in reports for u in r.unscanned]
    failure = _fetch_failure(d)
    return judge(checks, gaps, failures=(failure,) if failure else ())


def _dependency_verdict(d: DependencyCheck) -> tuple[str, tuple[str, ...], str | None]:
    """(verdict, checks not passed, why) of one dependency, in the words of its row."""
    j = release_judgement(d)
    failed = tuple(dict.fromkeys(c.id for c in j.failed))
    unshown = tuple(i for i in dict.fromkeys(c.id for c in j.unshown) if i not in failed)
    if j.failures:
        return "blocked", failed, j.failures[0]
    if j.verdict == "blocked":
        what = [f"must-do check(s) not passed: {', '.join(failed)}"] if failed else []
        what += [f"{len(j.gaps)} file(s) not scanned"] if j.gaps else []
        return "blocked", failed + unshown, "; ".join(what)
    if j.verdict == "review":
        what = [f"not shown by these files, check by hand: {', '.join(unshown)}"] if unshown else []
        what += [f"{len(j.gaps)} file(s) not scanned: read them by hand"] if j.gaps else []
        return "review", unshown, "; ".join(what)
    return "pass", (), None


def aggregate(dependencies: list[DependencyCheck], lock_checks: list[CheckOutcome]) -> Aggregate:
    """The verdicts of a requirement or a lock, each decided by the one verdict rule.

    Each dependency is judged by :func:`release_judgement`: **blocked** when it could not be
    fetched or checked, a file's hash was not verified, a file was not scanned in a way that
    blocks, or a must-do check about the program failed or erred; **review** when a must-do
    item cannot be shown from its files or a file was not scanned; **pass** otherwise. The run
    takes the worst of its dependencies and of the same rule on the lock's own checks (M1,
    M4). The checks that judge this machine (M3, M5, M8) are gathered once for the run in
    ``machine``, never as evidence against a package: as in
    :attr:`~pysecbook.checker.results.Report.verdict`, a failed one raises a pass to review,
    since the packages would be installed here. A run in which no dependency was checked is
    blocked.
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
    overall = worst(verdicts)
    if overall is None:
        overall = "blocked"
        reasons.append("no dependency was checked")
    lock = judge(lock_checks)
    for c in lock_checks:
        if c in lock.failed:
            reasons.append(f"{c.id} on the whole run: {c.summary}")
        elif c in lock.unshown:
            reasons.append(f"{c.id} on the whole run, not shown: {c.summary}")
    overall = worst((overall, lock.verdict)) or overall
    problems = [*lock.machine, *(c for d in dependencies for f in d.files
                                 if f.report is not None for c in f.report.machine_problems)]
    first: dict[str, CheckOutcome] = {}
    for c in problems:
        first.setdefault(c.id, c)
    machine = tuple(first.values())
    if machine and overall == "pass":
        overall = "review"  # as Report.verdict: the machine never blocks a package
    return Aggregate(tuple(verdicts), tuple(failed_all), tuple(whys), overall,
                     ExitCode.for_verdict(overall), tuple(reasons), machine)


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
