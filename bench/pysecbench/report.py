"""report.json and report.md: the machine, every part's targets, then every part's section."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from pysecbench import Part
from pysecbench.common import not_measured, num

NOTE = ("The machine's cores may be shared with other work during the run; the load average "
        "at the start and the end is recorded in report.json, and beside each timed command.")


def machine(note: str = NOTE) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem, 1),
            "python": platform.python_version(), "os": platform.platform(terse=True),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "note": note}


def targets(report: dict[str, Any], parts: list[Part]) -> list[dict[str, Any]]:
    """Every part's verdicts, in part order (a part not in the report is not measured)."""
    out: list[dict[str, Any]] = []
    for part in parts:
        section = report.get(part.name) or {}
        out += part.targets(section, report)
    return out


def render_markdown(report: dict[str, Any], parts: list[Part]) -> str:
    """The human-readable report, from the same data as report.json."""
    m = report["machine"]
    load = m.get("load_average_at_start")
    out = ["# `make bench` report", "",
           f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, "
           f"Python {m['python']}, {m['os']}."
           + (f" Load average (1, 5, 15 min) at the start: {', '.join(map(str, load))}"
              + (f"; at the end: {', '.join(map(str, m['load_average_at_end']))}"
                 if m.get("load_average_at_end") else "") + "." if load else "")
           + f" {m['note']}", ""]
    out += ["## Targets", "", "| Target | Limit | Measured | Status | Gap |",
            "|---|---|---|---|---|"]
    for t in report["targets"]:
        op = {"max": "<=", "lt": "<", "min": ">="}[t["kind"]]
        gap = "" if t["gap"] is None else num(t["gap"], t["unit"])
        if t["gap"] is not None and t["gap"] > 0:
            gap = "+" + gap
        out.append(f"| {t['name']} | {op} {num(t['limit'], t['unit'])} | "
                   f"{num(t['measured'], t['unit'])} | {t['status']} | {gap} |")
    out.append("")
    whys = [t for t in report["targets"] if t["why"]]
    if whys:
        out += ["Why the unmet targets are not met (measured, below):", ""]
        out += [f"- **{t['name']}**: {t['why']}" for t in whys]
        out.append("")
    for part in parts:
        section = report.get(part.name)
        out += [f"## {part.title}", ""]
        if section and section.get("kept_from"):
            out += [f"Not measured in this run: kept from the run of {section['kept_from']}.", ""]
        out += part.render(section, report) if section else [not_measured(section), ""]
    return "\n".join(out)


def write(report: dict[str, Any], out: Path, parts: list[Part]) -> int:
    report["targets"] = targets(report, parts)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report, parts), encoding="utf-8")
    print(f"bench: wrote {out / 'report.md'} and {out / 'report.json'}", file=sys.stderr)
    return 0
