"""``make bench``: the book's build times, the checker's speed and memory, the site's weight.

Writes ``bench/report.json`` and ``bench/report.md`` (issue 8). Everything is measured on the
machine that runs it; nothing is asserted. The only network use is the one-time download of
the Django sdist from PyPI into ``bench/cache/`` (gitignored). The book is built from a plain
file copy of the working tree in a temporary directory, never from the real tree, and the
site is served on 127.0.0.1 only.

The ``lock`` part (``bench/lock_check.py``) fetches this project's whole lock from PyPI; the
``redflags`` part (``bench/redflags.py``) measures red flags beside GuardDog and Bandit.

Usage: ``python bench/bench.py [--only book,checker,site,wheels,lock,redflags] [--make-test] [--runs 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / "cache"
BIN = Path(sys.executable).parent
DJANGO_VERSION = "5.2.8"
DJANGO_SDIST = CACHE / f"django-{DJANGO_VERSION}.tar.gz"
DJANGO_TREE = CACHE / f"django-{DJANGO_VERSION}"
SMALL_PROJECT = ROOT / "samples" / "well-kept"
HOME_PAGE = "book/index.html"
CHAPTER_PAGE = "book/practices/deserialization.html"
# Top-level entries never copied into the benchmark's copy of the tree.
COPY_EXCLUDE = {".venv", "_build", "node_modules", ".git", ".pytest_cache", "__pycache__"}

TARGETS = {
    "check_tree_ratio": 0.6,     # pysecbook check / bandit -r, Django tree, at most
    "check_archive_ratio": 0.7,  # pysecbook check on the .tar.gz / bandit -r, at most
    "prose_rebuild_s": 3.0,      # under
    "clean_build_s": 90.0,       # under
    "make_test_s": 600.0,        # under
    "chapter_kb": 600.0,         # at most (1 KB = 1000 bytes)
    "lh_performance": 95,        # at least
    "lh_other": 100,             # accessibility, best practices, SEO: at least
    "top_wheels_blocked": 0.2,   # share of the top-100 wheels whose verdict is "blocked", at most
}


# --------------------------------------------------------------------------- pure helpers
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


def _num(value: float | None, unit: str) -> str:
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


def render_markdown(report: dict[str, Any]) -> str:
    """The human-readable report, from the same data as report.json."""
    m = report["machine"]
    out = ["# `make bench` report", "",
           f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, "
           f"Python {m['python']}, {m['os']}. {m['note']}", ""]

    out += ["## Targets", "", "| Target | Limit | Measured | Status | Gap |",
            "|---|---|---|---|---|"]
    for t in report["targets"]:
        op = {"max": "<=", "lt": "<", "min": ">="}[t["kind"]]
        gap = "" if t["gap"] is None else _num(t["gap"], t["unit"])
        if t["gap"] is not None and t["gap"] > 0:
            gap = "+" + gap
        out.append(f"| {t['name']} | {op} {_num(t['limit'], t['unit'])} | "
                   f"{_num(t['measured'], t['unit'])} | {t['status']} | {gap} |")
    out.append("")
    whys = [t for t in report["targets"] if t["why"]]
    if whys:
        out += ["Why the unmet targets are not met (measured, below):", ""]
        out += [f"- **{t['name']}**: {t['why']}" for t in whys]
        out.append("")

    book = report.get("book")
    out += ["## The book", ""]
    if not book or book.get("skipped"):
        out += [not_measured(book), ""]
    else:
        out += [f"`jupyter-book --help` alone (CLI start-up): "
                f"{fmt_seconds(book.get('cli_startup_s'))}.", "",
                "| Build (copy of the working tree, fresh output directory) | Wall time | Exit |"
                " Pages executed | Pages Sphinx re-read |", "|---|---|---|---|---|"]
        for key, label in (("clean", "clean, every page executed, empty cache"),
                           ("no_change", "rebuild, no change"),
                           ("prose_edit", f"rebuild after a prose edit ({book['prose_page']})"),
                           ("code_edit", f"rebuild after a code edit ({book['code_page']})")):
            run = book[key]
            rr = run.get("reread")
            reread = "none" if not rr else (f"{rr['added']} added, {rr['changed']} changed"
                                            + (f" {rr['reason']}" if rr["reason"] else ""))
            out.append(f"| {label} | {fmt_seconds(run['seconds'])} | {run['returncode']} | "
                       f"{len(run['executed'])} | {reread} |")
        out.append("")
        for key in ("no_change", "prose_edit"):
            phases = book[key].get("phases") or []
            if phases:
                out += [f"Phases of the {key.replace('_', '-')} rebuild (seconds since the "
                        f"command started; total {fmt_seconds(book[key]['seconds'])}):", ""]
                out += [f"- {t:.2f} s: {text}" for t, text in phases]
                out.append("")
        if book.get("warnings"):
            out += ["Warnings in the clean build:", ""]
            out += [f"- `{w}`" for w in book["warnings"][:15]]
            out.append("")
        pages = book["clean"]["executed"]
        total = sum(p["seconds"] for p in pages)
        out += [f"Execution time per page in the clean build, slowest first ({len(pages)} pages, "
                f"{total:.1f} s in total):", "", "| Page | Seconds |", "|---|---|"]
        out += [f"| {p['page']} | {p['seconds']:.2f} |" for p in pages]
        out.append("")

    chk = report.get("checker")
    out += ["## The checker", ""]
    if not chk or chk.get("skipped"):
        out += [not_measured(chk), ""]
    else:
        out += [chk["description"], "",
                "| Command | Runs (s) | Median wall | Median CPU (user+sys) | "
                "Median peak RSS (tree) | Max single-process RSS | Exit | 1-min load before |",
                "|---|---|---|---|---|---|---|---|"]
        for run in chk["runs"]:
            out.append(
                f"| `{run['label']}` | {', '.join(f'{s:.2f}' for s in run['seconds'])} | "
                f"{fmt_seconds(run['median_s'])} | {fmt_seconds(run.get('median_cpu_s'))} | "
                f"{fmt_bytes(run['median_tree_rss'])} | "
                f"{fmt_bytes(run['median_max_rss'])} | {', '.join(map(str, run['returncodes']))} | "
                f"{', '.join(map(str, run.get('load_before', [])))} |")
        out.append("")
        for key, label in chk["ratios_labels"].items():
            r = chk["ratios"].get(key)
            out.append(f"- {label}: {fmt_ratio(r)}")
        out.append("")
        for note in chk.get("notes", []):
            out.append(f"- {note}")
        out.append("")

    site = report.get("site")
    out += ["## The site", ""]
    if not site or site.get("skipped"):
        out += [not_measured(site), ""]
    else:
        out += [site["description"], "",
                "| Page | Requests | Bytes transferred | Uncompressed | Lighthouse perf | "
                "a11y | best practices | SEO |", "|---|---|---|---|---|---|---|---|"]
        for p in site["pages"]:
            lh = p.get("lighthouse") or {}
            sc = lh.get("scores", {})

            def s(k: str, sc: dict[str, Any] = sc) -> str:
                v = sc.get(k)
                return "not measured" if v is None else str(v)

            out.append(f"| {p['page']} | {p['requests']} | {fmt_bytes(p['bytes'])} | "
                       f"{fmt_bytes(p.get('uncompressed_bytes') or p['bytes'])} | {s('performance')} | "
                       f"{s('accessibility')} | {s('best-practices')} | {s('seo')} |")
        out.append("")
        for p in site["pages"]:
            out += [f"Largest assets of {p['page']}:", "", "| Asset | Type | Bytes transferred | Uncompressed |",
                    "|---|---|---|---|"]
            out += [f"| {a['url']} | {a['type']} | {fmt_bytes(a['bytes'])} | "
                    f"{fmt_bytes(a.get('uncompressed_bytes') or a['bytes'])} |" for a in p["largest"]]
            out.append("")
            lh = p.get("lighthouse") or {}
            if lh.get("error"):
                out += [f"Lighthouse on {p['page']}: {lh['error']}", ""]
            elif lh.get("failing"):
                out += [f"Lighthouse audits below full marks on {p['page']}:", ""]
                out += [f"- {f['category']}: `{f['id']}` ({f['title']}), score {f['score']}"
                        + (f": {f['value']}" if f.get("value") else "") for f in lh["failing"]]
                out.append("")
            if lh.get("opportunities"):
                out += [f"Lighthouse's estimated savings on {p['page']}:", ""]
                out += [f"- `{o['id']}` ({o['title']}): {o['savings_ms']} ms"
                        + (f"; {', '.join(o['items'])}" if o["items"] else "")
                        for o in lh["opportunities"]]
                out.append("")

    wh = report.get("wheels")
    out += ["## The wheels of the 100 most downloaded projects", ""]
    if wh and wh.get("verdicts"):
        v = wh["verdicts"]
        out += [f"`pysecbook check` on {wh['checked']} of {wh['wheels']} pinned wheels "
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
    else:
        out += [not_measured(wh), ""]

    out += _lock_part().markdown(report.get("lock"))

    mt = report.get("make_test")
    out += ["## `make test`", "",
            (f"One run on a fresh clone, set-up included: {fmt_seconds(mt['seconds'])}, "
             f"exit code {mt['returncode']}"
             f"{' (' + mt['summary'] + ')' if mt.get('summary') else ''}."
             f"{' ' + mt['note'] if mt.get('note') else ''}"
             if mt and mt.get("seconds") is not None else
             not_measured(mt)),
            ""]
    if "redflags" in report:
        out.append(_redflags().render(report["redflags"]))
    return "\n".join(out)


def _lock_part() -> Any:
    """bench/lock_check.py, loaded by path (this file is also loaded by path, by the tests)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pysecbook_bench_lock", BENCH / "lock_check.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _redflags():  # type: ignore[no-untyped-def]
    """bench/redflags.py, the part that measures red flags beside GuardDog and Bandit."""
    sys.path.insert(0, str(BENCH))
    import redflags

    return redflags


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
            timeout: float = 1800, interval: float = 0.02) -> dict[str, Any]:
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


