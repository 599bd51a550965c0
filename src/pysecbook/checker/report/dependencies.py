"""Format a :class:`~pysecbook.checker.index.outcome.LockReport`: text, JSON, SARIF, Markdown, HTML.

One row per dependency (verdict, red flags, unscanned files, hash status, must-do checks not
passed), the checks on the lock as a whole, the reasons for the overall verdict; for a single
requirement, each file's full checklist follows. Every string from the index or an archive
(project names, versions, file names, yank reasons, provenance publishers, a lock's lines)
is hostile: every format starts from :func:`sanitized_lock`, which applies the one
sanitiser, :func:`~pysecbook.checker.report.safe.clean`, to every string of the report, and
Markdown and HTML then escape their own syntax (:func:`~pysecbook.checker.report.markup.md_text`,
:func:`html.escape`). SARIF results carry the dependency as a logical location and the file
inside the archive as ``<archive>/<path>``. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import dataclasses
import html as _html
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pysecbook.checker.index.outcome import Aggregate, DependencyCheck, LockReport
from pysecbook.checker.report.markup import _CSS, md_text, to_markdown
from pysecbook.checker.report.safe import clean, sanitized
from pysecbook.checker.report.sarif import SARIF_SCHEMA, _uri, to_sarif
from pysecbook.checker.report.text import SYMBOL, VERDICT_STYLE, to_text
from pysecbook.checker.report.verdict import HEADLINES
from pysecbook.checker.results import Report

__all__ = ["NEXT_STEPS", "lock_html", "lock_json", "lock_markdown", "lock_sarif", "lock_text",
           "sanitized_lock"]

#: What to do with each verdict, before installing.
NEXT_STEPS = {
    "blocked": "Do not install it yet. Read each reason: a dependency that could not be "
               "fetched or verified was not checked at all.",
    "review": "Nothing found shows danger, but something a must-do item needs is not in these "
              "files or could not be scanned: look where each item says (often the project's "
              "repository), read every file not scanned, then decide.",
    "pass": "Install with pip's --require-hashes from the one index checked, in a virtual "
            "environment, and keep the recovery plan of M9.",
    #: Review only because this machine failed one of its own must-do items.
    "machine": "The packages passed: fix this machine first, then install with pip's "
               "--require-hashes from the one index checked.",
}


def _next_step(out: Aggregate) -> str:
    machine_only = out.verdict == "review" and not out.reasons and out.machine
    return NEXT_STEPS["machine" if machine_only else out.verdict]


def _deep_clean(value: Any) -> Any:
    """``value`` with every string in it cleaned; a dataclass field by field (so none is
    forgotten), a single-target :class:`Report` through :func:`sanitized`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Report):
        return sanitized(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _deep_clean(getattr(value, f.name))
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, (list, tuple)):
        return type(value)(_deep_clean(v) for v in value)
    if isinstance(value, frozenset) and all(isinstance(v, str) for v in value):
        return frozenset(clean(v) for v in value)
    if isinstance(value, dict):
        return {_deep_clean(k): _deep_clean(v) for k, v in value.items()}
    return value


def sanitized_lock(report: LockReport) -> LockReport:
    """A copy of ``report`` in which every string that came from an index, a lock file or an
    archive is clean (the same sanitiser as single-target reports)."""
    return _deep_clean(report)  # type: ignore[no-any-return]


def _rows(report: LockReport, out: Aggregate) -> list[tuple[str, str, str, str, str, str]]:
    """(dependency, verdict, red flags, unscanned, hash status, checks not passed or why)."""
    rows = []
    for d, verdict, failed, reason in zip(report.dependencies, out.verdicts, out.failed, out.why):
        why = ", ".join(failed) if failed and not d.error else reason or d.skipped or "-"
        if why == d.hash_status:  # said once, in its own column
            why = "the hash (see that column)"
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


def _headline(out: Aggregate) -> str:
    """The overall verdict in the words every single-target report uses."""
    if out.verdict == "pass":
        return "PASS: every dependency was fetched, verified against its hash, and passed"
    if not out.reasons:  # the packages passed; only this machine's line raised it
        return f"{HEADLINES[out.verdict]} (the packages passed; this machine did not, see its line)"
    return f"{HEADLINES[out.verdict]} ({len(out.reasons)} reason(s), listed above)"


