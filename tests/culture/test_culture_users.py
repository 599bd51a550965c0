"""The users' page of book/culture: warnings as errors, SBOM, pip-audit, usage policy."""

from __future__ import annotations

from importlib import metadata

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching import culture
from pysecbook.teaching.samples import sample_path
from pysecbook.teaching.risks import deprecation_warnings as dw


def test_deprecated_calls_pass_by_default_and_fail_as_errors() -> None:
    with private_tmpdir() as project:
        dw.write_sample_project(project)
        default = dw.run_tests_insecure(project)
        errors = dw.run_tests_first_try(project)
        strict = dw.run_tests_secure(project)
    assert default.ok, default.stderr
    assert not errors.ok and "FAILED (errors=2)" in errors.stderr
    assert not strict.ok and "FAILED (2 warning(s) or unreported exception(s) recorded; " \
        "tests passed)" in strict.stderr
    for run in (default, errors, strict):
        lines = dw.warning_lines(run)
        assert any(line.startswith("DeprecationWarning: 'locale.getdefaultlocale'") for line in lines)
        assert any(line.startswith("PendingDeprecationWarning: title()") for line in lines)


@pytest.mark.parametrize("attack", [dw.attack_other_categories, dw.attack_in_a_thread,
                                    dw.attack_at_import_time, dw.attack_project_filter])
def test_errors_miss_what_the_recording_runner_reports(attack) -> None:  # type: ignore[no-untyped-def]
    """Each way past PYTHONWARNINGS=error::DeprecationWarning: the first runner passes the
    suite, the recording runner fails it and says what it recorded."""
    assert attack(dw.run_tests_first_try).attack_succeeded
    held = attack(dw.run_tests_secure)
    assert not held.attack_succeeded and "recorded: " in held.observed


def test_the_recording_runner_passes_a_clean_suite_and_reports_failing_tests() -> None:
    with private_tmpdir() as project:
        (project / "test_clean.py").write_text(
            "import unittest\n\nclass T(unittest.TestCase):\n"
            "    def test_ok(self):\n        self.assertEqual(1 + 1, 2)\n", encoding="utf-8")
        clean = dw.run_tests_secure(project)
        (project / "test_clean.py").write_text(
            "import unittest\n\nclass T(unittest.TestCase):\n"
            "    def test_bad(self):\n        self.assertEqual(1 + 1, 3)\n", encoding="utf-8")
        failing = dw.run_tests_secure(project)
    assert clean.ok and clean.stderr.rstrip().endswith("OK"), clean.stderr
    assert not failing.ok and "tests failed" in failing.stderr


def test_sbom_lists_this_environment() -> None:
    sbom = culture.generate_sbom()
    assert sbom.completed.ok, sbom.completed.stderr
    assert sbom.spec_version == "1.6"
    versions = sbom.versions()
    assert len(versions) >= 50
    for name in ("bandit", "jupyter-book", "pip-audit", "cryptography"):
        assert versions[name] == metadata.version(name)
    assert any(t.startswith("cyclonedx-py ") for t in sbom.tools())
    assert sbom.rows(["bandit"])[0].split()[:3] == [
        "bandit", metadata.version("bandit"), f"pkg:pypi/bandit@{metadata.version('bandit')}"]


def test_pip_audit_passes_silently_without_strict_and_fails_with_it() -> None:
    silent = culture.run_pip_audit_not_found(strict=False)
    strict = culture.run_pip_audit_not_found(strict=True)
    assert silent.completed.returncode == 0 and not silent.completed.timed_out
    assert "No known vulnerabilities found" in silent.completed.stderr
    assert silent.completed.stdout.count("could not be audited") == 3
    assert strict.completed.returncode == 1 and not strict.completed.timed_out
    assert "could not be audited" in strict.completed.stderr


def test_usage_policy_allows_the_well_kept_sample_and_refuses_the_suspicious_one() -> None:
    from pysecbook.checker.checklist import get_check
    from pysecbook.checker.checklist.base import CheckContext
    from pysecbook.checker.scan.model import Target

    kept = culture.check_candidate(sample_path("well-kept"))
    suspicious = culture.check_candidate(sample_path("suspicious"))
    assert kept.allowed and not suspicious.allowed
    assert suspicious.exit_code == 1
    assert any(line.startswith("M1 must  FAIL") for line in suspicious.lines)
    assert "not audited here" in str(kept)
    # The machine's own verdict is shown, marked, and is the same as M8 run here directly:
    # it fails an interpreter behind its branch's newest patch release, whatever the project.
    m8 = get_check("M8")().run(CheckContext(Target(kind="directory", path="x", root=None,
                                                   dist_info={}, files=[])))
    line = next(line for line in kept.lines if line.startswith("M8 "))
    assert line == f"M8 must  {m8.status.upper():<6} {m8.summary}  (this machine)"
    # A machine problem is no evidence against the candidate: it asks for action first.
    assert kept.exit_code == (3 if m8.status == "fail" else 0)


def test_policy_documents_ship_with_the_library() -> None:
    assert "pysecbook check" in culture.policy_text("open-source-usage-policy.md")
    template = culture.policy_text("SECURITY-template.md")
    assert "Reporting a vulnerability" in template and "advisory" in template
