"""Format a checklist :class:`~pysecbook.checker.checklist.Report`: text, JSON, SARIF, Markdown, HTML.

Formatting only: every function takes a report and returns a string (the SVG badge too, in
:mod:`pysecbook.checker.report.badge`). Nothing here scans or decides. Book page:
``book/checklist/ci``.
"""

from __future__ import annotations

import html as _html
import io
import json
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from pysecbook.checker import Report
from pysecbook.checker.checklist import all_checks

FORMATS = ("text", "json", "sarif", "markdown", "html")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SYMBOL = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "manual": "MANUAL", "skip": "SKIP",
           "error": "ERROR"}
_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "manual": "cyan",
          "skip": "dim", "error": "bold magenta"}


def _verdict(report: Report) -> str:
    if report.passed:
        return "PASS: no must-do check failed and every file was scanned"
    parts = []
    if report.failed_must:
        parts.append(f"must-do check(s) not passed: {', '.join(c.id for c in report.failed_must)}")
    if report.unscanned:
        parts.append(f"{len(report.unscanned)} file(s) could not be scanned")
    return "FAIL: " + "; ".join(parts)


def to_text(report: Report, *, terminal: bool = False, width: int = 100) -> str:
    """A rich table when ``terminal`` is true, otherwise plain lines (for pipes and logs)."""
    head = (f"pysecbook {report.tool_version} check of {report.target_kind} {report.target_path}: "
            f"{report.files_scanned} Python file(s) scanned, {len(report.findings)} finding(s), "
            f"{report.nosec_count} '# nosec' honoured")
    if terminal:
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=True, width=width, highlight=False)
        table = Table(title=head, show_lines=False)
        for col in ("id", "level", "status", "title", "summary"):
            table.add_column(col, overflow="fold")
        for c in report.checks:
            table.add_row(c.id, c.level, f"[{_STYLE[c.status]}]{_SYMBOL[c.status]}[/]", c.title, c.summary)
        console.print(table)
        for f in report.findings:
            console.print(f"{f.path}:{f.line or '-'} {f.rule_id} [{f.severity}/{f.confidence}] {f.message}",
                          markup=False)
        for u in report.unscanned:
            console.print(f"not scanned: {u.path}: {u.reason}", markup=False)
        console.print(_verdict(report), style="bold green" if report.passed else "bold red")
        return buf.getvalue()
    lines = [head, ""]
    for c in report.checks:
        lines.append(f"{c.id:<3} {c.level:<5} {_SYMBOL[c.status]:<6} {c.title}: {c.summary}")
        lines += [f"{'':16}- {d}" for d in c.details]
    if report.findings:
        lines += ["", "Findings:"]
        lines += [f"  {f.path}:{f.line or '-'} {f.rule_id} [{f.severity}/{f.confidence}] {f.message}"
                  for f in report.findings]
    if report.unscanned:
        lines += ["", "Not scanned:"] + [f"  {u.path}: {u.reason}" for u in report.unscanned]
    lines += ["", _verdict(report)]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> str:
    """The JSON shape of issue 5 (tool, target, checks, findings, unscanned, and a summary)."""
    return json.dumps(report.as_dict(), indent=2) + "\n"


def _sarif_level(status_or_severity: str) -> str:
    return {"fail": "error", "error": "error", "warn": "warning", "high": "error",
            "medium": "warning", "low": "note"}.get(status_or_severity, "note")


def _uri(path: str) -> str:
    """A relative path as a valid URI reference (percent-encoded)."""
    return quote(path.lstrip("/"), safe="/") or "."


