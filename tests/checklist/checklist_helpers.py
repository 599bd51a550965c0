"""Hand-built targets and contexts for the checklist tests (no scanning, no network)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from pysecbook.checklist import CheckContext, RuntimeEnvironment
from pysecbook.scan.model import Finding, ScanOutcome, SourceFile, Target, Unscanned

TODAY = date(2026, 11, 21)
VENV = RuntimeEnvironment((3, 12), "/tmp/venv", None)
GLOBAL = RuntimeEnvironment((3, 12), None, None)
CONTAINER = RuntimeEnvironment((3, 12), None, "/.dockerenv exists")


@dataclass(frozen=True)
class FakeStatus:
    status: str
    message: str
    stale: bool = False


def target(files: dict[str, str | bytes], *, kind: str = "directory", mtime: float | None = None,
           root: str | None = None, dist_info: dict[str, bytes] | None = None) -> Target:
    stamp = time.time() if mtime is None else mtime
    return Target(kind=kind, path="t", root=root, dist_info=dist_info or {}, files=[
        SourceFile(p, d.encode() if isinstance(d, str) else d, stamp) for p, d in files.items()
    ])


def ctx(t: Target, *, findings: list[Finding] = (), unscanned: list[Unscanned] = (),
        env: RuntimeEnvironment = VENV, status: str = "bugfix", auditor=None,
        fail_on: str = "high") -> CheckContext:  # type: ignore[no-untyped-def]
    outcome = ScanOutcome(findings=list(findings), unscanned=list(unscanned), files_scanned=1)
    return CheckContext(t, outcome, fail_on=fail_on, environment=env, today=TODAY,
                        auditor=auditor, support_status=lambda v, d: FakeStatus(status, status))


def finding(severity: str, source: str = "bandit") -> Finding:
    return Finding("B602" if source == "bandit" else "PSB-RF-X", source, "a.py", 3, severity,
                   "high", 78, "something")
