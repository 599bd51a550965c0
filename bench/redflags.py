"""Red flags beside GuardDog and Bandit: recall on the technique corpus, false alarms on its
near-miss twins and on the wheels of the top 100 projects, and the time each tool takes.

The three tools read the same directories and archives, and none of them runs any of it:

- ``pysecbook check`` (this project): flagged when the scan raises a high red flag;
- Bandit alone (``bandit -r``, Bandit's own tests only, the project's ``PSB`` plugins left
  out): flagged on a HIGH finding;
- GuardDog (pinned with hashes in ``bench/requirements-guarddog.txt``, installed into
  ``bench/.venv-guarddog`` by ``make bench``; its scans of local directories and archives
  work offline): flagged by its risk model (label ``suspicious`` or ``high_risk``), and,
  separately, by any rule hit.

The corpus is ``samples/techniques`` (see :mod:`pysecbook.teaching.anatomy`); the wheels are
``bench/top-wheels.json`` (:mod:`topwheels`). ``run()`` returns the section of
``bench/report.json``; ``render()`` its Markdown. Part ``redflags`` of ``bench/bench.py``;
``python bench/redflags.py [--no-wheels]`` runs it alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
GUARDDOG_VENV = HERE / ".venv-guarddog"
GUARDDOG_LOCK = HERE / "requirements-guarddog.txt"
TIMEOUT = 900
#: GuardDog's risk labels that count as an alarm.
GUARDDOG_ALARM = ("suspicious", "high_risk")
TOOLS = ("pysecbook", "bandit", "guarddog_risk", "guarddog_any")
LABELS = {"pysecbook": "`pysecbook check` (a high red flag)",
          "bandit": "Bandit alone (a HIGH finding)",
          "guarddog_risk": "GuardDog (risk label suspicious or high)",
          "guarddog_any": "GuardDog (any rule hit)"}


def guarddog_env() -> tuple[Path | None, str]:
    """GuardDog's command, installed from its hashed lock into its own environment on first
    use; (None, why) when that fails."""
    exe = GUARDDOG_VENV / "bin" / "guarddog"
    stamp = GUARDDOG_VENV / ".installed"
    if exe.is_file() and stamp.is_file() and stamp.stat().st_mtime >= GUARDDOG_LOCK.stat().st_mtime:
        return exe, ""
    try:
        if not exe.is_file():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(GUARDDOG_VENV)], check=True,
                           capture_output=True, timeout=300)
        subprocess.run([str(GUARDDOG_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--require-hashes", "--no-deps", "-r", str(GUARDDOG_LOCK)], check=True,
                       capture_output=True, timeout=1200)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"GuardDog could not be installed from {GUARDDOG_LOCK.name}: {exc}"
    stamp.touch()
    return exe, ""


def _json(cmd: Sequence[str]) -> tuple[Any, float, str]:
    start = time.perf_counter()
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, f"timed out after {TIMEOUT} s"
    seconds = time.perf_counter() - start
    try:
        return json.loads(done.stdout), seconds, ""
    except ValueError:
        return None, seconds, (done.stderr.strip().splitlines() or ["no output"])[-1][:200]


def pysecbook(target: Path) -> dict[str, Any]:
    data, seconds, error = _json([str(BIN / "pysecbook"), "check", str(target), "--format", "json",
                                  "--jobs", "1", "--timeout", "600"])
    if data is None:
        return {"error": error, "seconds": seconds}
    high = sorted({f["rule_id"] for f in data["findings"]
                   if f["source"] == "redflag" and f["severity"] == "high"})
    return {"flagged": bool(high), "rules": high, "seconds": seconds}


def bandit(target: Path) -> dict[str, Any]:
    data, seconds, error = _json([str(BIN / "bandit"), "-r", str(target), "-f", "json", "-q"])
    if data is None:
        return {"error": error, "seconds": seconds}
    high = sorted({r["test_id"] for r in data.get("results", [])
                   if r["issue_severity"] == "HIGH" and r["test_id"].startswith("B")})
    return {"flagged": bool(high), "rules": high, "seconds": seconds}


def guarddog(exe: Path | None, target: Path) -> dict[str, Any]:
    if exe is None:
        return {"error": "GuardDog is not installed", "seconds": 0.0}
    data, seconds, error = _json([str(exe), "pypi", "scan", str(target), "--output-format", "json"])
    if not isinstance(data, dict):
        return {"error": error or "unexpected output", "seconds": seconds}
    hits = sorted(rule for rule, found in (data.get("results") or {}).items() if found)
    label = (data.get("risk_score") or {}).get("label", "no_risks_detected")
    return {"label": label, "flagged": label in GUARDDOG_ALARM, "any": bool(hits), "rules": hits,
            "errors": sorted(data.get("errors") or {}), "seconds": seconds}


def _measure(tool: Callable[[Path], dict[str, Any]], targets: Sequence[Path], jobs: int) -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(tool, targets))
    return results, time.perf_counter() - start


def _tally(results: dict[str, list[dict[str, Any]]], names: Sequence[str]) -> dict[str, Any]:
    """Flagged counts per tool, with the names flagged and any tool errors."""
    out: dict[str, Any] = {}
    for tool in TOOLS:
        source = results["guarddog" if tool.startswith("guarddog") else tool]
        key = "any" if tool == "guarddog_any" else "flagged"
        ok = [(n, r) for n, r in zip(names, source) if "error" not in r]
        flagged = [n for n, r in ok if r[key]]
        out[tool] = {"flagged": len(flagged), "of": len(ok), "names": flagged,
                     "errors": [f"{n}: {r['error']}" for n, r in zip(names, source) if "error" in r]}
    return out


def _wheel_dir(wheel: Path, into: Path) -> Path:
    """A wheel unpacked for ``bandit -r`` (Bandit reads directories, not archives)."""
    dest = into / wheel.stem
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.infolist():
            name = member.filename
            if member.is_dir() or name.startswith("/") or ".." in name.split("/"):
                continue
            if name.endswith(".py"):
                zf.extract(member, dest)
    return dest


def run(*, corpus: bool = True, wheels: bool = True, jobs: int = 2) -> dict[str, Any]:
    """The measurement: the corpus (samples and twins) and the pinned top wheels, each
    unless switched off, through all three tools."""
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    from pysecbook.teaching.anatomy import techniques

    exe, why = guarddog_env()
    section: dict[str, Any] = {"guarddog": why or "installed from bench/requirements-guarddog.txt",
                               "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    chosen = list(techniques()) if corpus else []
    for side in ("sample", "twin") if corpus else ():
        targets = [t.directory(side) for t in chosen]
        names = [t.id for t in chosen]
        results: dict[str, list[dict[str, Any]]] = {}
        seconds: dict[str, float] = {}
        for tool, fn in (("pysecbook", pysecbook), ("bandit", bandit),
                         ("guarddog", lambda p: guarddog(exe, p))):
            print(f"bench: redflags: {tool} on the corpus's {side}s...", file=sys.stderr)
            results[tool], seconds[tool] = _measure(fn, targets, jobs)
        section[f"corpus_{side}s"] = {"count": len(chosen), "tools": _tally(results, names),
                                      "wall_seconds": seconds,
                                      "guarddog_labels": dict(Counter(r.get("label", "error") for r in results["guarddog"]))}
        if side == "sample":
            section["corpus_samples"]["missed_by_pysecbook"] = [
                n for n, r in zip(names, results["pysecbook"]) if not r.get("flagged")]
    if not wheels:
        section["wheels"] = {"skipped": "not requested (--no-wheels)"}
        return section
    from pysecbench.topwheels import fetch, pinned

    paths, errors = [], []
    for entry in pinned():
        try:
            paths.append(fetch(entry))
        except OSError as exc:
            errors.append(f"{entry['filename']}: {exc}")
    names = [p.name for p in paths]
    results, seconds = {}, {}
    with tempfile.TemporaryDirectory(prefix="pysecbook-redflags-") as tmp:
        unpacked = [_wheel_dir(p, Path(tmp)) for p in paths]
        for tool, fn, targets in (("pysecbook", pysecbook, paths),
                                  ("guarddog", lambda p: guarddog(exe, p), paths),
                                  ("bandit", bandit, unpacked)):
            print(f"bench: redflags: {tool} on {len(paths)} top wheels...", file=sys.stderr)
            results[tool], seconds[tool] = _measure(fn, targets, jobs)
            print(f"bench: redflags: {tool} done in {seconds[tool]:.0f} s", file=sys.stderr)
            partial = HERE / "cache" / "redflags-wheels-partial.json"  # in case a later tool fails
            partial.write_text(json.dumps({"names": names, "results": results, "seconds": seconds}), "utf-8")
    rules = Counter(rule for r in results["pysecbook"] for rule in r.get("rules", []))
    section["wheels"] = {"count": len(paths), "fetch_errors": errors,
                         "tools": _tally(results, names), "wall_seconds": seconds,
                         "pysecbook_high_rules": dict(rules.most_common()),
                         "pysecbook_flagged": {n: r["rules"] for n, r in zip(names, results["pysecbook"])
                                               if r.get("flagged")},
                         "guarddog_labels": dict(Counter(r.get("label", "error") for r in results["guarddog"]))}
    return section


def _cell(tally: dict[str, Any]) -> str:
    if not tally["of"]:
        return "not measured"
    errors = f" ({len(tally['errors'])} errors)" if tally["errors"] else ""
    return f"{tally['flagged']} of {tally['of']} ({100 * tally['flagged'] / tally['of']:.0f} %){errors}"


def render(section: dict[str, Any]) -> str:
    """The section as Markdown: one row per tool, one column per corpus, then the times."""
    if "skipped" in section:
        return f"## Red flags beside GuardDog and Bandit\n\nNot measured: {section['skipped']}.\n"
    parts = [("corpus_samples", "technique samples flagged (recall)"),
             ("corpus_twins", "near-miss twins flagged (false alarms)"),
             ("wheels", "top wheels flagged (false alarms)")]
    parts = [(k, title) for k, title in parts if k in section and "tools" in section[k]]
    when = (f" Measured {section['measured']}, load average {section['load_average_at_start'][0]} "
            "at the start (the times are wall-clock seconds and grow with the machine's load)."
            if section.get("measured") else "")
    lines = ["## Red flags beside GuardDog and Bandit", "",
             f"GuardDog: {section['guarddog']}.{when} The technique corpus was written for this "
             "book together with the rules it exercises: read its recall as a check that every "
             "technique is covered, not as a detection rate on unseen malware.", "",
             "| tool | " + " | ".join(title for _, title in parts) + " |",
             "|---|" + "---|" * len(parts)]
    for tool in TOOLS:
        lines.append(f"| {LABELS[tool]} | " + " | ".join(_cell(section[k]["tools"][tool]) for k, _ in parts) + " |")
    lines += ["", "| tool | " + " | ".join(f"time on the {title.split(' flagged')[0]}" for _, title in parts) + " |",
              "|---|" + "---|" * len(parts)]
    for tool in ("pysecbook", "bandit", "guarddog"):
        lines.append(f"| {tool} | " + " | ".join(f"{section[k]['wall_seconds'][tool]:.0f} s" for k, _ in parts) + " |")
    missed = section.get("corpus_samples", {}).get("missed_by_pysecbook")
    lines += ["", f"Samples pysecbook check misses: {', '.join(missed) if missed else 'none'}."]
    wheels = section.get("wheels", {})
    if wheels.get("pysecbook_flagged"):
        lines.append("Top wheels with a high red flag: " + "; ".join(
            f"{n} ({', '.join(r)})" for n, r in wheels["pysecbook_flagged"].items()) + ".")
    elif "tools" in wheels:
        lines.append("No top wheel gets a high red flag.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Alone: ``--no-wheels`` or ``--no-corpus`` measure one half, merged into what an earlier
    # run of the other half left in bench/redflags-report.json.
    out = HERE / "cache" / "redflags-report.json"
    report = json.loads(out.read_text("utf-8")) if out.is_file() else {}
    report.update(run(corpus="--no-corpus" not in sys.argv, wheels="--no-wheels" not in sys.argv))
    out.write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    print(render(report))


def _share(section: dict[str, Any], part: str, tool: str) -> float | None:
    tally = (section.get(part) or {}).get("tools", {}).get(tool)
    return round(tally["flagged"] / tally["of"], 3) if tally and tally["of"] else None


def target_rows(section: dict[str, Any] | None) -> list[tuple[str, float | None, float | None, str, str]]:
    """The issue's targets as (name, measured, limit, kind, unit) for bench.py's table; a limit
    that is another tool's measurement is None when that tool was not measured."""
    s = section or {}
    recall = _share(s, "corpus_samples", "pysecbook")
    wheels = _share(s, "wheels", "pysecbook")
    return [
        ("technique corpus recall", recall, 0.9, "min", ""),
        ("technique corpus recall vs GuardDog's risk model", recall,
         _share(s, "corpus_samples", "guarddog_risk"), "min", ""),
        ("near-miss twins with an alarm", _share(s, "corpus_twins", "pysecbook"), 0.1, "max", ""),
        ("top-100 wheels with a high red flag", wheels, 0.05, "max", ""),
        ("top-100 wheels: high red flags vs GuardDog's risk model", wheels,
         _share(s, "wheels", "guarddog_risk"), "max", ""),
    ]