# --------------------------------------------------------------------------- the book
EXEC_RE = re.compile(r"(\S+?\.(?:md|ipynb))(?::\d+)?: Executed notebook in ([\d.]+) seconds")
WARN_RE = re.compile(r"^.*(?:WARNING|ERROR).*$", re.MULTILINE)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
PHASE_RE = re.compile(r"(Running Sphinx|loading pickled|building \[|updating environment|"
                      r"reading sources|pickling environment|checking consistency|"
                      r"preparing documents|writing output|generating indices|"
                      r"copying |dumping |build succeeded|build finished)")
ENV_RE = re.compile(r"updating environment: (\[[^\]]*\] )?(\d+) added, (\d+) changed, "
                    r"(\d+) removed")


def copy_tree(dest: Path) -> None:
    """Plain file copy of the working tree (tracked and uncommitted files alike)."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        skip = {n for n in names if n in COPY_EXCLUDE or n.endswith(".pyc")}
        if here == BENCH:
            skip |= {"cache", "node_modules"}
        return skip

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def executed_pages(log: str, source: Path) -> list[dict[str, Any]]:
    """``[{page, seconds}]`` from the build log, slowest first."""
    found: dict[str, float] = {}
    for path, secs in EXEC_RE.findall(log):
        page = path
        with contextlib.suppress(ValueError):
            page = str(Path(path).resolve().relative_to(source.resolve()))
        found[page] = float(secs)
    return sorted(({"page": p, "seconds": s} for p, s in found.items()),
                  key=lambda r: r["seconds"], reverse=True)


def _build(source: Path, output: Path, env: dict[str, str]) -> dict[str, Any]:
    cmd = [str(BIN / "jupyter-book"), "build", str(source), "--path-output", str(output),
           "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    lines: list[str] = []
    phases: list[list[Any]] = []
    # Unbuffered and line by line, so that each phase of the build gets its own time stamp.
    proc = subprocess.Popen(cmd, cwd=source, env=dict(env, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = ANSI_RE.sub("", raw.rstrip("\n"))
        lines.append(line)
        if PHASE_RE.match(line):
            phases.append([round(time.perf_counter() - start, 2), line[:60]])
    proc.wait(timeout=1800)
    seconds = time.perf_counter() - start
    log = "\n".join(lines)
    # Kernels' own stderr (ipykernel's "running over TCP" notice) is not a Sphinx warning.
    warnings = sorted({w.replace(str(source) + "/", "") for w in WARN_RE.findall(log)
                       if "[IPKernelApp]" not in w})
    env_line = ENV_RE.search(log)
    return {"seconds": seconds, "returncode": proc.returncode,
            "reread": None if not env_line else {
                "reason": (env_line[1] or "").strip(), "added": int(env_line[2]),
                "changed": int(env_line[3]), "removed": int(env_line[4])},
            "executed": executed_pages(log, source), "warnings": warnings, "phases": phases,
            "succeeded": "build succeeded" in log and proc.returncode == 0}


def _first_code_cell_page(source: Path) -> str | None:
    for page in ("book/security-model/asserts.md",):
        if (source / page).is_file():
            return page
    for md in sorted((source / "book").rglob("*.md")):
        if "```{code-cell}" in md.read_text(encoding="utf-8"):
            return str(md.relative_to(source))
    return None


def import_costs(env: dict[str, str], module: str, parts: Sequence[str]) -> dict[str, float]:
    """Seconds ``python -X importtime`` spends importing ``module``, and some of its imports."""
    proc = subprocess.run([str(BIN / "python"), "-X", "importtime", "-c", f"import {module}"],
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    costs: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[1].isdigit() and fields[2] in (module, *parts):
            costs[fields[2]] = int(fields[1]) / 1e6
    return costs


def bench_book(workdir: Path) -> tuple[dict[str, Any], Path | None]:
    """Clean build, no-change rebuild, prose-edit rebuild, code-edit rebuild, in a copy."""
    source = workdir / "copy"
    output = workdir / "out"
    copy_tree(source)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(source / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONWARNINGS", None)
    page = _first_code_cell_page(source)
    if page is None:
        return {"skipped": "no page with a code cell"}, None
    result: dict[str, Any] = {"prose_page": page, "code_page": page}
    start = time.perf_counter()
    subprocess.run([str(BIN / "jupyter-book"), "--help"], env=env, capture_output=True,
                   check=False, timeout=300)
    result["cli_startup_s"] = time.perf_counter() - start
    result["config_imports"] = import_costs(env, "jupyter_book.config", ("rfc3987_syntax",))
    result["clean"] = _build(source, output, env)
    result["warnings"] = result["clean"]["warnings"]
    result["no_change"] = _build(source, output, env)
    path = source / page
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n\nThis sentence was added by the benchmark.\n",
                    encoding="utf-8")
    result["prose_edit"] = _build(source, output, env)
    text = path.read_text(encoding="utf-8")
    marker = "```{code-cell} ipython3\n"
    at = text.index(marker) + len(marker)
    # Skip the cell's options (``:tags:`` lines) so the edit lands in the code itself.
    while text[at:].startswith(":"):
        at = text.index("\n", at) + 1
    if text[at:].startswith("---\n"):
        at = text.index("---\n", at + 4) + 4
    path.write_text(text[:at] + "bench_edit = 1  # added by the benchmark\n" + text[at:],
                    encoding="utf-8")
    result["code_edit"] = _build(source, output, env)
    for key in ("no_change", "prose_edit", "code_edit"):
        result[key].pop("warnings", None)
    result["clean"].pop("warnings", None)
    html = output / "_build" / "html"
    return result, (html if (html / "index.html").is_file() else None)


# --------------------------------------------------------------------------- the checker
def fetch_django() -> str | None:
    """Download (once) and extract (once) the Django sdist; None, or why it failed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if not DJANGO_SDIST.is_file():
        env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
        env.pop("PIP_INDEX_URL", None)
        env.pop("PIP_EXTRA_INDEX_URL", None)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--no-build-isolation", f"django=={DJANGO_VERSION}", "-d", str(CACHE)],
            env=env, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0 or not DJANGO_SDIST.is_file():
            return ("the download of the Django sdist from PyPI failed: "
                    + (proc.stderr.strip().splitlines() or ["no output"])[-1])
    if not DJANGO_TREE.is_dir():
        with tarfile.open(DJANGO_SDIST) as tar:
            tar.extractall(CACHE, filter="data")
    return None


