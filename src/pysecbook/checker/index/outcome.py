"""The result of checking dependencies fetched from an index: one row each, one verdict.

:class:`DependencyCheck` holds, for one requirement, the index's facts, each file fetched
(its hash status and its full :class:`~pysecbook.checker.runner.Report`) or the reason it
could not be fetched or checked. :class:`LockReport` holds them all with the checks that
concern the lock as a whole (M1, M4). :func:`aggregate` is the one place that decides the
verdicts and the exit code; a dependency that could not be fetched or checked fails it.
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
from pysecbook.checker.runner import CheckOutcome, Report
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
            "unscanned": [{"file": n, "path": u.path, "reason": u.reason} for n, u in self.unscanned],
            "index": self.facts.as_dict() if self.facts else None,
            "files": [{"filename": f.filename, "sha256": f.sha256, "hash_status": f.hash_status,
                       "error": f.error, "report": f.report.as_dict() if f.report else None}
                      for f in self.files],
        }


@dataclass(frozen=True)
class Aggregate:
    """The verdict of every dependency and of the whole run, and the exit code."""

    verdicts: tuple[str, ...]  # per dependency: "pass", "fail" or "skipped"
    #: Per dependency: the must-do checks its release does not pass (``M2``, ``M7``...).
    failed: tuple[tuple[str, ...], ...]
    #: Per dependency: why it fails (None when it passes or is skipped).
    why: tuple[str | None, ...]
    verdict: str  # "pass" or "fail"
    exit_code: int
    reasons: tuple[str, ...]


#: Checks that look for evidence (a licence, signs of the authors' scanning): evidence in any
#: file of a release counts for the whole release, since its wheels are built from its sdist
#: and a wheel never carries the repository's CI files. Every other check fails a release
#: when it fails on any one of its files.
RELEASE_WIDE = ("M6", "M7")


def aggregate(dependencies: list[DependencyCheck], lock_checks: list[CheckOutcome]) -> Aggregate:
    """The one place verdicts are decided (adapt it here when ``Report`` gains its own).

    A dependency passes only when it was fetched, every file's hash was verified, every file
    was scanned, and no must-do check fails (the :data:`RELEASE_WIDE` ones: on every file).
    One that could not be fetched or checked fails (closed). The run passes when every
    dependency not skipped passes, at least one was checked, and no must-do check on the
    lock as a whole failed or erred. Exit code 0 for a pass, 1 otherwise.
    """
    def failed_checks(d: DependencyCheck) -> tuple[str, ...]:
        reports = [f.report for f in d.files if f.report is not None]
        failing = [c.id for r in reports for c in r.failed_must]
        passing = {c.id for r in reports for c in r.checks if c.status not in ("fail", "error")}
        return tuple(dict.fromkeys(i for i in failing if not (i in RELEASE_WIDE and i in passing)))

    def failure(d: DependencyCheck, failed: tuple[str, ...]) -> str | None:
        if d.error:
            return d.error
        if not d.files:
            return "no file was checked"
        for f in d.files:
            if not f.hash_status.startswith("verified"):
                return f.hash_status
            if f.report is None:
                return f"{f.filename}: {f.error}"
        what = [f"must-do check(s) not passed: {', '.join(failed)}"] if failed else []
        what += [f"{len(d.unscanned)} file(s) not scanned"] if d.unscanned else []
        return "; ".join(what) or None

    verdicts, failed_all, whys, reasons = [], [], [], []
    for d in dependencies:
        failed = failed_checks(d)
        failed_all.append(failed)
        why = None if d.skipped and not d.error else failure(d, failed)
        whys.append(why)
        verdicts.append("skipped" if d.skipped and not d.error else "fail" if why else "pass")
        if why:
            reasons.append(f"{d.label}: {why}")
    for c in lock_checks:
        if c.level == "must" and c.status in ("fail", "error"):
            reasons.append(f"{c.id} on the whole run: {c.summary}")
    passed = not reasons and any(v == "pass" for v in verdicts)
    if not reasons and not passed:
        reasons.append("no dependency was checked")
    return Aggregate(tuple(verdicts), tuple(failed_all), tuple(whys), "pass" if passed else "fail",
                     0 if passed else 1, tuple(reasons))


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
    def passed(self) -> bool:
        return self.outcome.exit_code == 0

    def as_dict(self) -> dict[str, Any]:
        out = self.outcome
        return {
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "target": {"kind": self.kind, "source": self.source},
            "generated": self.generated.isoformat(timespec="seconds"),
            "result": out.verdict, "reasons": list(out.reasons),
            "index": {"url": self.config.index_url, "origin": self.config.origin,
                      "extra_sources": [{"option": s.option, "value": s.value, "origin": s.origin}
                                        for s in self.config.extra],
                      "config_files": list(self.config.files_read), "offline": self.offline},
            "lock_checks": [c.as_dict() for c in self.lock_checks],
            "notes": list(self.notes),
            "dependencies": [d.as_dict(v, f) for d, v, f in
                             zip(self.dependencies, out.verdicts, out.failed)],
        }