def _machine_line(out: Aggregate) -> str | None:
    """The must-do items this machine fails, once for the run, never against a package."""
    if not out.machine:
        return None
    listed = "; ".join(f"{c.id} {c.status}: {c.summary}" for c in out.machine)
    return f"This machine, not the packages: {listed}. Fix it before you install here."


def _style(cell: str) -> str:
    return {"BLOCKED": "bold red", "REVIEW": "bold cyan", "PASS": "green"}.get(cell, "")


def lock_text(report: LockReport, *, terminal: bool = False, width: int = 110) -> str:
    """A rich table on a terminal, plain lines otherwise; full file reports for one requirement."""
    report = sanitized_lock(report)
    out = report.outcome
    rows = _rows(report, out)
    cols = ("dependency", "verdict", "red flags", "unscanned", "hash", "checks not passed / why")
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=width, highlight=False)
    if terminal:
        table = Table(title=Text(_head(report)))
        for col in cols:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell, style=_style(cell)) for cell in row))
        console.print(table)
        lines: list[str] = []
    else:
        lines = [_head(report), ""]
        lines += [f"{r[0]}  {r[1]}  red flags {r[2]}  unscanned {r[3]}  hash: {r[4]}  {r[5]}"
                  for r in rows]
    lines += ["", _lock_title(report) + ":"]
    for c in report.lock_checks:
        lines.append(f"  {c.id:<3} {c.level:<5} {SYMBOL[c.status]:<6} {c.title}: {c.summary}")
        lines += [f"{'':18}- {x}" for x in c.details]
    flags = [(d, name, f) for d in report.dependencies for name, f in d.red_flags]
    if flags:
        lines += ["", "Red flags:"] + [
            f"  {d.label} {name}/{f.path}:{f.line or '-'} {f.rule_id} [{f.severity}] {f.message}"
            for d, name, f in flags]
    lines += [f"Note: {n}" for n in report.notes]
    if out.reasons:
        lines += ["", "Why:"] + [f"  - {r}" for r in out.reasons]
    machine = _machine_line(out)
    if terminal:
        for line in lines:
            console.print(Text(line))
        console.print(Text(_headline(out), style=VERDICT_STYLE[out.verdict]))
        if machine:
            console.print(Text(machine, style="bold yellow"))
        console.print(Text(_next_step(out)))
        text = buf.getvalue()
    else:
        tail = [_headline(out), *([machine] if machine else []), _next_step(out)]
        text = "\n".join([*lines, "", *tail]) + "\n"
    if report.kind == "requirement":  # each file's full checklist
        for f in report.dependencies[0].files:
            if f.report is not None:
                text += f"\n--- {f.filename} ---\n" + to_text(f.report, terminal=terminal)
    return text


def lock_json(report: LockReport) -> str:
    """The report as JSON (ASCII only: every other character is a JSON escape)."""
    return json.dumps(sanitized_lock(report).as_dict(), indent=2) + "\n"


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
    result per dependency that does not pass, and the lock's own checks not passed."""
    report = sanitized_lock(report)
    out = report.outcome
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    complete = True
    for d, verdict, why in zip(report.dependencies, out.verdicts, out.why):
        for f in d.files:
            if f.report is None:
                continue
            run = json.loads(to_sarif(f.report))["runs"][0]
            complete = complete and run["invocations"][0]["executionSuccessful"]
            for rule in run["tool"]["driver"]["rules"]:
                rules.setdefault(rule["id"], rule)
            for r in run["results"]:
                for loc in r["locations"]:
                    art = loc["physicalLocation"]["artifactLocation"]
                    art["uri"] = f"{_uri(f.filename)}/{art['uri']}".rstrip("/.")
                    loc["logicalLocations"] = [_where(d)]
                r.pop("ruleIndex", None)
                results.append(r)
        if verdict in ("blocked", "review"):
            results.append({"ruleId": "PSB-DEPENDENCY",
                            "level": "error" if verdict == "blocked" else "note",
                            "message": {"text": f"{d.label}: {verdict}: {why}"},
                            "locations": [{"physicalLocation": _origin(d.origin),
                                           "logicalLocations": [_where(d)]}],
                            "properties": {"verdict": verdict, "hash_status": d.hash_status}})
    rules["PSB-DEPENDENCY"] = {"id": "PSB-DEPENDENCY", "shortDescription": {
        "text": "A dependency is blocked (it could not be fetched, verified or checked, or "
                "shows evidence of danger) or needs a review by hand"}}
    for c in report.lock_checks:
        if c.status in ("fail", "warn", "error", "manual"):
            rules.setdefault(f"PSB-CHECK-{c.id}", {"id": f"PSB-CHECK-{c.id}",
                                                   "shortDescription": {"text": c.title}})
            level = {"warn": "warning", "manual": "note"}.get(c.status, "error")
            for detail in c.details or (c.summary,):
                results.append({"ruleId": f"PSB-CHECK-{c.id}", "level": level,
                                "message": {"text": f"{c.title}: {detail}"},
                                "locations": [{"physicalLocation": _origin(detail.split(": ")[0])}]})
    rule_list = list(rules.values())
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    unchecked = any(d.error or not d.files or any(f.report is None for f in d.files)
                    for d in report.dependencies if not d.skipped)
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": report.tool_name, "version": report.tool_version,
                            "informationUri": "https://github.com/pysecbook/pysecbook",
                            "rules": rule_list}},
        "invocations": [{"executionSuccessful": complete and not unchecked,
                         "endTimeUtc": report.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "properties": {"verdict": out.verdict,
                                        "machine": [f"{c.id} {c.status}: {c.summary}"
                                                    for c in out.machine], "target": {
                             "kind": report.kind, "source": report.source,
                             "index": report.config.index_url}}}],
        "results": results}]}
    return json.dumps(log, indent=2) + "\n"