def to_sarif(report: Report) -> str:
    """SARIF 2.1.0: one run, stable rule ids (``PSB-CHECK-M1``..., Bandit ids, red-flag ids)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    anchor = report.manifest or "."
    for cls in all_checks():
        rules[f"PSB-CHECK-{cls.id}"] = {
            "id": f"PSB-CHECK-{cls.id}",
            "name": "".join(w.capitalize() for w in cls.title().replace("-", " ").split()),
            "shortDescription": {"text": cls.title()},
            "fullDescription": {"text": cls.explanation()},
            "helpUri": cls.url(),
            "properties": {"level": cls.level, "tags": ["security", "checklist"]},
        }
    for c in report.checks:
        if c.status not in ("fail", "warn", "error"):
            continue
        text = f"{c.title}: {c.summary}"
        if c.details:
            text += " (" + "; ".join(c.details[:10]) + ")"
        results.append({
            "ruleId": f"PSB-CHECK-{c.id}",
            "level": _sarif_level(c.status) if c.level == "must" else "warning",
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(anchor)}}}],
            "properties": {"status": c.status, "level": c.level},
        })
    for f in report.findings:
        rules.setdefault(f.rule_id, {
            "id": f.rule_id,
            "shortDescription": {"text": f"{f.source}: {f.rule_id}"},
            "properties": {"tags": ["security", f.source]
                           + ([f"external/cwe/cwe-{f.cwe}"] if f.cwe else [])},
        })
        location: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.path)}}
        if f.line:
            location["region"] = {"startLine": f.line}
        results.append({
            "ruleId": f.rule_id,
            "level": _sarif_level(f.severity),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
            "properties": {"severity": f.severity, "confidence": f.confidence, "source": f.source},
        })
    for u in report.unscanned:
        results.append({
            "ruleId": "PSB-UNSCANNED",
            "level": "error",
            "message": {"text": f"not scanned: {u.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(u.path)}}}],
        })
    if report.unscanned:
        rules["PSB-UNSCANNED"] = {"id": "PSB-UNSCANNED",
                                  "shortDescription": {"text": "A file could not be scanned"}}
    rule_list = list(rules.values())
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool_name,
                "version": report.tool_version,
                "informationUri": "https://github.com/pysecbook/pysecbook",
                "rules": rule_list,
            }},
            "invocations": [{
                "executionSuccessful": True,
                "endTimeUtc": report.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "properties": {"result": "pass" if report.passed else "fail",
                               "target": {"kind": report.target_kind, "path": report.target_path}},
            }],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """A Markdown report: a table of checks, then findings and unscanned files."""
    out = [f"# pysecbook check: {_md(report.target_path)}", "",
           f"{_verdict(report)}  ", f"{report.target_kind}, {report.files_scanned} Python file(s) "
           f"scanned, {report.nosec_count} `# nosec` honoured, pysecbook {report.tool_version}, "
           f"{report.generated:%Y-%m-%d %H:%M} UTC", "",
           "| id | level | status | check | summary |", "| --- | --- | --- | --- | --- |"]
    out += [f"| [{c.id}]({c.url}) | {c.level} | {_SYMBOL[c.status]} | {_md(c.title)} | {_md(c.summary)} |"
            for c in report.checks]
    if report.findings:
        out += ["", "## Findings", "", "| file | line | rule | severity | confidence | message |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {_md(f.path)} | {f.line or ''} | {f.rule_id} | {f.severity} | {f.confidence} | "
                f"{_md(f.message)} |" for f in report.findings]
    if report.unscanned:
        out += ["", "## Not scanned", ""] + [f"- `{_md(u.path)}`: {_md(u.reason)}" for u in report.unscanned]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}.pass{color:#116611}.fail,.error{color:#b00020;
font-weight:bold}.warn{color:#8a5a00}.manual,.skip{color:#355}.verdict{font-size:1.2rem;font-weight:bold}
details{margin:.2rem 0}code{font-size:.9em}
"""


def to_html(report: Report) -> str:
    """One self-contained HTML file: inline CSS, no script, no external resource."""
    e = _html.escape
    rows = []
    for c in report.checks:
        details = ""
        if c.details:
            items = "".join(f"<li>{e(d)}</li>" for d in c.details)
            details = f"<details><summary>{len(c.details)} detail(s)</summary><ul>{items}</ul></details>"
        rows.append(f"<tr><td>{e(c.id)}</td><td>{e(c.level)}</td><td class=\"{e(c.status)}\">"
                    f"{_SYMBOL[c.status]}</td><td>{e(c.title)}</td><td>{e(c.summary)}{details}"
                    f"<br><small>Book section: {e(c.url)}</small></td></tr>")
    findings = "".join(
        f"<tr><td><code>{e(f.path)}</code></td><td>{f.line or ''}</td><td>{e(f.rule_id)}</td>"
        f"<td>{e(f.severity)}</td><td>{e(f.confidence)}</td><td>{e(str(f.cwe or ''))}</td>"
        f"<td>{e(f.message)}</td></tr>" for f in report.findings)
    unscanned = "".join(f"<li><code>{e(u.path)}</code>: {e(u.reason)}</li>" for u in report.unscanned)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pysecbook check: {e(report.target_path)}</title>
<style>{_CSS}</style></head><body>
<h1>pysecbook check: {e(report.target_path)}</h1>
<p class="verdict {'pass' if report.passed else 'fail'}">{e(_verdict(report))}</p>
<p>Target: {e(report.target_kind)} <code>{e(report.target_path)}</code>. {report.files_scanned} Python
file(s) scanned, {len(report.findings)} finding(s), {report.nosec_count} <code># nosec</code> honoured.
Generated {report.generated:%Y-%m-%d %H:%M} UTC by pysecbook {e(report.tool_version)}; severity that fails
the scan: {e(report.fail_on)}.</p>
<h2>Checklist</h2>
<table><thead><tr><th>id</th><th>level</th><th>status</th><th>check</th><th>summary</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Findings</h2>
{'<table><thead><tr><th>file</th><th>line</th><th>rule</th><th>severity</th><th>confidence</th><th>CWE</th><th>message</th></tr></thead><tbody>' + findings + '</tbody></table>' if findings else '<p>None.</p>'}
<h2>Not scanned</h2>
{'<ul>' + unscanned + '</ul>' if unscanned else '<p>Every file was scanned.</p>'}
</body></html>
"""


def render(report: Any, fmt: str, *, terminal: bool = False) -> str:
    """``report`` in format ``fmt`` (one of :data:`FORMATS`): a :class:`Report`, or a
    :class:`~pysecbook.checker.index.outcome.LockReport` of dependencies from an index."""
    if not isinstance(report, Report):
        from pysecbook.checker.report import dependencies as lock

        if fmt == "text":
            return lock.lock_text(report, terminal=terminal)
        return {"json": lock.lock_json, "sarif": lock.lock_sarif, "markdown": lock.lock_markdown,
                "html": lock.lock_html}[fmt](report)
    if fmt == "text":
        return to_text(report, terminal=terminal)
    return {"json": to_json, "sarif": to_sarif, "markdown": to_markdown, "html": to_html}[fmt](report)