def _count_py(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for path in tree.rglob("*.py"):
        files += 1
        with open(path, "rb") as fh:
            lines += sum(1 for _ in fh)
    return files, lines


def _summarise(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"label": label, "seconds": [r["seconds"] for r in runs],
            "returncodes": [r["returncode"] for r in runs],
            "median_s": median([r["seconds"] for r in runs]),
            "median_tree_rss": median([r["tree_rss"] for r in runs]),
            "median_max_rss": median([r["max_rss"] for r in runs]),
            "median_cpu_s": median([r["cpu_s"] for r in runs]),
            "load_before": [r["load_before"] for r in runs],
            "stderr_tail": runs[-1]["stderr_tail"][-500:] if runs else ""}


def bench_checker(runs: int, workdir: Path) -> dict[str, Any]:
    why = fetch_django()
    if why:
        return {"skipped": why}
    check = str(BIN / "pysecbook")
    bandit = str(BIN / "bandit")
    if subprocess.run([check, "check", "--help"], capture_output=True,
                      check=False).returncode != 0:
        return {"skipped": "`pysecbook check` is not available"}
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    out = workdir / "check.json"
    commands = {
        "check_tree": ("pysecbook check DJANGO_TREE --format json",
                       [check, "check", str(DJANGO_TREE), "--format", "json", "--output", str(out)]),
        "bandit_tree": ("bandit -r -q DJANGO_TREE", [bandit, "-r", "-q", str(DJANGO_TREE)]),
        "check_archive": ("pysecbook check DJANGO.tar.gz --format json",
                          [check, "check", str(DJANGO_SDIST), "--format", "json",
                           "--output", str(out)]),
    }
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in commands}
    for _ in range(runs):  # alternately, in the same invocation
        for key, (_label, cmd) in commands.items():
            results[key].append(measure(cmd, cwd=workdir, env=env))
    small_tree = SMALL_PROJECT
    if not small_tree.is_dir():
        small_tree = workdir / "tiny"
        (small_tree / "tiny").mkdir(parents=True)
        (small_tree / "tiny" / "__init__.py").write_text('"""A tiny project."""\n')
        (small_tree / "pyproject.toml").write_text('[project]\nname = "tiny"\nversion = "0"\n')
    shown = (str(small_tree.relative_to(ROOT)) if small_tree.is_relative_to(ROOT)
             else "TINY_PROJECT")
    small = {
        "check_small": (f"pysecbook check {shown} --format json",
                        [check, "check", str(small_tree), "--format", "json",
                         "--output", str(out)]),
        "bandit_small": (f"bandit -r -q {shown}", [bandit, "-r", "-q", str(small_tree)]),
    }
    for key in small:
        results[key] = []
    for _ in range(runs):
        for key, (_label, cmd) in small.items():
            results[key].append(measure(cmd, cwd=workdir, env=env))
    labels = {k: v[0] for k, v in {**commands, **small}.items()}
    summary = {k: _summarise(labels[k], v) for k, v in results.items()}
    ratios = {
        "tree": ratio(summary["check_tree"]["median_s"], summary["bandit_tree"]["median_s"]),
        "archive": ratio(summary["check_archive"]["median_s"], summary["bandit_tree"]["median_s"]),
        "small": ratio(summary["check_small"]["median_s"], summary["bandit_small"]["median_s"]),
        "tree_memory": ratio(summary["check_tree"]["median_tree_rss"],
                             summary["bandit_tree"]["median_tree_rss"]),
    }
    files, lines = _count_py(DJANGO_TREE)
    sfiles, slines = _count_py(small_tree)
    return {
        "django_version": DJANGO_VERSION,
        "django_py_files": files, "django_py_lines": lines,
        "small_project": str(small_tree.relative_to(ROOT)) if small_tree.is_relative_to(ROOT)
        else "a generated one-file project",
        "small_py_files": sfiles, "small_py_lines": slines,
        "description": (
            f"Django {DJANGO_VERSION} sdist from PyPI ({DJANGO_SDIST.stat().st_size / 1e6:.1f} MB;"
            f" {files} .py files, {lines} lines), extracted once into bench/cache/. {runs} runs "
            f"of each command, alternating, in one invocation; output discarded (JSON written to "
            f"a temporary file). Peak RSS (tree): the largest sum of resident memory over the "
            f"command and all its child processes, sampled every 20 ms from /proc. Max "
            f"single-process RSS: ru_maxrss from os.wait4. Exit code 1 means findings, not a "
            f"failure. Small project: {small_tree.name} ({sfiles} .py files, {slines} lines): "
            f"its time is the fixed start-up cost."),
        "runs": list(summary.values()),
        "ratios": ratios,
        "ratios_labels": {
            "tree": "check / bandit, Django tree (wall time, medians)",
            "archive": "check on the .tar.gz / bandit -r on the extracted tree (wall time, medians)",
            "small": "check / bandit, small project (start-up cost)",
            "tree_memory": "check / bandit, Django tree (peak RSS of the process tree, medians)",
        },
        "summary": summary,
    }


