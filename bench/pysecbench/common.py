"""What every part of ``make bench`` shares: paths, medians and verdicts, formatting, and a
metered subprocess (wall time, CPU, peak memory of the process tree), always with a timeout.
"""

from __future__ import annotations

import os
import sys
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / "cache"
BIN = Path(sys.executable).parent
#: Every subprocess of the bench gets a timeout; this is the default one.
TIMEOUT = 1800.0


def run(cmd: Sequence[str], *, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` with output captured as text, no check, and a timeout."""
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False,
                          timeout=timeout, **kwargs)


# --------------------------------------------------------------------------- verdicts and formatting
def median(values: Sequence[float]) -> float | None:
    """The median of ``values``, or None when there are none."""
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt_seconds(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f} s"


def fmt_bytes(value: float | None) -> str:
    if value is None:
        return "not measured"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} MB"
    return f"{value / 1000:.1f} KB"


def fmt_ratio(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f}x"


def target(name: str, measured: float | None, limit: float, kind: str, unit: str = "",
           why: str = "") -> dict[str, Any]:
    """A target verdict. ``kind`` is "max" (at most), "lt" (under) or "min" (at least).

    The gap is measured minus limit (positive: over a max; negative: short of a min).
    """
    if measured is None:
        status = "not measured"
        gap = None
    else:
        met = {"max": measured <= limit, "lt": measured < limit, "min": measured >= limit}[kind]
        status = "met" if met else "not met"
        gap = measured - limit
    return {"name": name, "measured": measured, "limit": limit, "kind": kind, "unit": unit,
            "status": status, "gap": gap, "why": why if status == "not met" else ""}


def num(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "KB":
        return f"{value:.1f} KB"
    return f"{value:g}"


def not_measured(section: dict[str, Any] | None) -> str:
    """The sentence for a part of the report that this run did not measure, with why."""
    why = (section or {}).get("skipped")
    return f"Not measured in this run{': ' + why if why else ''}."



# --------------------------------------------------------------------------- process metering
def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss(pid)
        stack += _children(pid)
    return total


def measure(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = TIMEOUT, interval: float = 0.02) -> dict[str, Any]:
    """Run ``cmd`` (output discarded), returning wall time, exit code and peak memory.

    ``tree_rss``: the largest sum of VmRSS over the process and all its descendants, sampled
    every ``interval`` seconds. ``max_rss``: the kernel's peak RSS of the largest single
    process of the tree (``os.wait4``'s ru_maxrss, which includes waited-for descendants).
    """
    load = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()),
                              daemon=True)
    reader.start()
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    reader.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": seconds, "returncode": proc.returncode, "tree_rss": peak,
            "max_rss": usage.ru_maxrss * 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
            "load_before": load,
            "stderr_tail": b"".join(stderr_chunks).decode("utf-8", "replace")[-2000:]}


def load_bench_module(name: str, filename: str) -> Any:
    """A measurement module kept beside the package (``bench/FILENAME``), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, BENCH / filename)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module
