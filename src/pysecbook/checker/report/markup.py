"""The report as Markdown (for a pull request or a wiki) and as one self-contained HTML page.

Both render :func:`~pysecbook.checker.report.safe.sanitized` strings and then escape their
own syntax: in Markdown every character that could start markup (``|``, backticks, ``<``,
``*``, ``_``, brackets...) is backslash-escaped or HTML-encoded, in table cells as in lists,
so no target string opens a code span, a link, a table cell or an HTML tag; in HTML
everything is escaped, and the page loads nothing.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

from pysecbook.checker.report import lock
from pysecbook.checker.report.safe import sanitized
from pysecbook.checker.report.text import SYMBOL
from pysecbook.checker.report.verdict import headline, machine_line, next_step, shown_verdict
from pysecbook.checker.results import Report

__all__ = ["md_text", "to_html", "to_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_text(text: str) -> str:
    """Text that Markdown shows as it is: markup characters escaped, HTML encoded."""
    encoded = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", encoded).replace("\n", " ")


def to_markdown(report: Any) -> str:
    """A Markdown report: the verdict, a table of checks, then findings and unscanned files;
    for packages from an index, one row per dependency and the lock's own checks."""
    if not isinstance(report, Report):
        return _lock_markdown(report)
    r = sanitized(report)
    machine = machine_line(r)
    whose = "your own project" if r.own_project else "someone else's program"
    out = [f"# pysecbook check: {md_text(r.target_path)}", "",
           f"**{md_text(headline(r))}**  ", *([f"{md_text(machine)}  "] if machine else []),
           f"{md_text(next_step(r))}", "",
           f"{r.target_kind}, {r.files_scanned} code file(s) scanned, {r.nosec_count} `# nosec` "
           f"honoured, {whose}, "
           f"pysecbook {md_text(r.tool_version)}, {r.generated:%Y-%m-%d %H:%M} UTC", "",
           "| id | level | status | check | summary |", "| --- | --- | --- | --- | --- |"]
    out += [f"| [{c.id}]({c.url}) | {c.level} | {SYMBOL[c.status]} | {md_text(c.title)} | "
            f"{md_text(c.summary)} |" for c in r.checks]
    if r.findings:
        out += ["", "## Findings", "", "| file | line | rule | severity | confidence | message |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {md_text(f.path)} | {f.line or ''} | {md_text(f.rule_id)} | {f.severity} | "
                f"{f.confidence} | {md_text(f.message)} |" for f in r.findings]
    if r.unscanned:
        out += ["", "## Not scanned", ""] + [f"- {md_text(u.path)}: {md_text(u.reason)}"
                                             for u in r.unscanned]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}.pass{color:#116611}.fail,.error,.blocked{color:#b00020;
font-weight:bold}.warn{color:#8a5a00}.manual,.skip,.review{color:#0b4f6c}.verdict{font-size:1.2rem;font-weight:bold}
details{margin:.2rem 0}code{font-size:.9em}
"""


def to_html(report: Any) -> str:
    """One self-contained HTML file: inline CSS, no script, no external resource."""
    if not isinstance(report, Report):
        return _lock_html(report)
    r = sanitized(report)
    e = _html.escape
    rows = []
    for c in r.checks:
        details = ""
        if c.details:
            items = "".join(f"<li>{e(d)}</li>" for d in c.details)
            details = f"<details><summary>{len(c.details)} detail(s)</summary><ul>{items}</ul></details>"
        rows.append(f"<tr><td>{e(c.id)}</td><td>{e(c.level)}</td><td class=\"{e(c.status)}\">"
                    f"{SYMBOL[c.status]}</td><td>{e(c.title)}</td><td>{e(c.summary)}{details}"
                    f"<br><small>Book section: {e(c.url)}</small></td></tr>")
    findings = "".join(
        f"<tr><td><code>{e(f.path)}</code></td><td>{f.line or ''}</td><td>{e(f.rule_id)}</td>"
        f"<td>{e(f.severity)}</td><td>{e(f.confidence)}</td><td>{e(str(f.cwe or ''))}</td>"
        f"<td>{e(f.message)}</td></tr>" for f in r.findings)
    unscanned = "".join(f"<li><code>{e(u.path)}</code>: {e(u.reason)}</li>" for u in r.unscanned)
    machine = machine_line(r)
    machine_html = f'<p class="warn">{e(machine)}</p>' if machine else ""
    mode = "your own project" if r.own_project else "someone else's program"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pysecbook check: {e(r.target_path)}</title>
<style>{_CSS}</style></head><body>
<h1>pysecbook check: {e(r.target_path)}</h1>
<p class="verdict {e(r.target_verdict)}">{e(headline(r))}</p>
{machine_html}<p>{e(next_step(r))}</p>
<p>Target: {e(r.target_kind)} <code>{e(r.target_path)}</code> ({mode}). {r.files_scanned} code
file(s) scanned, {len(r.findings)} finding(s), {r.nosec_count} <code># nosec</code> honoured.
Generated {r.generated:%Y-%m-%d %H:%M} UTC by pysecbook {e(r.tool_version)}; severity that fails
the scan: {e(r.fail_on)}.</p>
<h2>Checklist</h2>
<table><thead><tr><th>id</th><th>level</th><th>status</th><th>check</th><th>summary</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Findings</h2>
{'<table><thead><tr><th>file</th><th>line</th><th>rule</th><th>severity</th><th>confidence</th><th>CWE</th><th>message</th></tr></thead><tbody>' + findings + '</tbody></table>' if findings else '<p>None.</p>'}
<h2>Not scanned</h2>
{'<ul>' + unscanned + '</ul>' if unscanned else '<p>Every file was scanned.</p>'}
</body></html>
"""


def _lock_markdown(report: Any) -> str:
    report = sanitized(report)
    out = report.outcome
    machine = machine_line(report)
    lines = [f"# pysecbook check: {md_text(report.source)}", "",
             f"**{md_text(headline(report))}**  ",
             *([f"{md_text(machine)}  "] if machine else []),
             md_text(next_step(report)), "",
             md_text(lock.head(report)), "",
             "| " + " | ".join(lock.ROW_COLUMNS) + " |",
             "| " + " | ".join("---" for _ in lock.ROW_COLUMNS) + " |"]
    lines += ["| " + " | ".join(md_text(cell) for cell in row) + " |" for row in lock.rows(report, out)]
    lines += ["", f"## {lock.title(report)}", "", "| id | status | check | summary |",
              "| --- | --- | --- | --- |"]
    lines += [f"| [{c.id}]({c.url}) | {SYMBOL[c.status]} | {md_text(c.title)} | {md_text(c.summary)} |"
              for c in report.lock_checks]
    if out.reasons:
        lines += ["", "## Why", ""] + [f"- {md_text(r)}" for r in out.reasons]
    if report.kind == "requirement":
        for _, f in lock.file_reports(report):
            lines += ["", to_markdown(f.report).replace("# pysecbook check:", "## File:", 1)]
    return "\n".join(lines) + "\n"


def _lock_html(report: Any) -> str:
    report = sanitized(report)
    e = _html.escape
    out = report.outcome
    rows = "".join("<tr>" + "".join(
        f"<td class=\"{e(cell.lower()) if cell in ('BLOCKED', 'REVIEW', 'PASS') else ''}\">"
        f"{e(cell)}</td>" for cell in row) + "</tr>" for row in lock.rows(report, out))

    def check_rows(checks: list[Any]) -> str:
        return "".join(f"<tr><td>{e(c.id)}</td><td class=\"{e(c.status)}\">{SYMBOL[c.status]}"
                       f"</td><td>{e(c.title)}</td><td>{e(c.summary)}<ul>"
                       + "".join(f"<li>{e(x)}</li>" for x in c.details) + "</ul></td></tr>"
                       for c in checks)

    reasons = "".join(f"<li>{e(r)}</li>" for r in out.reasons)
    files = "".join(f"<details><summary>{e(d.label)}: <code>{e(f.filename)}</code> "
                    f"({e(f.hash_status)})</summary><table><tbody>{check_rows(f.report.checks)}"
                    f"</tbody></table></details>" for d, f in lock.file_reports(report))
    machine = machine_line(report)
    head_cells = "".join(f"<th>{e(col)}</th>" for col in lock.ROW_COLUMNS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pysecbook check: {e(report.source)}</title>
<style>{_CSS}</style></head><body>
<h1>pysecbook check: {e(report.source)}</h1>
<p class="verdict {e(shown_verdict(report))}">{e(headline(report))}</p>
{f'<p class="warn">{e(machine)}</p>' if machine else ''}
<p>{e(next_step(report))}</p>
<p>{e(lock.head(report))}. Generated {report.generated:%Y-%m-%d %H:%M} UTC.</p>
<h2>Dependencies</h2>
<table><thead><tr>{head_cells}</tr></thead><tbody>{rows}</tbody></table>
<h2>{e(lock.title(report))}</h2>
<table><tbody>{check_rows(report.lock_checks)}</tbody></table>
{'<h2>Why</h2><ul>' + reasons + '</ul>' if reasons else ''}
<h2>Files checked</h2>
{files or '<p>None.</p>'}
</body></html>
"""
