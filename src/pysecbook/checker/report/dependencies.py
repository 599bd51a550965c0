"""Format a :class:`~pysecbook.checker.index.outcome.LockReport`: text, JSON, SARIF, Markdown, HTML.

One row per dependency (verdict, red flags, unscanned files, hash status, must-do checks not
passed), the checks on the lock as a whole, the reasons for the overall verdict; for a single
requirement, each file's full checklist follows. Every string from the index or an archive
is hostile: it goes through :func:`_clean` (text), :func:`_md` (Markdown) or
:func:`html.escape` (HTML), all rendering of one format being in one function here.
SARIF results carry the dependency as a logical location and the file inside the archive
as ``<archive>/<path>``. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import html as _html
import io
import json
import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pysecbook.checker.index.outcome import Aggregate, DependencyCheck, LockReport
from pysecbook.checker.report import (
    _CSS, _SYMBOL, SARIF_SCHEMA, _md, _uri, to_markdown, to_sarif, to_text,
)

__all__ = ["lock_html", "lock_json", "lock_markdown", "lock_sarif", "lock_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean(text: object) -> str:
    """One line of untrusted text, safe on a terminal: control and bidi characters shown as
    ``\\xNN`` escapes, so a name or a yank reason cannot move the cursor or recolour a line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(text).replace("\n", " "))


def _rows(report: LockReport, out: Aggregate) -> list[tuple[str, str, str, str, str, str]]:
    """(dependency, verdict, red flags, unscanned, hash status, failed checks or reason)."""
    rows = []
    for d, verdict, failed, reason in zip(report.dependencies, out.verdicts, out.failed, out.why):
        why = ", ".join(failed) if failed and not d.error else reason or d.skipped or "-"
        rows.append((d.label, verdict.upper(), str(len(d.red_flags)), str(len(d.unscanned)),
                     d.hash_status, why))
    return rows


def _head(report: LockReport) -> str:
    n = len(report.dependencies)
    what = f"{n} dependenc{'y' if n == 1 else 'ies'}" if report.kind == "lock" else "one requirement"
    cached = ", offline (cache only)" if report.offline else ""
    return (f"pysecbook {report.tool_version} check of {report.kind} {report.source}: {what}, "
            f"against {report.config.index_url} ({report.config.origin}){cached}")


def _lock_title(report: LockReport) -> str:
    return "The lock as a whole" if report.kind == "lock" else "Where packages would come from"


def _verdict_line(out: Aggregate) -> str:
    if out.exit_code == 0:
        return "PASS: every dependency was fetched, verified and passed its must-do checks"
    return f"FAIL: {len(out.reasons)} reason(s), see above"


def lock_text(report: LockReport, *, terminal: bool = False, width: int = 110) -> str:
    """A rich table on a terminal, plain lines otherwise; full file reports for one requirement."""
    out = report.outcome
    rows = _rows(report, out)
    cols = ("dependency", "verdict", "red flags", "unscanned", "hash", "checks not passed / why")
    buf = io.StringIO()
    if terminal:
        console = Console(file=buf, force_terminal=True, width=width, highlight=False)
        table = Table(title=Text(_clean(_head(report))))
        for col in cols:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(Text(_clean(cell), style="bold red" if cell == "FAIL" else "")
                            for cell in row))
        console.print(table)
        lines: list[str] = []
    else:
        lines = [_clean(_head(report)), ""]
        lines += [f"{_clean(r[0])}  {r[1]}  red flags {r[2]}  unscanned {r[3]}  hash: "
                  f"{_clean(r[4])}  {_clean(r[5])}" for r in rows]
    lines += ["", _lock_title(report) + ":"]
    for c in report.lock_checks:
        lines.append(f"  {c.id:<3} {c.level:<5} {_SYMBOL[c.status]:<6} {c.title}: {_clean(c.summary)}")
        lines += [f"{'':18}- {_clean(x)}" for x in c.details]
    flags = [(d, name, f) for d in report.dependencies for name, f in d.red_flags]
    if flags:
        lines += ["", "Red flags:"] + [
            f"  {_clean(d.label)} {_clean(name)}/{_clean(f.path)}:{f.line or '-'} {f.rule_id} "
            f"[{f.severity}] {_clean(f.message)}" for d, name, f in flags]
    lines += [f"Note: {_clean(n)}" for n in report.notes]
    if out.reasons:
        lines += ["", "Why it fails:"] + [f"  - {_clean(r)}" for r in out.reasons]
    lines += ["", _verdict_line(out)]
    if terminal:
        for line in lines:
            console.print(line, markup=False, highlight=False)
        text = buf.getvalue()
    else:
        text = "\n".join(lines) + "\n"
    if report.kind == "requirement":  # each file's full checklist, as plain cleaned lines
        for f in report.dependencies[0].files:
            if f.report is not None:
                text += f"\n--- {_clean(f.filename)} ---\n" + "".join(
                    _clean(line) + "\n" for line in to_text(f.report).splitlines())
    return text


