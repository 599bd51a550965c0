"""Every output format parses: JSON loads, SARIF validates against the official 2.1.0 schema
(tests/data/sarif-schema-2.1.0.json, the OASIS schema from the oasis-tcs/sarif-spec
repository, Schemata/sarif-schema-2.1.0.json), HTML loads no external resource."""

from __future__ import annotations

import html.parser
import json
import re

import jsonschema
import pytest
from checklist_helpers import TODAY, VENV

from conftest import ROOT
from pysecbook.checker import Report, check_target
from pysecbook.teaching.samples import sample_path
from pysecbook.checker.checklist import all_checks
from pysecbook.checker.report import FORMATS, render, to_text
from pysecbook.checker.report.badge import badge_svg
from pysecbook.checker.scan.model import Unscanned
from pysecbook.lab.offline import not_audited

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    fixed = {"environment": VENV, "today": TODAY, "auditor": not_audited}
    out = {name: check_target(sample_path(name), **fixed) for name in ("well-kept", "suspicious")}
    broken = check_target(sample_path("suspicious"), **fixed)
    broken.unscanned.append(Unscanned("pkg/<odd> & \"name\".py", "syntax error"))
    out["broken"] = broken
    return out


def test_json_shape(reports: dict[str, Report]) -> None:
    for report in reports.values():
        data = json.loads(render(report, "json"))
        assert set(data["tool"]) == {"name", "version"}
        assert set(data["target"]) == {"kind", "path"}
        assert [c["id"] for c in data["checks"]] == [c.id for c in all_checks()]
        for c in data["checks"]:
            assert {"id", "level", "title", "status", "summary", "url"} <= set(c)
            assert c["status"] in ("pass", "fail", "warn", "manual", "skip", "error")
        for f in data["findings"]:
            assert set(f) == {"rule_id", "source", "path", "line", "severity", "confidence", "cwe", "message"}
        for u in data["unscanned"]:
            assert set(u) == {"path", "reason", "blocks"}


def test_sarif_validates_against_the_official_schema(reports: dict[str, Report]) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for name, report in reports.items():
        log = json.loads(render(report, "sarif"))
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, (name, [f"{list(e.path)}: {e.message}" for e in errors[:5]])
        run = log["runs"][0]
        rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
        assert len(rules) == len(set(rules))
        for result in run["results"]:
            assert rules[result["ruleIndex"]] == result["ruleId"]
            assert result["locations"], result  # code scanning wants a location


def test_sarif_rule_ids_are_stable(reports: dict[str, Report]) -> None:
    log = json.loads(render(reports["suspicious"], "sarif"))
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert rules[:14] == [f"PSB-CHECK-{c.id}" for c in all_checks()]
    ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert {"PSB-CHECK-M1", "B102", "PSB-RF-EXEC-DECODED"} <= ids


class _Refs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [f"{tag} {k}={v}" for k, v in attrs if k in ("src", "href", "srcset", "action", "data")]


def test_html_is_self_contained(reports: dict[str, Report]) -> None:
    for report in reports.values():
        page = render(report, "html")
        parser = _Refs()
        parser.feed(page)
        assert not parser.refs, parser.refs
        assert not {"script", "link", "img", "iframe", "object"} & set(parser.tags)
        assert "@import" not in page and "url(" not in page
    broken = render(reports["broken"], "html")
    assert "&lt;odd&gt; &amp; &quot;name&quot;.py" in broken  # escaped, not markup


def test_markdown_and_text(reports: dict[str, Report]) -> None:
    md = render(reports["suspicious"], "markdown")
    assert md.startswith("# pysecbook check")
    assert md.count("\n| [") == 14
    plain = render(reports["suspicious"], "text")
    assert "\x1b[" not in plain and "\nBLOCKED: evidence of danger (" in plain
    coloured = to_text(reports["suspicious"], terminal=True)
    assert "\x1b[" in coloured


def test_every_format_renders(reports: dict[str, Report]) -> None:
    for fmt in FORMATS:
        for report in reports.values():
            assert render(report, fmt).strip()


def test_badge_states_result_date_and_version(reports: dict[str, Report]) -> None:
    import xml.etree.ElementTree as ET  # nosec B405 - parsing our own output in a test

    good = badge_svg(reports["well-kept"])
    bad = badge_svg(reports["suspicious"])
    assert "passed" in good and "blocked" in bad
    day = reports["well-kept"].generated.strftime("%Y-%m-%d")
    assert day in good
    assert reports["well-kept"].tool_version in good
    for svg in (good, bad):
        ET.fromstring(svg)  # nosec B314 - our own output
        assert not re.search(r"(href|src)=", svg)