def lock_markdown(report: LockReport) -> str:
    """Markdown for a pull request: the verdict, one row per dependency, the lock's checks."""
    report = sanitized_lock(report)
    out = report.outcome
    lines = [f"# pysecbook check: {md_text(report.source)}", "",
             f"**{md_text(_headline(out))}**  ",
             *([f"{md_text(m)}  "] if (m := _machine_line(out)) else []),
             md_text(_next_step(out)), "",
             md_text(_head(report)), "",
             "| dependency | verdict | red flags | unscanned | hash | checks not passed / why |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(md_text(cell) for cell in row) + " |" for row in _rows(report, out)]
    lines += ["", f"## {_lock_title(report)}", "", "| id | status | check | summary |",
              "| --- | --- | --- | --- |"]
    lines += [f"| [{c.id}]({c.url}) | {SYMBOL[c.status]} | {md_text(c.title)} | {md_text(c.summary)} |"
              for c in report.lock_checks]
    if out.reasons:
        lines += ["", "## Why", ""] + [f"- {md_text(r)}" for r in out.reasons]
    if report.kind == "requirement":
        for f in report.dependencies[0].files:
            if f.report is not None:
                lines += ["", to_markdown(f.report).replace("# pysecbook check:", "## File:", 1)]
    return "\n".join(lines) + "\n"


def lock_html(report: LockReport) -> str:
    """One self-contained HTML file: inline CSS, no script, no external resource."""
    report = sanitized_lock(report)
    e = _html.escape
    out = report.outcome
    rows = "".join("<tr>" + "".join(
        f"<td class=\"{e(cell.lower()) if cell in ('BLOCKED', 'REVIEW', 'PASS') else ''}\">"
        f"{e(cell)}</td>" for cell in row) + "</tr>" for row in _rows(report, out))

    def check_rows(checks: list[Any]) -> str:
        return "".join(f"<tr><td>{e(c.id)}</td><td class=\"{e(c.status)}\">{SYMBOL[c.status]}"
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
<p class="verdict {e(out.verdict)}">{e(_headline(out))}</p>
{f'<p class="warn">{e(machine)}</p>' if (machine := _machine_line(out)) else ''}
<p>{e(_next_step(out))}</p>
<p>{e(_head(report))}. Generated {report.generated:%Y-%m-%d %H:%M} UTC.</p>
<h2>Dependencies</h2>
<table><thead><tr><th>dependency</th><th>verdict</th><th>red flags</th><th>unscanned</th><th>hash</th>
<th>checks not passed / why</th></tr></thead><tbody>{rows}</tbody></table>
<h2>{e(_lock_title(report))}</h2>
<table><tbody>{lock}</tbody></table>
{'<h2>Why</h2><ul>' + reasons + '</ul>' if reasons else ''}
<h2>Files checked</h2>
{files or '<p>None.</p>'}
</body></html>
"""