def lock_json(report: LockReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def _where(d: DependencyCheck) -> dict[str, Any]:
    """The dependency as a SARIF logical location."""
    return {"name": d.label, "kind": "package",
            "fullyQualifiedName": f"pypi:{d.name or d.requirement}@{d.version or ''}".rstrip("@")}


def _origin(origin: str | None) -> dict[str, Any]:
    """A lock file line ("requirements.txt:12", "pylock.toml:packages[3]") as a SARIF
    physical location; anything else (an environment variable) as the working directory."""
    path, line = origin or ".", ""
    head, _, tail = path.rpartition(":")
    if head and tail.isdigit():
        path, line = head, tail
    elif head and tail.startswith("packages["):
        path = head
    if " " in path:
        path = "."
    loc: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line:
        loc["region"] = {"startLine": int(line)}
    return loc


def lock_sarif(report: LockReport) -> str:
    """SARIF 2.1.0, one run: each file's results (from the single-target SARIF, relocated into
    ``<archive>/<path>`` with the dependency as a logical location), one ``PSB-DEPENDENCY``
    result per dependency that does not pass, and the lock's own failed checks."""
    out = report.outcome
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for d, verdict, why in zip(report.dependencies, out.verdicts, out.why):
        for f in d.files:
            if f.report is None:
                continue
            run = json.loads(to_sarif(f.report))["runs"][0]
            for rule in run["tool"]["driver"]["rules"]:
                rules.setdefault(rule["id"], rule)
            for r in run["results"]:
                for loc in r["locations"]:
                    art = loc["physicalLocation"]["artifactLocation"]
                    art["uri"] = f"{_uri(f.filename)}/{art['uri']}".rstrip("/.")
                    loc["logicalLocations"] = [_where(d)]
                r.pop("ruleIndex", None)
                results.append(r)
        if verdict == "fail":
            results.append({"ruleId": "PSB-DEPENDENCY", "level": "error",
                             "message": {"text": f"{d.label}: {why}"},
                            "locations": [{"physicalLocation": _origin(d.origin),
                                           "logicalLocations": [_where(d)]}],
                            "properties": {"hash_status": d.hash_status}})
    rules["PSB-DEPENDENCY"] = {"id": "PSB-DEPENDENCY", "shortDescription": {
        "text": "A dependency could not be fetched, verified or checked, or fails a must-do check"}}
    for c in report.lock_checks:
        if c.status in ("fail", "warn", "error"):
            rules.setdefault(f"PSB-CHECK-{c.id}", {"id": f"PSB-CHECK-{c.id}",
                                                   "shortDescription": {"text": c.title}})
            for detail in c.details or (c.summary,):
                results.append({"ruleId": f"PSB-CHECK-{c.id}",
                                "level": "error" if c.status != "warn" else "warning",
                                "message": {"text": f"{c.title}: {detail}"},
                                "locations": [{"physicalLocation": _origin(detail.split(": ")[0])}]})
    rule_list = list(rules.values())
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": report.tool_name, "version": report.tool_version,
                            "informationUri": "https://github.com/pysecbook/pysecbook",
                            "rules": rule_list}},
        "invocations": [{"executionSuccessful": True,
                         "endTimeUtc": report.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "properties": {"result": out.verdict, "target": {
                             "kind": report.kind, "source": report.source,
                             "index": report.config.index_url}}}],
        "results": results}]}
    return json.dumps(log, indent=2) + "\n"


