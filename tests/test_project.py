"""The project practises what it preaches: its own source passes the rules it teaches."""

from __future__ import annotations

import io
import re
import tokenize

from conftest import ROOT
from pysecbook.teaching.sast import scan_bytes

NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
RULE = r"(B\d{3}|PSB\d{3}|PSB-RF-[A-Z-]+)"  # Bandit's, the project's detections, red flags
NOSEC_WITH_REASON = re.compile(rf"^\s+{RULE}(\s*,\s*{RULE})*\s+-\s+\S.{{5,}}")


def python_sources() -> list:
    return sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "_ext").rglob("*.py")])


def test_every_nosec_names_its_rule_and_reason() -> None:
    bad = []
    for path in python_sources():
        tokens = tokenize.tokenize(io.BytesIO(path.read_bytes()).readline)
        for tok in tokens:
            match = NOSEC.search(tok.string) if tok.type == tokenize.COMMENT else None
            if match and not NOSEC_WITH_REASON.match(match["rest"]):
                bad.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string}")
    assert not bad, "a '# nosec' must read '# nosec BXXX - reason':\n" + "\n".join(bad)


def test_bandit_reports_nothing_above_low_severity_in_src() -> None:
    problems = []
    for path in python_sources():
        result = scan_bytes(path.read_bytes(), str(path))
        assert result.skipped is None, (path, result.skipped)
        problems += [f"{path.relative_to(ROOT)}:{f.line} {f.test_id} {f.severity}"
                     for f in result.findings if f.severity != "LOW"]
    assert not problems, problems