# --------------------------------------------------------------------------- the site
def _page_weight(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context()  # fresh: empty cache, no cookies
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    assets = []
    for request in finished:
        sizes = request.sizes()
        response = request.response()
        body = b""
        with contextlib.suppress(Exception):
            body = response.body() if response else b""
        assets.append({
            "url": request.url.split("?")[0].split("/", 3)[-1],
            "type": request.resource_type,
            "status": response.status if response else None,
            "bytes": sizes["responseBodySize"] + max(sizes["responseHeadersSize"], 0),
            "body_bytes": sizes["responseBodySize"],
            "gzip_bytes": len(gzip.compress(body, 6)) if body else 0,
            "uncompressed_bytes": len(body),
        })
    context.close()
    assets.sort(key=lambda a: a["bytes"], reverse=True)
    return {"requests": len(assets), "bytes": sum(a["bytes"] for a in assets),
            "gzip_bytes": sum(a["gzip_bytes"] for a in assets),
            "uncompressed_bytes": sum(a["uncompressed_bytes"] for a in assets),
            "largest": assets[:8]}


def _details(audit: dict[str, Any]) -> str:
    """The first items of a failing Lighthouse audit, shortened: what it actually saw."""
    items = (audit.get("details") or {}).get("items") or []
    seen = []
    for item in items[:3]:
        text = item.get("description") or item.get("url") or (item.get("node") or {}).get(
            "snippet") or item.get("source") or ""
        seen.append(" ".join(str(text).split())[:160])
    return " | ".join(s for s in seen if s)


def _lighthouse(url: str, workdir: Path) -> dict[str, Any]:
    exe = BENCH / "node_modules" / ".bin" / "lighthouse"
    if not exe.exists():
        return {"error": "Lighthouse is not installed (run `npm ci` in bench/)"}
    sys.path.insert(0, str(ROOT / "scripts"))
    from sitetools import CHROMIUM, CHROMIUM_FLAGS

    profile = tempfile.mkdtemp(prefix="lh-profile-", dir=workdir)
    report = workdir / f"lh-{abs(hash(url))}.json"
    flags = " ".join(["--headless=new", *CHROMIUM_FLAGS, f"--user-data-dir={profile}"])
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    proc = subprocess.run(
        [str(exe), url, "--preset=desktop", "--output=json", f"--output-path={report}",
         "--quiet", f"--chrome-flags={flags}"],
        cwd=BENCH, env=env, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0 or not report.is_file():
        return {"error": f"lighthouse exited {proc.returncode}: "
                         + " ".join(proc.stderr.strip().splitlines()[-3:])}
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {k: (round(v["score"] * 100) if v.get("score") is not None else None)
              for k, v in data["categories"].items()}
    failing = []
    for key, cat in data["categories"].items():
        for ref in cat["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.append({"category": key, "id": ref["id"], "title": audit["title"],
                                "score": audit["score"], "weight": ref["weight"],
                                "value": audit.get("displayValue", "") or _details(audit)})
    opportunities = []
    for audit in data["audits"].values():
        details = audit.get("details") or {}
        saving = details.get("overallSavingsMs") or 0
        if details.get("type") == "opportunity" and saving > 0:
            opportunities.append({"id": audit["id"], "title": audit["title"],
                                  "savings_ms": round(saving),
                                  "items": [str(i.get("url", "")).split("?")[0].split("/", 3)[-1]
                                            for i in details.get("items", [])[:5]]})
    opportunities.sort(key=lambda o: o["savings_ms"], reverse=True)
    metrics = {k: data["audits"][k].get("displayValue") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "cumulative-layout-shift", "speed-index") if k in data["audits"]}
    return {"scores": scores, "failing": failing, "metrics": metrics,
            "opportunities": opportunities[:5],
            "version": data.get("lighthouseVersion")}


