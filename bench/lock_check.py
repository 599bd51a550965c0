"""``make bench`` part ``lock``: ``pysecbook check -r requirements.txt`` on this project's own lock.

Every pinned requirement of ``requirements.txt`` is fetched from PyPI (the only network use
of this part): first into an empty cache (cold), then again with that cache filled (warm,
the index pages asked again), then with ``--offline`` (the cache alone). The same files,
unpacked once into a temporary directory, are then scanned by ``bandit -r`` alone for
comparison. Wall time and peak memory come from ``bench.measure``. pip's own settings on the
machine are left out (``PIP_CONFIG_FILE`` set to the null device, no ``PIP_*`` variable), so
the run asks PyPI alone. A part of ``make bench`` of its own: :func:`run` returns the part's
figures as a dict (``report["lock"]``), :func:`markdown` renders them, and
:data:`TARGET_WARM_RATIO` is its target. ``bench/bench.py`` calls them (``--only lock``) and
lends :func:`run` its ``measure``; nothing else here depends on that file.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tarfile
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
BIN = Path(sys.executable).parent
#: A warm cache should make the whole lock check faster than Bandit alone on the same files.
TARGET_WARM_RATIO = 1.0

Measure = Callable[..., dict[str, Any]]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "PYTHONWARNINGS"}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def unpack(cache: Path, dest: Path) -> dict[str, int]:
    """Unpack every archive of ``cache`` under ``dest`` (tar with the ``data`` filter, zip
    members checked); returns counts of archives and Python files."""
    archives = 0
    for path in sorted(cache.glob("sha256/*/*/*")):
        if path.name == "provenance.json" or path.name.startswith(".part-"):
            continue
        target = dest / path.name
        target.mkdir(parents=True, exist_ok=True)
        if path.name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            with tarfile.open(path) as tar:
                tar.extractall(target, filter="data")
        elif path.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename
                    if name.startswith("/") or ".." in Path(name).parts or info.is_dir():
                        continue
                    out = target / name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        else:
            continue
        archives += 1
    py = sum(1 for _ in dest.rglob("*.py"))
    return {"archives": archives, "py_files": py}


def _summary(report_json: Path) -> dict[str, Any]:
    try:
        data = json.loads(report_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    deps = data.get("dependencies", [])
    return {"dependencies": len(deps),
            "verdicts": dict(Counter(d["verdict"] for d in deps)),
            "files_checked": sum(len(d["files"]) for d in deps),
            "not_fetched": [d["requirement"] for d in deps if d.get("error")][:20],
            "failing_checks": dict(Counter(c for d in deps for c in d["failed_checks"]))}


def run(workdir: Path, measure: Measure, runs: int = 1) -> dict[str, Any]:
    """The figures of this part (see the module docstring), measured under ``workdir``.

    ``measure(cmd, cwd=..., env=..., timeout=...)`` runs one command and returns its wall
    time (``seconds``), peak memory of its process tree (``tree_rss``), ``returncode`` and
    ``stderr_tail``."""
    cache = workdir / "lock-cache"
    out = workdir / "lock.json"
    check = [str(BIN / "pysecbook"), "check", "-r", str(LOCK), "--cache-dir", str(cache),
             "--format", "json", "--output", str(out), "--jobs", str(os.cpu_count() or 1)]
    env = _env()
    cold = measure(check, cwd=workdir, env=env, timeout=3600)
    if not any(cache.glob("sha256/*/*/*")):
        return {"skipped": f"nothing could be fetched from PyPI (exit {cold['returncode']}): "
                           f"{cold['stderr_tail'][-300:]}"}
    summary = _summary(out)
    warm = [measure(check, cwd=workdir, env=env) for _ in range(runs)]
    offline = [measure([*check, "--offline"], cwd=workdir, env=env) for _ in range(runs)]
    offline_summary = _summary(out)
    tree = workdir / "lock-unpacked"
    counts = unpack(cache, tree)
    bandit = [measure([str(BIN / "bandit"), "-r", "-q", str(tree)], cwd=workdir, env=env)
              for _ in range(runs)]
    size = sum(p.stat().st_size for p in cache.glob("sha256/*/*/*") if p.is_file())

    def med(rs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in rs)

    warm_s, bandit_s = med(warm, "seconds"), med(bandit, "seconds")
    return {
        "description": (
            f"pysecbook check -r requirements.txt (this project's lock, "
            f"{summary.get('dependencies', '?')} pinned requirements, sdist and the wheel pip "
            f"would install here for each: {counts['archives']} archives, "
            f"{size / 1e6:.1f} MB) fetched from PyPI with --jobs {os.cpu_count()}; bandit -r on "
            f"the same archives unpacked ({counts['py_files']} .py files). Cold: empty cache. "
            f"Warm: the cache filled, index pages asked again. Offline: the cache alone. "
            f"{runs} run(s) of each warm command, medians."),
        "cold": cold, "warm": warm, "offline": offline, "bandit": bandit,
        "seconds": {"cold": cold["seconds"], "warm": warm_s,
                    "offline": med(offline, "seconds"), "bandit": bandit_s},
        "peak_tree_rss": {"cold": cold["tree_rss"], "warm": med(warm, "tree_rss"),
                          "offline": med(offline, "tree_rss"), "bandit": med(bandit, "tree_rss")},
        "warm_ratio": warm_s / bandit_s if bandit_s else None,
        "summary": summary, "offline_summary": offline_summary,
        "archives": counts["archives"], "py_files": counts["py_files"], "bytes": size,
    }


def markdown(section: dict[str, Any] | None) -> list[str]:
    """The report section of this part (``bench/report.md``)."""
    out = ["## `pysecbook check -r requirements.txt` (this project's lock, from PyPI)", ""]
    if not section or section.get("skipped"):
        why = (section or {}).get("skipped")
        return out + [f"Not measured in this run{': ' + why if why else ''}.", ""]
    s, m = section["seconds"], section["peak_tree_rss"]
    out += [section["description"], "",
            "| Run | Wall time | Peak memory (process tree) |", "|---|---|---|"]
    for key, label in (("cold", "cold cache"), ("warm", "warm cache"), ("offline", "--offline"),
                       ("bandit", "bandit -r alone, unpacked")):
        out.append(f"| {label} | {s[key]:.1f} s | {m[key] / 1e6:.0f} MB |")
    ratio = section.get("warm_ratio")
    out += ["", f"Warm cache / bandit -r: {ratio:.2f}x (target: under {TARGET_WARM_RATIO:g}x)."
            if ratio is not None else "Warm cache / bandit -r: not measured.", ""]
    summ = section.get("summary", {})
    if summ:
        out += [f"Verdicts: {summ.get('verdicts')}; must-do checks not passed, by count: "
                f"{summ.get('failing_checks')}; not fetched: {summ.get('not_fetched') or 'none'}.", ""]
    return out
