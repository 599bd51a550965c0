"""``python bench/bench.py [--only PART,...] [--make-test] [--runs 3] [--render-only]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pysecbench import load_parts
from pysecbench.common import BENCH
from pysecbench.report import machine, write


def main(argv: Sequence[str] | None = None) -> int:
    parts = load_parts()
    names = [p.name for p in parts]
    defaults = [p.name for p in parts if p.default]
    parser = argparse.ArgumentParser(
        description="make bench: the book's build times, the checker's speed and memory, "
                    "the site's weight.",
        epilog="parts: " + "; ".join(f"{p.name}: {p.help}" for p in parts))
    parser.add_argument("--only", default=",".join(defaults),
                        help=f"comma-separated parts to run (default: {','.join(defaults)})")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--make-test", action="store_true",
                        help="also run the make_test part: one `make test` on a fresh clone "
                             "of HEAD, set-up included (only on a quiet machine)")
    parser.add_argument("--out", type=Path, default=BENCH)
    parser.add_argument("--render-only", action="store_true",
                        help="re-derive verdicts and report.md from an existing report.json")
    parser.add_argument("--keep", action="store_true",
                        help="for the parts not run, keep their sections from the existing "
                             "report.json, marked with the date they were measured")
    args = parser.parse_args(argv)
    if args.render_only:
        report = json.loads((args.out / "report.json").read_text(encoding="utf-8"))
        return write(report, args.out, parts)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    if args.make_test and "make_test" not in chosen:
        chosen.append("make_test")
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(names)}")
    report: dict[str, Any] = {"machine": machine()}
    previous = kept_sections(args.out / "report.json") if args.keep else {}
    with tempfile.TemporaryDirectory(prefix="pysecbook-bench-") as tmp:
        for part in parts:
            if part.name not in chosen:
                report[part.name] = previous.get(part.name) or {
                    "skipped": "not requested (--only)" if part.default else
                    f"run `make bench BENCH_ARGS=--only={part.name}` on a quiet machine"}
                continue
            print(f"bench: {part.name}: {part.help}...", file=sys.stderr)
            report[part.name] = part.run(args, Path(tmp))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return write(report, args.out, parts)


def kept_sections(path: Path) -> dict[str, Any]:
    """The measured sections of an earlier report.json, each marked with its date."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    date = old.get("machine", {}).get("date", "an earlier run")
    # A section kept once keeps the date it was measured: a second --keep run still has it.
    return {name: dict(section, kept_from=section.get("kept_from") or date)
            for name, section in old.items()
            if isinstance(section, dict) and name not in ("machine", "targets", "why")
            and not section.get("skipped")}
