"""Dependencies (book/practices/dependencies): advisory matching and pip-audit offline."""

from __future__ import annotations

import pytest

from pysecbook.teaching import dependencies as deps


def test_advisories_load_and_ranges_hold() -> None:
    advisories = deps.load_advisories()
    assert len(advisories) >= 4
    jinja = next(a for a in advisories if a.id == "GHSA-cpwx-vrp4-4pq7")
    assert jinja.affects("3.1.5") and not jinja.affects("3.1.6") and not jinja.affects("3.1.10")


def test_parse_pins_keeps_exact_pins_only() -> None:
    text = "Jinja2==3.1.4  # old\nrequests>=2\n-r other.txt\nsetuptools==69.0.2 --hash=sha256:00\n"
    assert deps.parse_pins(text) == {"jinja2": "3.1.4", "setuptools": "69.0.2"}


def test_parse_pins_reads_a_hashed_lock_file() -> None:
    text = "jinja2==3.1.4 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\npackaging==24.1 \\\n    --hash=sha256:cc\n"
    assert deps.parse_pins(text) == {"jinja2": "3.1.4", "packaging": "24.1"}


def test_sample_lock_is_affected() -> None:
    found = deps.audit(deps.parse_pins(deps.SAMPLE_LOCK))
    assert {f.advisory.id for f in found} == {
        "GHSA-q2x7-8rv6-6q7h", "GHSA-gmj6-6f8f-6699", "GHSA-cpwx-vrp4-4pq7", "GHSA-cx63-2mw6-8hw5"}


def test_pip_audit_offline_strict_fails() -> None:
    """pip-audit itself ran, asked its service, and failed because the service is out of
    reach (its proxy is the refusing port): not a missing module, a crash or a time-out."""
    run = deps.run_pip_audit(strict=True)
    done = run.completed
    assert not done.timed_out and done.returncode == 1, run
    assert "No module named" not in done.stderr, run
    assert "pip_audit" in done.stderr  # the traceback runs through pip-audit's own code
    assert "ProxyError" in done.stderr and "Connection refused" in done.stderr, run
    assert run.argv[:3] == ("--strict", "-r", "requirements.txt")
    shown = str(run)
    assert shown.startswith("$ pip-audit --strict -r requirements.txt") and "(exit code 1)" in shown


def test_a_missing_pip_audit_is_not_taken_for_an_offline_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above can fail: the same run without pip-audit importable says so."""
    from pysecbook.lab import pip_audit

    original = pip_audit.run_python

    def without_pip_audit(code, **kwargs):  # type: ignore[no-untyped-def]
        return original(code, **{**kwargs, "flags": ("-m", "no_such_pip_audit")})

    monkeypatch.setattr(pip_audit, "run_python", without_pip_audit)
    done = deps.run_pip_audit(strict=True).completed
    assert done.returncode == 1 and "No module named" in done.stderr
    assert "ProxyError" not in done.stderr


def test_parse_pins_reads_the_file_as_pip_does() -> None:
    """The checker's requirements reader and its one notion of a pin: ``==1.*`` is a range,
    ``===`` is exact, a ``#`` inside a word is no comment, a comment line ends a continuation."""
    text = ("rich==13.*\nidna===3.10\nattrs==24.1#no-comment\n"
            "jinja2==3.1.4 \\\n# a comment \\\n    --hash=sha256:00\n")
    assert deps.parse_pins(text) == {"idna": "3.10", "jinja2": "3.1.4"}