def bench_site(html: Path | None, workdir: Path) -> dict[str, Any]:
    if html is None:
        html = ROOT / "_build" / "html"
        if not (html / "index.html").is_file():
            return {"skipped": "no built site (run `make book`, or the book part of the bench)"}
    sys.path.insert(0, str(ROOT / "scripts"))
    from sitetools import chromium, serve

    pages = []
    with serve(html, compress=True) as base, chromium() as browser:
        for rel in (HOME_PAGE, CHAPTER_PAGE):
            if not (html / rel).is_file():
                pages.append({"page": rel, "requests": 0, "bytes": None, "gzip_bytes": None,
                              "largest": [], "lighthouse": {"error": "page not in the site"}})
                continue
            weight = _page_weight(browser, f"{base}/{rel}")
            pages.append({"page": rel, **weight, "lighthouse": _lighthouse(f"{base}/{rel}",
                                                                          workdir)})
    return {"site": str(html), "pages": pages, "description": (
        "Cold load (fresh Playwright context, cache disabled, Debian's Chromium) from the site "
        "built by the clean build above, served by scripts/sitetools.py on 127.0.0.1 with gzip "
        "compression of text files, as GitHub Pages and Read the Docs serve the book. Bytes "
        "transferred: the sum of response bodies (as sent, compressed) and headers of every "
        "request; 'uncompressed': the decoded bodies, what an uncompressing server such as "
        "`python -m http.server` would send. Lighthouse desktop preset against the same local "
        "server.")}


