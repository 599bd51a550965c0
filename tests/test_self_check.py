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
from pysecbook.checker.scan import scan_file
from pysecbook.lab.offline import not_audited


def _supported_on(day):  # type: ignore[no-untyped-def]
    return next(s for s in eol.all_statuses(day) if s.status == "bugfix")


def test_repository_passes_its_own_must_do_checks() -> None:
    day = eol.TABLE_DATE
    version = tuple(int(p) for p in _supported_on(day).version.split("."))
    report = check_target(
        str(ROOT), own_project=True, today=day, environment=RuntimeEnvironment(version, "/venv", None),
        auditor=not_audited,
    )
    failing = [(c.id, c.summary, c.details[:5]) for c in report.failed_must + report.unshown_must]
    assert not failing, failing
    assert report.verdict == report.target_verdict == "pass"
    assert report.unscanned == []
    assert report.check("M8").status == "pass" and f"Python {'.'.join(map(str, version))}" in report.check("M8").summary
    assert report.exit_code == 0


def test_a_red_flag_is_silenced_only_by_a_nosec_that_names_it() -> None:
    """In your own project, a nosec comment drops a red flag only if it names that rule id,
    as a whole token, in a comment."""
    source = "import base64\nexec(base64.b64decode(b'cHJpbnQoMSk='))  {}\n"

    def flags(comment: str) -> list[str]:
        result = scan_file("m.py", source.format(comment).encode(), honour_nosec=True)
        return [f.rule_id for f in result.findings if f.rule_id == "PSB-RF-EXEC-DECODED"]

    assert flags("") == ["PSB-RF-EXEC-DECODED"]
    assert flags("# nosec") == ["PSB-RF-EXEC-DECODED"]  # a bare nosec names nothing
    assert flags("# nosec B102, PSB-RF-EXEC-DECODED-X - a longer id") == ["PSB-RF-EXEC-DECODED"]
    in_a_string = ("import base64\nexec(base64.b64decode(b'cHJpbnQoMSk=')) "
                   "if '# nosec PSB-RF-EXEC-DECODED' else None\n")
    literal = scan_file("m.py", in_a_string.encode(), honour_nosec=True)
    assert [f.rule_id for f in literal.findings if f.source == "redflag"] == ["PSB-RF-EXEC-DECODED"]
    assert flags("# nosec B102, PSB-RF-EXEC-DECODED - a test") == []
    named = scan_file("m.py", source.format("# nosec B102, PSB-RF-EXEC-DECODED - a test").encode(),
                      honour_nosec=True)
    assert named.nosec_honoured == 2  # Bandit's B102 and the red flag, each counted
