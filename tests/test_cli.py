"""The command line: version, help, the catalogue and its demonstrations, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from pysecbook import __version__
from pysecbook.cli import main
from pysecbook.teaching.risks import all_risks


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pysecbook", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_version_from_module_and_script() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"pysecbook {__version__}"
    script = subprocess.run([f"{sys.prefix}/bin/pysecbook", "--version"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert script.stdout.strip() == f"pysecbook {__version__}"


def test_help_lists_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    # Each command on a line of its own under "positional arguments", not a word in the prose.
    listed = set(re.findall(r"^ {4}([a-z][\w-]*)(?: {2,}|$)", done.stdout, re.MULTILINE))
    assert {"risks", "demo", "check"} <= listed, done.stdout


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error() -> None:
    done = run("--no-such-option")
    assert done.returncode == 2
    assert "error" in done.stderr
    assert "Traceback" not in done.stderr


def test_risks_json_lists_every_registered_risk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risks", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == [r.id for r in all_risks()]
    for item in data:
        assert isinstance(item["cwe"], int)
        assert isinstance(item["bandit"], list)
        assert isinstance(item["modules"], list) and item["modules"]
        for key in ("insecure", "secure"):
            module, _, qualname = item[key].partition(":")
            assert module.startswith("pysecbook.") and qualname, item[key]


def test_risks_text_names_every_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risks"]) == 0
    out = capsys.readouterr().out
    for risk in all_risks():
        assert risk.id in out


def test_demo_unknown_id_is_exit_2() -> None:
    done = run("demo", "PSB-NO-SUCH-RISK")
    assert done.returncode == 2
    assert "unknown risk id 'PSB-NO-SUCH-RISK'" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "PSB-ASSERT-OPTIMIZE"]) == 0
    out = capsys.readouterr().out
    assert "insecure: attack SUCCEEDED" in out
    assert "  secure: attack failed" in out