# --------------------------------------------------------------------------- make test
def bench_make_test(workdir: Path) -> dict[str, Any]:
    """``make test`` on a fresh clone of the committed HEAD, set-up included, as CI runs it
    (``CI=true``): a new virtual environment, the hashed lock installed, every test."""
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True, timeout=300)
    start = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=clone, capture_output=True, text=True,
                          timeout=3600, check=False, env={**os.environ, "CI": "true"})
    summaries = [line for line in proc.stdout.splitlines() if re.search(r" in [\d.]+s", line)]
    return {"seconds": time.perf_counter() - start, "returncode": proc.returncode,
            "summary": " / ".join(s.strip("= ") for s in summaries) or proc.stdout.strip()[-200:],
            "fresh_clone": True}


# --------------------------------------------------------------------------- assembling
def machine(note: str) -> dict[str, Any]:
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


def _kb(value: float | None) -> float | None:
    return None if value is None else value / 1000


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    book = report.get("book") or {}
    chk = report.get("checker") or {}
    site = report.get("site") or {}
    mt = report.get("make_test") or {}
    ratios = chk.get("ratios", {})
    summ = chk.get("summary", {})
    why = report.get("why", {})
    out = [
        target("check / bandit, Django tree", ratios.get("tree"), TARGETS["check_tree_ratio"],
               "max", "x", why.get("tree", "")),
        target("check .tar.gz / bandit, Django", ratios.get("archive"),
               TARGETS["check_archive_ratio"], "max", "x", why.get("archive", "")),
        target("rebuild after a prose edit", (book.get("prose_edit") or {}).get("seconds"),
               TARGETS["prose_rebuild_s"], "lt", "s", why.get("prose", "")),
        target("clean build, every page executed", (book.get("clean") or {}).get("seconds"),
               TARGETS["clean_build_s"], "lt", "s", why.get("clean", "")),
        target("make test", mt.get("seconds"), TARGETS["make_test_s"], "lt", "s", ""),
        target("top-100 wheels blocked", (report.get("wheels") or {}).get("blocked_share"),
               TARGETS["top_wheels_blocked"], "max", "", why.get("wheels", "")),
    ]
    pages = {p["page"]: p for p in site.get("pages", [])}
    chapter = pages.get(CHAPTER_PAGE, {})
    lock = report.get("lock") or {}
    out.append(target("check -r requirements.txt, warm cache / bandit -r", lock.get("warm_ratio"),
                      _lock_part().TARGET_WARM_RATIO, "lt", "x", ""))
    out.append(target(f"cold load of {CHAPTER_PAGE}", _kb(chapter.get("bytes")),
                      TARGETS["chapter_kb"], "max", "KB", why.get("weight", "")))
    for rel in (HOME_PAGE, CHAPTER_PAGE):
        scores = ((pages.get(rel) or {}).get("lighthouse") or {}).get("scores", {})
        for cat, label in (("performance", "performance"), ("accessibility", "accessibility"),
                           ("best-practices", "best practices"), ("seo", "SEO")):
            limit = TARGETS["lh_performance"] if cat == "performance" else TARGETS["lh_other"]
            out.append(target(f"Lighthouse {label}, {rel}", scores.get(cat), limit, "min", "",
                              why.get(f"lh:{rel}:{cat}", "")))
    if "redflags" in report and "skipped" not in report["redflags"]:
        for name, measured, limit, kind, unit in _redflags().target_rows(report["redflags"]):
            if limit is not None:
                out.append(target(name, measured, limit, kind, unit, ""))
    del summ
    return out