def lock_markdown(report: LockReport) -> str:
    out = report.outcome
    lines = [f"# pysecbook check: {_md(report.source)}", "", f"{_md(_verdict_line(out))}  ",
             _md(_head(report)), "",
             "| dependency | verdict | red flags | unscanned | hash | checks not passed / why |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in _rows(report, out)]
    lines += ["", f"## {_lock_title(report)}", "", "| id | status | check | summary |",
              "| --- | --- | --- | --- |"]
    lines += [f"| [{c.id}]({c.url}) | {_SYMBOL[c.status]} | {_md(c.title)} | {_md(c.summary)} |"
              for c in report.lock_checks]
    if out.reasons:
        lines += ["", "## Why it fails", ""] + [f"- {_md(r)}" for r in out.reasons]
    if report.kind == "requirement":
        for f in report.dependencies[0].files:
            if f.report is not None:
                lines += ["", to_markdown(f.report).replace("# pysecbook check:", "## File:", 1)]
    return "\n".join(lines) + "\n"


def lock_html(report: LockReport) -> str:
    """One self-contained HTML file: inline CSS, no script, no external resource."""
    e = _html.escape
    out = report.outcome
    rows = "".join("<tr>" + "".join(
        f"<td class=\"{'fail' if cell == 'FAIL' else 'pass' if cell == 'PASS' else ''}\">{e(cell)}</td>"
        for cell in row) + "</tr>" for row in _rows(report, out))
    def check_rows(checks: list[Any]) -> str:
        return "".join(f"<tr><td>{e(c.id)}</td><td class=\"{e(c.status)}\">{_SYMBOL[c.status]}"
                       f"</td><td>{e(c.title)}</td><td>{e(c.summary)}<ul>"
                       + "".join(f"<li>{e(x)}</li>" for x in c.details) + "</ul></td></tr>"
                       for c in checks)

    lock = check_rows(report.lock_checks)
    reasons = "".join(f"<li>{e(r)}</li>" for r in out.reasons)
    files = ""
    for d in report.dependencies:
        for f in d.files:
            if f.report is None:
                continue
            checks = check_rows(f.report.checks)
            files += (f"<details><summary>{e(d.label)}: <code>{e(f.filename)}</code> "
                      f"({e(f.hash_status)})</summary><table><tbody>{checks}</tbody></table></details>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pysecbook check: {e(report.source)}</title>
<style>{_CSS}</style></head><body>
<h1>pysecbook check: {e(report.source)}</h1>
<p class="verdict {'pass' if out.exit_code == 0 else 'fail'}">{e(_verdict_line(out))}</p>
<p>{e(_head(report))}. Generated {report.generated:%Y-%m-%d %H:%M} UTC.</p>
<h2>Dependencies</h2>
<table><thead><tr><th>dependency</th><th>verdict</th><th>red flags</th><th>unscanned</th><th>hash</th>
<th>checks not passed / why</th></tr></thead><tbody>{rows}</tbody></table>
<h2>{e(_lock_title(report))}</h2>
<table><tbody>{lock}</tbody></table>
{'<h2>Why it fails</h2><ul>' + reasons + '</ul>' if reasons else ''}
<h2>Files checked</h2>
{files or '<p>None.</p>'}
</body></html>
"""
