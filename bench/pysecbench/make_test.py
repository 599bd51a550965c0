"""``make test`` on a fresh clone of the committed HEAD, set-up included, as CI runs it
(``CI=true``): new virtual environments, the hashed locks installed, every test. Only when
named (``--only make_test`` or ``--make-test``), on a quiet machine."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from pysecbench import Part, register
from pysecbench.common import ROOT, fmt_seconds, not_measured, run, target

LIMITS = {"make_test_s": 600.0}
TIMEOUT = 3600.0


def run_make_test(args: Any, workdir: Path) -> dict[str, Any]:
    clone = workdir / "clone"
    cloned = run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], timeout=300)
    if cloned.returncode != 0:
        return {"skipped": f"git clone failed: {cloned.stderr.strip()[-300:]}"}
    load = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    proc = run(["make", "test"], cwd=clone, timeout=TIMEOUT, env={**os.environ, "CI": "true"})
    summaries = [line for line in proc.stdout.splitlines() if re.search(r" in [\d.]+s", line)]
    return {"seconds": time.perf_counter() - start, "returncode": proc.returncode,
            "summary": " / ".join(s.strip("= ") for s in summaries) or proc.stdout.strip()[-200:],
            "load_before": load, "fresh_clone": True}


def make_test_targets(mt: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    return [target("make test", mt.get("seconds"), LIMITS["make_test_s"], "lt", "s",
                   mt.get("why", ""))]


def render_make_test(mt: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if not mt or mt.get("seconds") is None:
        return [not_measured(mt), ""]
    return [f"One run on a fresh clone, set-up included: {fmt_seconds(mt['seconds'])}, "
            f"exit code {mt['returncode']}"
            f"{' (' + mt['summary'] + ')' if mt.get('summary') else ''}"
            f"{'; 1-min load before: ' + str(mt['load_before'][0]) if mt.get('load_before') else ''}."
            f"{' ' + mt['note'] if mt.get('note') else ''}", ""]


PART = register(Part("make_test", "`make test`", run_make_test, render_make_test,
                     make_test_targets, order=90, default=False,
                     help="make test on a fresh clone (only when named)"))
