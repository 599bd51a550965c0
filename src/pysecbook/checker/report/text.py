"""The report for a terminal (a rich table) or a log (plain lines), for a single target or
for packages fetched from an index."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pysecbook.checker.report import lock
from pysecbook.checker.report.safe import sanitized
from pysecbook.checker.report.verdict import headline, machine_line, next_step, shown_verdict
from pysecbook.checker.results import Report

__all__ = ["SYMBOL", "to_text"]

SYMBOL = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "manual": "MANUAL", "skip": "SKIP",
          "error": "ERROR"}
STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "manual": "cyan", "skip": "dim",
         "error": "bold magenta"}
VERDICT_STYLE = {"pass": "bold green", "review": "bold cyan", "blocked": "bold red"}


def _head(report: Report) -> str:
    mode = ("your own project: its settings and '# nosec' honoured" if report.own_project
            else "someone else's program: its settings and '# nosec' ignored")
    return (f"pysecbook {report.tool_version} check of {report.target_kind} {report.target_path}: "
            f"{report.files_scanned} code file(s) scanned, {len(report.findings)} finding(s), "
            f"{report.nosec_count} '# nosec' honoured; {mode}")


def to_text(report: Any, *, terminal: bool = False, width: int = 100) -> str:
    """A rich table when ``terminal`` is true, otherwise plain lines (for pipes and logs)."""
    if not isinstance(report, Report):
        return _lock_text(report, terminal=terminal, width=width + 10)
    report = sanitized(report)
    machine = machine_line(report)
    if terminal:
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=True, width=width, highlight=False)
        table = Table(title=Text(_head(report)), show_lines=False)
        for col in ("id", "level", "status", "title", "summary"):
            table.add_column(col, overflow="fold")
        for c in report.checks:
            table.add_row(c.id, c.level, Text(SYMBOL[c.status], style=STYLE[c.status]),
                          Text(c.title), Text(c.summary))
        console.print(table)
        for f in report.findings:
            console.print(Text(f"{f.path}:{f.line or '-'} {f.rule_id} [{f.severity}/{f.confidence}] "
                               f"{f.message}"))
        for u in report.unscanned:
            console.print(Text(f"not scanned: {u.path}: {u.reason}"))
        console.print(Text(headline(report), style=VERDICT_STYLE[report.target_verdict]))
        if machine:
            console.print(Text(machine, style="bold yellow"))
        console.print(Text(next_step(report)))
        return buf.getvalue()
    lines = [_head(report), ""]
    for c in report.checks:
        lines.append(f"{c.id:<3} {c.level:<5} {SYMBOL[c.status]:<6} {c.title}: {c.summary}")
        lines += [f"{'':16}- {d}" for d in c.details]
    if report.findings:
        lines += ["", "Findings:"]
        lines += [f"  {f.path}:{f.line or '-'} {f.rule_id} [{f.severity}/{f.confidence}] {f.message}"
                  for f in report.findings]
    if report.unscanned:
        lines += ["", "Not scanned:"] + [f"  {u.path}: {u.reason}" for u in report.unscanned]
    lines += ["", headline(report)]
    if machine:
        lines.append(machine)
    lines.append(next_step(report))
    return "\n".join(lines) + "\n"


def _cell_style(cell: str) -> str:
    return {"BLOCKED": "bold red", "REVIEW": "bold cyan", "PASS": "green"}.get(cell, "")


def _lock_text(report: Any, *, terminal: bool, width: int) -> str:
    """One row per dependency, the lock's own checks, the reasons; for one requirement, each
    file's full checklist after it."""
    report = sanitized(report)
    out = report.outcome
    rows = lock.rows(report, out)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=width, highlight=False)
    if terminal:
        table = Table(title=Text(lock.head(report)))
        for col in lock.ROW_COLUMNS:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell, style=_cell_style(cell)) for cell in row))
        console.print(table)
        lines: list[str] = []
    else:
        lines = [lock.head(report), ""]
        lines += [f"{r[0]}  {r[1]}  red flags {r[2]}  unscanned {r[3]}  hash: {r[4]}  {r[5]}"
                  for r in rows]
    lines += ["", lock.title(report) + ":"]
    for c in report.lock_checks:
        lines.append(f"  {c.id:<3} {c.level:<5} {SYMBOL[c.status]:<6} {c.title}: {c.summary}")
        lines += [f"{'':18}- {x}" for x in c.details]
    flags = lock.red_flags(report)
    if flags:
        lines += ["", "Red flags:"] + [
            f"  {d.label} {name}/{f.path}:{f.line or '-'} {f.rule_id} [{f.severity}] {f.message}"
            for d, name, f in flags]
    lines += [f"Note: {n}" for n in report.notes]
    if out.reasons:
        lines += ["", "Why:"] + [f"  - {r}" for r in out.reasons]
    machine = machine_line(report)
    if terminal:
        for line in lines:
            console.print(Text(line))
        console.print(Text(headline(report), style=VERDICT_STYLE[shown_verdict(report)]))
        if machine:
            console.print(Text(machine, style="bold yellow"))
        console.print(Text(next_step(report)))
        text = buf.getvalue()
    else:
        tail = [headline(report), *([machine] if machine else []), next_step(report)]
        text = "\n".join([*lines, "", *tail]) + "\n"
    if report.kind == "requirement":  # each file's full checklist
        for _, f in lock.file_reports(report):
            text += f"\n--- {f.filename} ---\n" + to_text(f.report, terminal=terminal)
    return text