def explain(report: dict[str, Any]) -> dict[str, str]:
    """Measured reasons for unmet targets, from the data itself (never guessed)."""
    why: dict[str, str] = {}
    chk = report.get("checker") or {}
    s = chk.get("summary", {})
    if s:
        startup = s["check_small"]["median_s"]
        bstart = s["bandit_small"]["median_s"]
        why["tree"] = why["archive"] = (
            f"pysecbook check took {fmt_seconds(s['check_tree']['median_s'])} on the tree "
            f"(archive {fmt_seconds(s['check_archive']['median_s'])}) against bandit's "
            f"{fmt_seconds(s['bandit_tree']['median_s'])}; its fixed start-up cost on the small "
            f"project is {fmt_seconds(startup)} (bandit {fmt_seconds(bstart)}). CPU time "
            f"(user+sys, all processes): check {fmt_seconds(s['check_tree'].get('median_cpu_s'))}"
            f" on the tree, bandit {fmt_seconds(s['bandit_tree'].get('median_cpu_s'))}: with "
            f"--jobs defaulting to {os.cpu_count()} cores, check can only beat bandit's single "
            f"process by running in parallel, and the 1-min load average before the runs was "
            f"{', '.join(map(str, s['check_tree'].get('load_before', [])))} on "
            f"{os.cpu_count()} cores: the runs competed with other work for the cores.")
    book = report.get("book") or {}
    if book.get("clean"):
        pages = book["clean"]["executed"]
        total = sum(p["seconds"] for p in pages)
        top = ", ".join(f"{p['page']} {p['seconds']:.1f} s" for p in pages[:3])
        why["clean"] = (f"{len(pages)} pages executed, {total:.1f} s of kernel time in total, "
                        f"one after another; slowest: {top}.")
        rr = book["prose_edit"].get("reread") or {}
        stamps = {text.split(" ")[0]: t for t, text in reversed(
            book["prose_edit"].get("phases") or [])}
        split = ""
        if "Running" in stamps and "reading" in stamps and "pickling" in stamps:
            split = (f" Of those, {stamps['Running']:.2f} s pass before Sphinx starts (the "
                     f"Jupyter Book command's imports and configuration), "
                     f"{stamps['pickling'] - stamps['reading']:.2f} s re-read the edited page, "
                     f"and the remaining "
                     f"{book['prose_edit']['seconds'] - stamps['pickling'] + stamps['reading'] - stamps['Running']:.2f}"
                     f" s load the pickled environment, write the changed pages and end the "
                     f"command.")
        imports = book.get("config_imports") or {}
        if imports.get("jupyter_book.config") and imports.get("rfc3987_syntax"):
            split += (f" Importing Jupyter Book's configuration module alone takes "
                      f"{imports['jupyter_book.config']:.2f} s, "
                      f"{imports['rfc3987_syntax']:.2f} s of it in rfc3987_syntax, which "
                      f"compiles its Lark grammars at import: jsonschema loads it for its "
                      f"format checks, and it is installed because the SBOM tool "
                      f"(cyclonedx-bom, through cyclonedx-python-lib[validation]) requires "
                      f"jsonschema[format-nongpl]. Moving the SBOM tool to an environment of "
                      f"its own would save that time on every build command, but not enough "
                      f"to reach 3 s: Sphinx's own start, the pickled environment and "
                      f"writing the pages remain.")
        why["prose"] = (f"the prose-edit rebuild re-executed "
                        f"{len(book['prose_edit']['executed'])} page(s) and Sphinx re-read "
                        f"{rr.get('added', 0) + rr.get('changed', 0)} page(s)"
                        f"{' ' + rr['reason'] if rr.get('reason') else ''}, but took "
                        f"{fmt_seconds(book['prose_edit']['seconds'])} (a no-change rebuild: "
                        f"{fmt_seconds(book['no_change']['seconds'])}).{split}")
    site = report.get("site") or {}
    for p in site.get("pages", []):
        if p["page"] == CHAPTER_PAGE and p.get("largest"):
            top = ", ".join(f"{a['url']} {fmt_bytes(a['bytes'])}" for a in p["largest"][:4])
            why["weight"] = (f"{p['requests']} requests; largest: {top}. Served compressed, as "
                             f"the publishing hosts do; uncompressed the page is "
                             f"{fmt_bytes(p.get('uncompressed_bytes') or 0)}.")
        lh = p.get("lighthouse") or {}
        for cat in ("performance", "accessibility", "best-practices", "seo"):
            fails = [f for f in lh.get("failing", []) if f["category"] == cat]
            if fails:
                why[f"lh:{p['page']}:{cat}"] = "; ".join(
                    f"`{f['id']}` ({f['title']}{': ' + f['value'] if f['value'] else ''})"
                    for f in fails[:5])
                if cat == "performance" and lh.get("opportunities"):
                    o = lh["opportunities"][0]
                    why[f"lh:{p['page']}:{cat}"] += (
                        f". Largest estimated saving: `{o['id']}`, {o['savings_ms']} ms ("
                        f"{', '.join(o['items'][:3])}). Lighthouse's desktop preset simulates a "
                        f"throttled network; the local server sends everything uncompressed.")
            elif lh.get("error"):
                why[f"lh:{p['page']}:{cat}"] = lh["error"]
    return why


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="book,checker,site,wheels,lock,redflags",
                        help="comma-separated parts to run (book, checker, site, wheels, lock, "
                             "redflags)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--make-test", action="store_true",
                        help="also time one `make test` on a fresh clone of HEAD, set-up "
                        "included (only on a quiet machine)")
    parser.add_argument("--out", type=Path, default=BENCH)
    parser.add_argument("--render-only", action="store_true",
                        help="re-derive verdicts and report.md from an existing report.json")
    args = parser.parse_args(argv)
    if args.render_only:
        report = json.loads((args.out / "report.json").read_text(encoding="utf-8"))
        return _write(report, args.out)
    parts = set(args.only.split(","))
    note = ("The machine's 2 cores may be shared with other work during the run; the load "
            "average at the start is recorded in report.json.")
    report: dict[str, Any] = {"machine": machine(note)}
    with tempfile.TemporaryDirectory(prefix="pysecbook-bench-") as tmp:
        work = Path(tmp)
        html = None
        if "book" in parts:
            print("bench: building the book (clean, no change, prose edit, code edit)...",
                  file=sys.stderr)
            report["book"], html = bench_book(work)
        else:
            report["book"] = {"skipped": "not requested (--only)"}
        if "checker" in parts:
            print("bench: pysecbook check vs bandit on Django...", file=sys.stderr)
            report["checker"] = bench_checker(args.runs, work)
        else:
            report["checker"] = {"skipped": "not requested (--only)"}
        if "lock" in parts:
            print("bench: pysecbook check -r requirements.txt from PyPI, cold and warm...",
                  file=sys.stderr)
            report["lock"] = _lock_part().run(work, measure)
        else:
            report["lock"] = {"skipped": "not requested (--only)"}
        if "site" in parts:
            print("bench: page weight and Lighthouse...", file=sys.stderr)
            report["site"] = bench_site(html, work)
        else:
            report["site"] = {"skipped": "not requested (--only)"}
        if "wheels" in parts:
            print("bench: pysecbook check on the wheels of the top 100 projects...", file=sys.stderr)
            sys.path.insert(0, str(BENCH))
            from topwheels import bench_top_wheels

            report["wheels"] = bench_top_wheels(str(BIN / "pysecbook"))
        else:
            report["wheels"] = {"skipped": "not requested (--only)"}
        if "redflags" in parts:
            print("bench: red flags beside GuardDog and Bandit...", file=sys.stderr)
            report["redflags"] = _redflags().run()
        report["make_test"] = (bench_make_test(work) if args.make_test else
                               {"skipped": "run `make bench BENCH_ARGS=--make-test` on a "
                                           "quiet machine"})
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return _write(report, args.out)


def _write(report: dict[str, Any], out: Path) -> int:
    report["why"] = explain(report)
    report["targets"] = targets(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    print(f"bench: wrote {out / 'report.md'} and {out / 'report.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
