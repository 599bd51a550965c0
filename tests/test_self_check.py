"""The project passes its own checklist: no must-do item fails on this repository."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from pysecbook.scan import scan_file


def test_repository_passes_its_own_must_do_checks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "self.json"
    done = subprocess.run(
        [sys.executable, "-m", "pysecbook", "check", str(ROOT), "--format", "json",
         "--output", str(report)],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
    )
    data = json.loads(report.read_text())
    failing = [c for c in data["checks"] if c["level"] == "must" and c["status"] in ("fail", "error")]
    assert not failing, failing
    assert data["unscanned"] == []
    assert done.returncode == 0, done.stderr


def test_a_red_flag_is_silenced_only_by_a_nosec_that_names_it() -> None:
    source = "import base64\nexec(base64.b64decode(b'cHJpbnQoMSk='))  # nosec {}\n"
    bare = scan_file("m.py", source.format("").encode())[1]
    named = scan_file("m.py", source.format("B102, PSB-RF-EXEC-DECODED - a test").encode())
    assert any(f.rule_id == "PSB-RF-EXEC-DECODED" for f in bare)
    assert not any(f.rule_id == "PSB-RF-EXEC-DECODED" for f in named[1])
    assert named[2] >= 1  # counted as a suppression
