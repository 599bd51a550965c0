"""``pysecbook check`` on the pinned wheels of the 100 most downloaded projects
(:mod:`pysecbench.topwheels`): the share blocked, and each block's evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pysecbench import Part, register, topwheels
from pysecbench.common import BIN, fmt_seconds, not_measured, target

LIMITS = {"top_wheels_blocked": 0.2}


def run_wheels(args: Any, workdir: Path) -> dict[str, Any]:
    return topwheels.bench_top_wheels(str(BIN / "pysecbook"))


def wheels_targets(wh: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    why = ""
    if wh.get("blocked"):
        why = "; ".join(f"{b['file']}: {'; '.join(b['evidence'] + b['high_red_flags'])[:200]}"
                        for b in wh["blocked"][:5])
    return [target("top-100 wheels blocked", wh.get("blocked_share"),
                   LIMITS["top_wheels_blocked"], "max", "", wh.get("why", why))]


def render_wheels(wh: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if not (wh and wh.get("verdicts")):
        return [not_measured(wh), ""]
    v = wh["verdicts"]
    out = [f"`pysecbook check` on {wh['checked']} of {wh['wheels']} pinned wheels "
           f"(`bench/top-wheels.json`, verified by SHA-256, never installed): "
           f"{v['pass']} pass, {v['review']} review, {v['blocked']} blocked "
           f"({wh['blocked_share']:.0%}); a high-severity red flag in "
           f"{wh['high_red_flag_share']:.0%}; {fmt_seconds(wh['wall_seconds'])} in all.", ""]
    if wh["blocked"]:
        out += ["| wheel | evidence |", "|---|---|"]
        out += [f"| `{b['file']}` | {'; '.join(b['evidence'] + b['high_red_flags'])[:400]} |"
                for b in wh["blocked"]]
        out.append("")
    if wh["fetch_errors"] or wh["check_errors"]:
        out += [f"Not checked: {len(wh['fetch_errors'])} fetch error(s), "
                f"{len(wh['check_errors'])} check error(s).", ""]
    return out


PART = register(Part("wheels", "The wheels of the 100 most downloaded projects", run_wheels,
                     render_wheels, wheels_targets, order=40,
                     help="pysecbook check on the top-100 projects' pinned wheels"))
