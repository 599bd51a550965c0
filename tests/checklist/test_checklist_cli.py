"""``pysecbook check``: targets of every kind, exit codes, configuration, output files."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from checklist_helpers import TODAY, VENV
from hermetic import closed_port

from conftest import ROOT
from pysecbook.checker import CheckOutcome, Report
from pysecbook.cli import main

WELL = ROOT / "samples" / "well-kept"
SUSPICIOUS = ROOT / "samples" / "suspicious"


@pytest.fixture(autouse=True)
def _same_day_and_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same environment and day everywhere: a virtual environment, not a container, on the
    suite's one injected day."""
    monkeypatch.setattr("pysecbook.checker.checklist.base.detect_environment", lambda: VENV)
    monkeypatch.setattr("pysecbook.checker.checklist.base.today", lambda: TODAY)


@pytest.fixture(scope="module")
def refused_osv() -> str:
    """An OSV URL on 127.0.0.1 that refuses connections: C3 cannot audit, on any network."""
    with closed_port() as port:
        yield f"http://127.0.0.1:{port}/v1/query"


@pytest.fixture
def check(refused_osv: str, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``pysecbook check ARGS`` in this process; returns the exit code, stdout and stderr."""
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["check", *args, "--osv-url", refused_osv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_well_kept_directory_passes(check) -> None:
    code, out, _ = check(str(WELL))
    assert code == 0, out
    assert "\nPASS: every must-do item that can be checked passed" in out
    c3 = next(line for line in out.splitlines() if line.startswith("C3 "))
    assert "ERROR" in c3 and "could not audit" in c3  # the service refused: said, not passed


def test_suspicious_directory_fails(check) -> None:
    code, out, _ = check(str(SUSPICIOUS), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == data["target_verdict"] == "blocked"
    status = {c["id"]: c["status"] for c in data["checks"]}
    assert status["M1"] == status["M2"] == status["M4"] == status["M6"] == "fail"
    assert status["M7"] == "manual"  # a directory without CI: nothing shows what the authors run
    assert status["C1"] == status["C2"] == status["C5"] == "fail"
    rules = {f["rule_id"] for f in data["findings"]}
    assert "PSB-RF-EXEC-DECODED" in rules and "B102" in rules


def _sdist(tmp_path: Path) -> Path:
    out = tmp_path / "tidy-notes-1.2.0.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for p in sorted(WELL.rglob("*")):
            if p.is_file():
                tar.add(p, arcname=f"tidy-notes-1.2.0/{p.relative_to(WELL).as_posix()}")
    return out


def _wheel(tmp_path: Path) -> Path:
    out = tmp_path / "tidy_notes-1.2.0-py3-none-any.whl"
    meta = ("Metadata-Version: 2.4\nName: tidy-notes\nVersion: 1.2.0\nLicense-Expression: MIT\n"
            "Project-URL: Security, https://example.org/security\nRequires-Dist: rich>=13\n")
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted((WELL / "src").rglob("*.py")):
            zf.write(p, p.relative_to(WELL / "src").as_posix())
        zf.writestr("tidy_notes-1.2.0.dist-info/METADATA", meta)
        zf.writestr("tidy_notes-1.2.0.dist-info/RECORD", "")
    return out


def test_sdist(tmp_path: Path, check) -> None:
    code, out, _ = check(str(_sdist(tmp_path)), "--format", "json")
    data = json.loads(out)
    assert data["target"]["kind"] == "sdist"
    assert code == 0, [c for c in data["checks"] if c["status"] != "pass"]
    assert data["files_scanned"] == 3


def test_wheel(tmp_path: Path, check) -> None:
    code, out, _ = check(str(_wheel(tmp_path)), "--format", "json")
    data = json.loads(out)
    assert data["target"]["kind"] == "wheel"
    status = {c["id"]: c["status"] for c in data["checks"]}
    assert status["M6"] == "pass" and status["C5"] == "pass" and status["C4"] == "manual"
    # No CI configuration ships in a wheel: M7 cannot be shown, and says where to look.
    assert status["M7"] == "manual"
    assert data["verdict"] == "review" and code == 3


def test_installed_distribution(check) -> None:
    code, out, _ = check("--installed", "packaging", "--format", "json")
    data = json.loads(out)
    assert data["target"] == {"kind": "installed", "path": "packaging"}
    assert data["files_scanned"] > 10
    status = {c["id"]: c["status"] for c in data["checks"]}
    assert status["M6"] == "pass" and status["C4"] == "manual"
    # An installed distribution carries no CI configuration: the one must-do it cannot show.
    assert [c["id"] for c in data["checks"] if c["level"] == "must" and c["status"] == "manual"] == ["M7", "M9"]
    assert not [c for c in data["checks"] if c["level"] == "must" and c["status"] == "fail"]
    # Its bytecode caches were read and match their sources: nothing to report.
    assert not [f for f in data["findings"] if f["rule_id"].startswith("PSB-RF-BYTECODE")]
    assert code == 3 and data["verdict"] == "review" and data["unscanned"] == []


@pytest.mark.parametrize("args", [
    ["/no/such/target"],
    [],
    ["x", "--installed", "packaging"],
    [str(WELL), "--jobs", "0"],
    [str(WELL), "--format", "pdf"],
    ["--installed", "no-such-distribution-d2"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "pysecbook", "check", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(("pysecbook check: error:", "pysecbook check: error"))


def test_unscanned_file_fails_closed(tmp_path: Path, check) -> None:
    # A file nobody could scan is never a pass: it is left to a person (review, exit 3).
    project = tmp_path / "p"
    shutil.copytree(WELL, project)
    (project / "src" / "tidy_notes" / "old.py").write_text("print 'python 2'\n")
    code, out, _ = check(str(project), "--format", "json")
    data = json.loads(out)
    assert (code, data["verdict"]) == (3, "review")
    assert [(u["path"], u["blocks"]) for u in data["unscanned"]] == [("src/tidy_notes/old.py", False)]
    m2 = {c["id"]: c for c in data["checks"]}["M2"]
    assert m2["status"] == "manual" and "read them by hand" in m2["summary"]
    assert any("not scanned: src/tidy_notes/old.py" in d for d in m2["details"])


def test_unscanned_install_time_code_blocks(tmp_path: Path, check) -> None:
    # setup.py runs when pip builds the package: a setup.py this interpreter cannot parse
    # cannot be judged, and nothing legitimate needs one.
    project = tmp_path / "p"
    shutil.copytree(WELL, project)
    (project / "setup.py").write_text("from setuptools import setup\nsetup(name='x',\n")
    code, out, _ = check(str(project), "--format", "json")
    data = json.loads(out)
    assert (code, data["verdict"]) == (1, "blocked")
    assert [(u["path"], u["blocks"]) for u in data["unscanned"]] == [("setup.py", True)]
    assert {c["id"]: c for c in data["checks"]}["M2"]["status"] == "fail"


def test_exit_code_counts_unscanned_even_when_every_check_passes() -> None:
    ok = CheckOutcome("M1", "must", "t", "pass", "s", (), "u", "e")
    assert Report("directory", "x", [ok], [], []).exit_code == 0
    from pysecbook.checker.scan.model import Unscanned

    assert Report("directory", "x", [ok], [], [Unscanned("a.py", "syntax")]).exit_code == 3
    assert Report("directory", "x", [ok], [], [Unscanned("setup.py", "syntax", True)]).exit_code == 1
    bad = CheckOutcome("C1", "could", "t", "fail", "s", (), "u", "e")
    assert Report("directory", "x", [ok, bad], [], []).exit_code == 0
    err = CheckOutcome("M2", "must", "t", "error", "s", (), "u", "e")
    assert Report("directory", "x", [ok, err], [], []).exit_code == 1


def test_a_machine_problem_is_no_evidence_against_the_program() -> None:
    """An interpreter behind on security releases (M8) on the machine that runs the check:
    the program's verdict stays its own, the machine gets its own line, and someone about to
    run the program here is told to act first (review, exit 3), never to "not run it"."""
    from pysecbook.checker.report.verdict import headline, machine_line, next_step

    ok = CheckOutcome("M1", "must", "t", "pass", "s", (), "u", "e")
    m7 = CheckOutcome("M7", "must", "t", "manual", "no CI here: look at the repository", (), "u", "e")
    m8 = CheckOutcome("M8", "must", "t", "fail", "3.11.7 lacks 10 patch releases", (), "u", "e",
                      judges="machine")
    for checks, program, here in (([ok, m8], "pass", "review"), ([ok, m7, m8], "review", "review")):
        report = Report("wheel", "x.whl", checks, [], [])
        assert (report.target_verdict, report.verdict, report.exit_code) == (program, here, 3)
        assert "M8" not in headline(report) and not next_step(report).startswith("Do not run")
        assert machine_line(report) == ("This machine, not the program: M8 fail: 3.11.7 lacks "
                                        "10 patch releases. Fix it before you run the program here.")
    own = Report("directory", ".", [ok, m8], [], [], own_project=True)
    assert (own.target_verdict, own.exit_code) == ("pass", 0)
    assert machine_line(own) == "This machine (not the project): M8 fail: 3.11.7 lacks 10 patch releases"


def _with_config(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(WELL, project)
    (project / "vendor").mkdir()
    (project / "vendor" / "old.py").write_text("print 'python 2'\n")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.pysecbook]\nexclude = ["vendor/*"]\n'
                         'skip = {C4 = "dates of a fresh copy mean nothing"}\n')
    return project


def test_someone_elses_config_is_reported_not_applied(tmp_path: Path, check) -> None:
    code, out, _ = check(str(_with_config(tmp_path)), "--format", "json")
    data = json.loads(out)
    assert [u["path"] for u in data["unscanned"]] == ["vendor/old.py"]  # excluded by nobody
    assert {c["id"]: c for c in data["checks"]}["C4"]["status"] != "skip"
    asked = [f["message"] for f in data["findings"] if f["rule_id"] == "PSB-TRUST-CONFIG"]
    assert len(asked) == 2 and "asks to skip C4" in asked[0] and "exclude 1 pattern" in asked[1]
    assert data["own_project"] is False and code == 3  # its excluded file: read it by hand


def test_your_own_projects_config_is_applied(tmp_path: Path, check) -> None:
    code, out, _ = check(str(_with_config(tmp_path)), "--own-project", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["unscanned"] == [] and data["own_project"] is True
    c4 = {c["id"]: c for c in data["checks"]}["C4"]
    assert c4["status"] == "skip" and "dates of a fresh copy" in c4["summary"]
    assert not [f for f in data["findings"] if f["rule_id"] == "PSB-TRUST-CONFIG"]


def test_the_current_directory_is_your_own_project(tmp_path: Path, check, monkeypatch) -> None:
    project = _with_config(tmp_path)
    monkeypatch.chdir(project)
    code, out, _ = check(".", "--format", "json")
    assert code == 0 and json.loads(out)["own_project"] is True


def test_a_config_file_of_yours_applies_to_any_target(tmp_path: Path, check) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[tool.pysecbook]\nexclude = ["vendor"]\n')
    code, out, _ = check(str(_with_config(tmp_path)), "--config", str(mine), "--format", "json")
    data = json.loads(out)
    assert data["unscanned"] == [] and data["config_sources"] == [f"--config {mine}"]
    assert data["own_project"] is False
    assert {c["id"]: c for c in data["checks"]}["C4"]["status"] != "skip"  # the target's skip: no


@pytest.mark.parametrize("content", ['[tool.pysecbook]\nskip = [{id = "M7"}]\n',
                                     '[tool.pysecbook]\nskip = {M99 = "x"}\n', "not toml ["])
def test_your_invalid_config_is_a_usage_error(tmp_path: Path, check, content: str) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(content)
    code, _, err = check(str(WELL), "--config", str(mine))
    assert code == 2 and err.startswith("pysecbook check: error: --config ")


def test_your_own_projects_invalid_config_is_a_usage_error(tmp_path: Path, check) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.pysecbook]\nskip = [{id = "M7"}]\n')
    code, _, err = check(str(project), "--own-project")
    assert code == 2 and "M7 needs a reason" in err


def test_someone_elses_invalid_config_is_a_finding_not_an_error(tmp_path: Path, check) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.pysecbook]\nskip = [{id = "M7"}]\n')
    code, out, _ = check(str(project), "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule_id"] == "PSB-TRUST-CONFIG"]
    assert len(found) == 1 and "invalid [tool.pysecbook]" in found[0]["message"]
    assert code == 1  # no licence (M6): a failure of the target, not a usage error


def test_output_and_badge_files(tmp_path: Path, check) -> None:
    report, badge = tmp_path / "r.html", tmp_path / "b.svg"
    code, out, _ = check(str(SUSPICIOUS), "--format", "html", "--output", str(report),
                         "--badge", str(badge))
    assert code == 1 and out == ""
    assert report.read_text().startswith("<!DOCTYPE html>")
    svg = badge.read_text()
    assert "blocked" in svg and "pysecbook" in svg
    import xml.etree.ElementTree as ET  # nosec B405 - parsing our own output in a test

    ET.parse(io.StringIO(svg))  # nosec B314 - our own output


def test_nosec_is_honoured_and_counted_only_in_your_own_project(tmp_path: Path, check) -> None:
    project = tmp_path / "p"
    shutil.copytree(WELL, project)
    (project / "src" / "tidy_notes" / "run.py").write_text(
        "import subprocess  # nosec B404 - fixed command\n"
        "subprocess.run('ls', shell=True)  # nosec B602 - constant string\n")
    _, out, _ = check(str(project), "--own-project", "--format", "json")
    mine = json.loads(out)
    assert mine["nosec_count"] == 2
    assert "2 '# nosec' suppression(s) honoured" in {c["id"]: c for c in mine["checks"]}["M2"]["summary"]
    assert not [f for f in mine["findings"] if f["rule_id"] in ("B404", "B602", "PSB-TRUST-NOSEC")]
    _, out, _ = check(str(project), "--format", "json")
    theirs = json.loads(out)
    assert theirs["nosec_count"] == 0
    rules = [f["rule_id"] for f in theirs["findings"]]
    assert {"B404", "B602", "PSB-TRUST-NOSEC"} <= set(rules)


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "pysecbook-check"
    assert hooks[0]["entry"].startswith("pysecbook check")


def test_hostile_pyproject_is_no_traceback(tmp_path: Path, check) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text("a=" + "[" * 50_000 + "]" * 50_000 + "\n")
    (project / "setup.py").write_text("setup(install_requires=" + "[" * 5_000 + "]" * 5_000 + ")\n")
    code, out, _ = check(str(project), "--format", "json")
    data = json.loads(out)
    assert not [c for c in data["checks"] if c["status"] == "error"]  # no check crashed
    # The pyproject is unreadable, so it declares nothing; the setup.py cannot be parsed,
    # so it is reported as not scanned, and the run fails closed.
    assert data["unscanned"] == [{"path": "setup.py", "reason": "syntax error: too many nested parentheses (line 1)",
                                  "blocks": True}]
    assert code == 1
