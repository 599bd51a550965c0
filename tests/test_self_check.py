"""The project passes its own checklist: no must-do item fails on this repository.

The checks that judge the machine rather than the project (M3, M5, M8) and the one that
needs a vulnerability service (C3) get what they read injected: the day the support table
was checked, an interpreter the table supports on that day, a virtual environment, and an
auditor that says it did not audit. So the verdict is about the repository, and it is the
same on any day, on any machine, with or without a network.
"""

from __future__ import annotations

from conftest import ROOT
from pysecbook.checker import eol
from pysecbook.checker import check_target
from pysecbook.checker.checklist import RuntimeEnvironment
from pysecbook.checker.checklist.audit import AuditResult
from pysecbook.checker.scan import scan_file


def _supported_on(day):  # type: ignore[no-untyped-def]
    return next(s for s in eol.all_statuses(day) if s.status == "bugfix")


def test_repository_passes_its_own_must_do_checks() -> None:
    day = eol.TABLE_DATE
    version = tuple(int(p) for p in _supported_on(day).version.split("."))
    report = check_target(
        str(ROOT), today=day, environment=RuntimeEnvironment(version, "/venv", None),
        auditor=lambda pins: AuditResult("error", f"not audited in the tests ({len(pins)} pins)"),
    )
    failing = [(c.id, c.summary, c.details[:5]) for c in report.failed_must]
    assert not failing, failing
    assert report.unscanned == []
    assert report.check("M8").status == "pass" and f"Python {'.'.join(map(str, version))}" in report.check("M8").summary
    assert report.exit_code == 0


def test_a_red_flag_is_silenced_only_by_a_nosec_that_names_it() -> None:
    source = "import base64\nexec(base64.b64decode(b'cHJpbnQoMSk='))  # nosec {}\n"
    bare = scan_file("m.py", source.format("").encode())[1]
    named = scan_file("m.py", source.format("B102, PSB-RF-EXEC-DECODED - a test").encode())
    assert any(f.rule_id == "PSB-RF-EXEC-DECODED" for f in bare)
    assert not any(f.rule_id == "PSB-RF-EXEC-DECODED" for f in named[1])
    assert named[2] >= 1  # counted as a suppression
