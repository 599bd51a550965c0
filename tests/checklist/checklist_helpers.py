"""Hand-built targets and contexts for the checklist tests (no scanning, no network).

Every date comes from the suite's one injected day (:data:`hermetic.TODAY`), file times
included, so the verdicts do not depend on when the tests run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from hermetic import TODAY, TODAY_TIMESTAMP

from pysecbook.checker.checklist import CheckContext, RuntimeEnvironment
from pysecbook.checker.scan.filescan import imports_of
from pysecbook.checker.scan.model import Finding, ScanOutcome, SourceFile, Target, Unscanned

__all__ = ["CONTAINER", "GLOBAL", "TODAY", "VENV", "FakeStatus", "ctx", "finding", "target"]

VENV = RuntimeEnvironment((3, 12), "/srv/venv", None)
GLOBAL = RuntimeEnvironment((3, 12), None, None)
CONTAINER = RuntimeEnvironment((3, 12), None, "/.dockerenv exists")


@dataclass(frozen=True)
class FakeStatus:
    status: str
    message: str
    stale: bool = False


def target(files: dict[str, str | bytes], *, kind: str = "directory",
           mtime: float = TODAY_TIMESTAMP, root: str | None = None,
           dist_info: dict[str, bytes] | None = None) -> Target:
    return Target(kind=kind, path="t", root=root, dist_info=dist_info or {}, files=[
        SourceFile(p, d.encode() if isinstance(d, str) else d, mtime) for p, d in files.items()
    ])


def imports_of_files(t: Target) -> dict[str, list[tuple[str, int]]]:
    """What the scan's workers report as imports, computed here by the same function."""
    found: dict[str, list[tuple[str, int]]] = {}
    for f in t.files:
        if f.path.endswith(".py"):
            for module, line in imports_of(ast.parse(f.data)):
                found.setdefault(module, []).append((f.path, line))
    return found


def no_audit(pins):  # type: ignore[no-untyped-def]
    """The default auditor of these contexts: a test that reaches C3 must name its own."""
    raise AssertionError(f"this test audits {pins} without injecting an auditor")


def ctx(t: Target, *, findings: list[Finding] = (), unscanned: list[Unscanned] = (),
        env: RuntimeEnvironment = VENV, status: str = "bugfix", auditor=no_audit,
        fail_on: str = "high", own_project: bool = False, head=None) -> CheckContext:  # type: ignore[no-untyped-def]
    outcome = ScanOutcome(findings=list(findings), unscanned=list(unscanned), files_scanned=1,
                          head_commit=head, imports=imports_of_files(t))
    return CheckContext(t, outcome, fail_on=fail_on, environment=env, today=TODAY,
                        auditor=auditor, support_status=lambda v, d: FakeStatus(status, status),
                        own_project=own_project)


def finding(severity: str, source: str = "bandit") -> Finding:
    return Finding("B602" if source == "bandit" else "PSB-RF-X", source, "a.py", 3, severity,
                   "high", 78, "something")
