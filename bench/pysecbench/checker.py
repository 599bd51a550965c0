"""``pysecbook check`` against ``bandit -r`` on the Django sdist: wall time, CPU, memory.

The sdist is pinned by file name and SHA-256 (:data:`DJANGO`), fetched through the index's
own answer by the verified fetch of the top-wheels part, checked before anything reads it,
and only then extracted (``tarfile``'s ``data`` filter). Never ``pip download``: for an sdist
that runs Django's build backend.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import Any

from pysecbench import Part, register, topwheels
from pysecbench.common import (BIN, CACHE, ROOT, fmt_bytes, fmt_ratio, fmt_seconds, measure,
                               median, not_measured, ratio, run, target)

DJANGO_VERSION = "5.2.8"
#: The sdist, as the index lists it; verified before it is unpacked.
DJANGO = {"name": "django", "version": DJANGO_VERSION, "filename": f"django-{DJANGO_VERSION}.tar.gz",
          "sha256": "23254866a5bb9a2cfa6004e8b809ec6246eba4b58a7589bc2772f1bcc8456c7f"}
DJANGO_SDIST = CACHE / DJANGO["filename"]
DJANGO_TREE = CACHE / f"django-{DJANGO_VERSION}"
SMALL_PROJECT = ROOT / "samples" / "well-kept"
LIMITS = {"check_tree_ratio": 0.6, "check_archive_ratio": 0.7}


def fetch_django() -> str | None:
    """Fetch (once, verified) and extract (once) the Django sdist; None, or why it failed."""
    try:
        sdist = topwheels.fetch(DJANGO, cache=CACHE)
    except OSError as exc:
        return f"the Django sdist could not be fetched and verified: {exc}"
    if not DJANGO_TREE.is_dir():
        with tarfile.open(sdist) as tar:
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


def run_checker(args: Any, workdir: Path) -> dict[str, Any]:
    runs = args.runs
    why = fetch_django()
    if why:
        return {"skipped": why}
    check = str(BIN / "pysecbook")
    bandit = str(BIN / "bandit")
    if run([check, "check", "--help"], timeout=120).returncode != 0:
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



def why_ratios(chk: dict[str, Any]) -> str:
    s = chk.get("summary") or {}
    if not s:
        return ""
    return (
        f"pysecbook check took {fmt_seconds(s['check_tree']['median_s'])} on the tree "
        f"(archive {fmt_seconds(s['check_archive']['median_s'])}) against bandit's "
        f"{fmt_seconds(s['bandit_tree']['median_s'])}; its fixed start-up cost on the small "
        f"project is {fmt_seconds(s['check_small']['median_s'])} (bandit "
        f"{fmt_seconds(s['bandit_small']['median_s'])}). CPU time (user+sys, all processes): "
        f"check {fmt_seconds(s['check_tree'].get('median_cpu_s'))} on the tree, bandit "
        f"{fmt_seconds(s['bandit_tree'].get('median_cpu_s'))}: with --jobs defaulting to "
        f"{os.cpu_count()} cores, check can only beat bandit's single process by running in "
        f"parallel, and the 1-min load average before the runs was "
        f"{', '.join(map(str, s['check_tree'].get('load_before', [])))} on {os.cpu_count()} "
        f"cores: the runs competed with other work for the cores.")


def checker_targets(chk: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    ratios = chk.get("ratios", {})
    why = chk.get("why") or why_ratios(chk)
    return [target("check / bandit, Django tree", ratios.get("tree"), LIMITS["check_tree_ratio"],
                   "max", "x", why),
            target("check .tar.gz / bandit, Django", ratios.get("archive"),
                   LIMITS["check_archive_ratio"], "max", "x", why)]


def render_checker(chk: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if not chk or chk.get("skipped"):
        return [not_measured(chk), ""]
    out = [chk["description"], "",
           "| Command | Runs (s) | Median wall | Median CPU (user+sys) | "
           "Median peak RSS (tree) | Max single-process RSS | Exit | 1-min load before |",
           "|---|---|---|---|---|---|---|---|"]
    for r in chk["runs"]:
        out.append(
            f"| `{r['label']}` | {', '.join(f'{s:.2f}' for s in r['seconds'])} | "
            f"{fmt_seconds(r['median_s'])} | {fmt_seconds(r.get('median_cpu_s'))} | "
            f"{fmt_bytes(r['median_tree_rss'])} | "
            f"{fmt_bytes(r['median_max_rss'])} | {', '.join(map(str, r['returncodes']))} | "
            f"{', '.join(map(str, r.get('load_before', [])))} |")
    out.append("")
    for key, label in chk["ratios_labels"].items():
        out.append(f"- {label}: {fmt_ratio(chk['ratios'].get(key))}")
    out.append("")
    for note in chk.get("notes", []):
        out.append(f"- {note}")
    out.append("")
    return out


PART = register(Part("checker", "The checker", run_checker, render_checker, checker_targets,
                     order=20, help="pysecbook check against bandit -r on Django"))
