"""The wheels of the most downloaded projects on PyPI: pinned, fetched, checked, never run.

``bench/top-wheels.json`` pins one wheel per project (name, version, file name, SHA-256),
ranked as in ``src/pysecbook/data/popular_pypi.txt``. ``make bench`` fetches each file from
the index pip is configured with, through the checker's own index client
(:mod:`pysecbook.checker.index`: the Simple API, PEP 691 JSON preferred, with its timeouts,
size limits and a SHA-256 verified before anything reads the file), keeps it under
``bench/cache/wheels``, and runs ``pysecbook check`` on it as a reader would. Nothing is
installed, imported or executed. ``--refresh-wheels`` rewrites the list with each project's
newest wheel for this platform (pure-Python first).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.version import Version

from pysecbook.checker.index import pip_index_config
from pysecbook.checker.index.fetch import fetch as fetch_verified
from pysecbook.checker.index.fetch import sha256_file
from pysecbook.checker.index.release import IndexFile, index_files
from pysecbook.checker.index.simple import IndexUnavailable, Settings, get_project_page, session

HERE = Path(__file__).resolve().parent.parent  # bench/
ROOT = HERE.parent
LIST = HERE / "top-wheels.json"
CACHE = HERE / "cache" / "wheels"
POPULAR = ROOT / "src" / "pysecbook" / "data" / "popular_pypi.txt"
FETCH_TIMEOUT = 120
#: The checker's limits, with the bench's patience: a wheel of a few hundred MB on a slow link.
SETTINGS = Settings(connect_timeout=30.0, read_timeout=FETCH_TIMEOUT, deadline=1800.0)


def index_url() -> str:
    """The index pip would use here, read as the checker reads it (``PIP_INDEX_URL``, pip's
    configuration files, else PyPI)."""
    return pip_index_config().index_url


def project_files(name: str, index: str | None = None) -> list[IndexFile]:
    """The files of a project on the index, as the checker's index client reads them;
    ``OSError`` with the client's one line when the index cannot be asked."""
    try:
        page = get_project_page(session(), index or index_url(), name, SETTINGS)
    except IndexUnavailable as exc:
        raise OSError(str(exc)) from None
    return index_files(page, name)


def _wheel_rank(filename: str) -> int | None:
    if not filename.endswith(".whl"):
        return None
    tags = filename[:-4].split("-")[-3:]
    python, abi, platform = tags
    if platform == "any" and "py3" in python:
        return 0
    if "cp311" in python and "x86_64" in platform and "manylinux" in platform:
        return 1
    if abi == "abi3" and "x86_64" in platform and "manylinux" in platform:
        return 2
    return None


def newest_wheel(name: str, index: str | None = None) -> dict[str, str] | None:
    """The newest release's best wheel for this machine: pure Python, else CPython 3.11."""
    best: tuple[Version, int, IndexFile] | None = None
    for f in project_files(name, index):
        rank = _wheel_rank(f.filename)
        if rank is None or f.kind != "wheel" or f.yanked or not f.version or not f.sha256:
            continue
        version = Version(f.version)
        if version.is_prerelease:
            continue
        if best is None or (version, -rank) > (best[0], -best[1]):
            best = (version, rank, f)
    if best is None:
        return None
    return {"name": name, "version": str(best[0]), "filename": best[2].filename,
            "sha256": best[2].sha256 or ""}


def refresh_list(count: int = 100) -> list[dict[str, str]]:
    names = [line.strip() for line in POPULAR.read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    chosen: list[dict[str, str]] = []
    for name in names:
        if len(chosen) == count:
            break
        try:
            entry = newest_wheel(name)
        except OSError as exc:
            print(f"top wheels: {name}: {exc}", file=sys.stderr)
            continue
        if entry:
            chosen.append(entry)
    LIST.write_text(json.dumps({"_about": "One wheel per project, ranked as popular_pypi.txt; "
                                          "written by bench/pysecbench/topwheels.py --refresh-wheels",
                                "wheels": chosen}, indent=1) + "\n", "utf-8")
    return chosen


def pinned() -> list[dict[str, str]]:
    return list(json.loads(LIST.read_text("utf-8"))["wheels"])


def fetch(entry: dict[str, str], cache: Path = CACHE, index: str | None = None) -> Path:
    """The pinned file (``name``, ``filename``, ``sha256``) at ``cache/filename``: kept from an
    earlier run if it still has that digest, else fetched by the checker's client from the
    address the index gives, and verified against the pinned SHA-256 before it is kept."""
    path = cache / entry["filename"]
    if path.is_file() and sha256_file(path) == entry["sha256"]:
        return path
    files = {f.filename: f for f in project_files(entry["name"], index)}
    if entry["filename"] not in files:
        raise OSError(f"{entry['filename']} is not on the index")
    try:
        verified = fetch_verified(session(), files[entry["filename"]].url, entry["filename"],
                                  entry["sha256"], cache=cache / ".by-hash", settings=SETTINGS)
    except IndexUnavailable as exc:
        raise OSError(str(exc)) from None
    os.replace(verified, path)
    return path


def check_one(path: Path, pysecbook: str) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run([pysecbook, "check", str(path), "--format", "json", "--jobs", "1",
                           "--timeout", "300"], capture_output=True, text=True, timeout=600,
                          check=False)
    seconds = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return {"file": path.name, "error": (done.stderr.strip().splitlines() or ["no output"])[-1],
                "seconds": seconds}
    high_flags = [f for f in report["findings"] if f["source"] in ("redflag", "trust")
                  and f["severity"] == "high"]
    return {"file": path.name, "target_verdict": report["target_verdict"],
            "verdict": report["verdict"], "exit_code": done.returncode, "seconds": seconds,
            "evidence": [e for e in report["evidence"] if " not shown: " not in e],
            "high_red_flags": [f"{f['rule_id']} {f['path']}" for f in high_flags],
            "unscanned": len(report["unscanned"])}


def bench_top_wheels(pysecbook: str, *, jobs: int = 2) -> dict[str, Any]:
    """Check every pinned wheel; the share blocked, and each block's evidence."""
    entries = pinned()
    paths, errors = [], []
    for entry in entries:
        try:
            paths.append(fetch(entry))
        except OSError as exc:
            errors.append(f"{entry['filename']}: {exc}")
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda p: check_one(p, pysecbook), paths))
    wall = time.perf_counter() - start
    checked = [r for r in results if "target_verdict" in r]
    blocked = [r for r in checked if r["target_verdict"] == "blocked"]
    counts = {v: sum(r["target_verdict"] == v for r in checked) for v in ("pass", "review", "blocked")}
    return {
        "wheels": len(entries), "checked": len(checked), "fetch_errors": errors,
        "check_errors": [r for r in results if "error" in r], "verdicts": counts,
        "blocked_share": len(blocked) / len(checked) if checked else None,
        "high_red_flag_share": (sum(bool(r["high_red_flags"]) for r in checked) / len(checked)
                                if checked else None),
        "blocked": [{"file": r["file"], "evidence": r["evidence"], "high_red_flags": r["high_red_flags"]}
                    for r in blocked],
        "wall_seconds": wall, "results": results,
    }


if __name__ == "__main__":
    if "--refresh-wheels" in sys.argv:
        print(f"{len(refresh_list())} wheels pinned in {LIST}")
    else:
        print(json.dumps(bench_top_wheels(str(ROOT / ".venv" / "bin" / "pysecbook")), indent=1))
