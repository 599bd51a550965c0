"""What the page on writing detections runs: the project's Bandit rules, seen from outside.

The rules themselves live on the checker side (:mod:`pysecbook.checker.detections`); this
module only shows them at work: on their own samples, through the ``bandit`` command line
as a user runs it, and through ``pysecbook check``'s scanner.
Book page: ``book/culture/detections``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pysecbook.checker.detections import Detection, all_detections
from pysecbook.checker.scan import scan_file
from pysecbook.checker.scan.sast import scan_bytes
from pysecbook.lab.child import private_tmpdir, run_python

__all__ = ["SampleReport", "all_sample_reports", "bandit_cli", "bandit_ids_by_family",
           "check_findings", "listed_by_bandit_help", "sample_report"]


@dataclass(frozen=True)
class SampleReport:
    """How one detection did on the samples it carries."""

    id: str
    flagged: int
    flags: int
    passed: int
    passes: int

    @property
    def ok(self) -> bool:
        return self.flagged == self.flags and self.passed == self.passes

    def __str__(self) -> str:
        return (f"{self.id}: flags {self.flagged} of {self.flags} samples, passes "
                f"{self.passed} of {self.passes} near misses{'' if self.ok else '  <- WRONG'}")


def sample_report(detection: Detection) -> SampleReport:
    """Scan every sample of ``detection`` with the installed Bandit and count the verdicts."""
    def fires(source: str) -> bool:
        return detection.id in scan_bytes(source.encode("utf-8"), f"{detection.id}.py").test_ids

    return SampleReport(
        id=detection.id,
        flagged=sum(fires(s) for s in detection.flags), flags=len(detection.flags),
        passed=sum(not fires(s) for s in detection.passes), passes=len(detection.passes),
    )


def bandit_ids_by_family() -> dict[str, list[str]]:
    """The test ids Bandit has loaded, grouped by their first characters (B1xx, PSB3xx...)."""
    from bandit.core import extension_loader

    manager = extension_loader.MANAGER
    ids = sorted({*manager.plugins_by_id, *manager.blacklist_by_id})
    grouped: dict[str, list[str]] = {}
    for test_id in ids:
        family = re.sub(r"\d\d$", "xx", test_id)
        grouped.setdefault(family, []).append(test_id)
    return grouped


def listed_by_bandit_help() -> list[str]:
    """The lines of ``bandit -h`` (its list of loaded tests) that name a project rule."""
    with private_tmpdir() as tmp:
        done = run_python(None, cwd=tmp, flags=["-m", "bandit"], args=["-h"])
    return [line.strip() for line in done.stdout.splitlines() if re.match(r"\s*PSB\d{3}\b", line)]


def bandit_cli(source: str, *args: str) -> list[str]:
    """Run ``bandit`` (the command line, in a child process) on ``source``: one line per result."""
    with private_tmpdir() as tmp:
        (tmp / "target.py").write_text(source, encoding="utf-8")
        done = run_python(None, cwd=tmp, flags=["-m", "bandit"],
                          args=["-q", "-f", "json", *args, "target.py"])
    results = json.loads(done.stdout or "{}").get("results", [])
    return [f"{r['test_id']} ({r['test_name']}) line {r['line_number']}: "
            f"{r['issue_severity']}/{r['issue_confidence']}" for r in results]


def check_findings(source: str, path: str = "target.py", *, own_project: bool = True) -> list[str]:
    """What ``pysecbook check``'s scanner reports for one file: one line per finding.

    ``own_project`` says whose file it is: nosec comments are honoured, and counted, only in
    the reader's own project; in anyone else's the finding stays and the comment is reported.
    """
    result = scan_file(path, source.encode("utf-8"), honour_nosec=own_project)
    lines = [f"{f.rule_id} [{f.source}] {f.path}:{f.line} {f.severity}/{f.confidence} "
             f"CWE-{f.cwe}" for f in result.findings]
    if result.nosec_honoured:
        lines.append(f"({result.nosec_honoured} finding(s) suppressed by your nosec comments)")
    if result.unscanned:
        lines.append(f"(not scanned: {result.unscanned})")
    return lines


def all_sample_reports() -> list[SampleReport]:
    """:func:`sample_report` for every detection."""
    return [sample_report(d) for d in all_detections()]
