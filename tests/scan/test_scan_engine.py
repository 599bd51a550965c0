"""The scanning engine: Bandit on every Python file, in parallel, with progress and counts."""

from __future__ import annotations

from pathlib import Path

import hermetic
import pytest

from pysecbook.checker.scan import SourceFile, Target, is_python_source, open_target, scan

INSECURE = b"import subprocess\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
SUPPRESSED = b"import pickle\n\ndef load(b):\n    return pickle.loads(b)  # nosec B301\n"


def project(tmp_path: Path, n: int = 40) -> Path:
    for i in range(n):
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / f"m{i:02}.py").write_bytes(INSECURE if i % 2 else SUPPRESSED)
    (tmp_path / "pkg" / "broken.py").write_bytes(b"def f(:\n")
    (tmp_path / "README.md").write_text("# demo\n")
    return tmp_path


def as_set(outcome):
    return ({f.as_dict().__repr__() for f in outcome.findings},
            set(outcome.unscanned), outcome.files_scanned, outcome.nosec_count)


@pytest.mark.timeout(60)
def test_parallel_and_serial_agree(tmp_path: Path) -> None:
    target = open_target(str(project(tmp_path)))
    assert as_set(scan(target, jobs=1)) == as_set(scan(target, jobs=2))


def test_bandit_findings_and_counts(tmp_path: Path) -> None:
    outcome = scan(open_target(str(project(tmp_path))), jobs=2, own_project=True)
    b602 = [f for f in outcome.findings if f.rule_id == "B602"]
    assert len(b602) == 20
    f = b602[0]
    assert (f.source, f.severity, f.confidence, f.cwe, f.line) == ("bandit", "high", "high", 78, 4)
    assert not [f for f in outcome.findings if f.rule_id == "B301"]  # suppressed by # nosec
    assert outcome.nosec_count == 20  # ... and counted
    assert outcome.files_scanned == 40
    assert [u.path for u in outcome.unscanned] == ["pkg/broken.py"]
    assert "syntax error" in outcome.unscanned[0].reason


def test_someone_elses_nosec_is_reported_not_honoured(tmp_path: Path) -> None:
    outcome = scan(open_target(str(project(tmp_path))), jobs=2)
    assert len([f for f in outcome.findings if f.rule_id == "B301"]) == 20  # still reported
    refused = [f for f in outcome.findings if f.rule_id == "PSB-TRUST-NOSEC"]
    assert len(refused) == 20 and {f.severity for f in refused} == {"low"}
    assert outcome.nosec_count == 0 and outcome.nosec_lines["pkg/m00.py"] == [4]


def test_progress_is_called_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    scan(open_target(str(project(tmp_path))), jobs=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 41) and calls[-1] == (41, 41)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_reading_problems_are_carried_into_the_outcome(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "out.py").symlink_to("/etc/hostname")
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    assert [u.path for u in outcome.unscanned] == ["out.py"]
    assert [f.rule_id for f in outcome.findings] == ["PSB-DIR-SYMLINK-OUTSIDE"]


def test_which_files_are_python() -> None:
    assert is_python_source(SourceFile("a/b.py", b""))
    assert is_python_source(SourceFile("bin/tool", b"#!/usr/bin/env python3\nx = 1\n"))
    assert not is_python_source(SourceFile("bin/tool.sh", b"#!/usr/bin/env python3\n"))
    assert not is_python_source(SourceFile("bin/tool", b"#!/bin/sh\n"))
    assert not is_python_source(SourceFile("a/b.pyi", b""))


def test_in_memory_target() -> None:
    target = Target(kind="sdist", path="demo.tar.gz",
                    files=[SourceFile("setup.py", b"import os\nos.system('id')\n")])
    rules = {f.rule_id for f in scan(target, jobs=1).findings}
    assert {"B605", "PSB-RF-SETUP-PROCESS"} <= rules


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_on_one_file_fails_closed(tmp_path: Path, jobs: int) -> None:
    outcome = scan(open_target(str(project(tmp_path))), jobs=jobs, worker=hermetic.fail_on_m03)
    reasons = {u.path: u.reason for u in outcome.unscanned}
    assert reasons["pkg/m03.py"] == "scanner error: ValueError: boom"
    assert outcome.files_scanned == 39
