"""The book's build times: clean, no change, a prose edit, a code edit, as ``make book`` runs.

Each build is ``scripts/build_book.py`` (the pages executed in parallel, then Sphinx) on a
plain file copy of the working tree in the bench's temporary directory, never on the tree
itself. The log gives each page's execution time, and its phases (time stamped as the lines
arrive) say where the time of a rebuild goes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pysecbench import Part, register
from pysecbench.common import BENCH, BIN, ROOT, fmt_seconds, not_measured, run, target

BUILD_BOOK = ROOT / "scripts" / "build_book.py"
#: Top-level entries never copied into the benchmark's copy of the tree.
COPY_EXCLUDE = {".venv", ".venv-sbom", "_build", "node_modules", ".git", ".pytest_cache",
                "__pycache__"}
BUILD_TIMEOUT = 1800.0
LIMITS = {"clean_build_s": 60.0, "prose_rebuild_s": 3.0, "no_change_rebuild_s": 2.0}

EXEC_RE = re.compile(r"(\S+?\.(?:md|ipynb))(?::\d+)?: Executed notebook in ([\d.]+) seconds")
WARN_RE = re.compile(r"^.*(?:WARNING|ERROR).*$", re.MULTILINE)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
PHASE_RE = re.compile(r"(build_book:|Running Sphinx|loading pickled|building \[|"
                      r"updating environment|reading sources|pickling environment|"
                      r"checking consistency|preparing documents|writing output|"
                      r"generating indices|copying |dumping |build succeeded|build finished)")
ENV_RE = re.compile(r"updating environment: (\[[^\]]*\] )?(\d+) added, (\d+) changed, "
                    r"(\d+) removed")


def html_dir(workdir: Path) -> Path:
    """Where this part's clean build leaves the site (the site part measures it)."""
    return workdir / "book" / "out" / "_build" / "html"


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


def build(source: Path, output: Path, env: dict[str, str],
          timeout: float = BUILD_TIMEOUT) -> dict[str, Any]:
    """One ``make book`` build of ``source`` into ``output``, its log time-stamped by line."""
    # The copy's own build script: the bench measures the tree as it was copied.
    cmd = [str(BIN / "python"), str(source / BUILD_BOOK.relative_to(ROOT)), str(source),
           "--path-output", str(output)]
    load = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    lines: list[str] = []
    phases: list[list[Any]] = []
    # Unbuffered and line by line, so that each phase of the build gets its own time stamp.
    proc = subprocess.Popen(cmd, cwd=source, env=dict(env, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(timeout, proc.kill)  # the read below ends when it is killed
    watchdog.start()
    try:
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE
        for raw in proc.stdout:
            line = ANSI_RE.sub("", raw.rstrip("\n"))
            lines.append(line)
            if PHASE_RE.match(line):
                phases.append([round(time.perf_counter() - start, 2), line[:72]])
        # wait4: the CPU time of the build and of every process it waited for (the pool's
        # workers, and through them the kernels and the pages' child interpreters).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        watchdog.cancel()
    seconds = time.perf_counter() - start
    log = "\n".join(lines)
    # Kernels' own stderr (ipykernel's "running over TCP" notice) is not a Sphinx warning.
    warnings = sorted({w.replace(str(source) + "/", "") for w in WARN_RE.findall(log)
                       if "[IPKernelApp]" not in w})
    env_line = ENV_RE.search(log)
    wall = re.search(r"build_book: executed \d+ page\(s\) in ([\d.]+) s", log)
    return {"seconds": seconds, "returncode": proc.returncode,
            "cpu_s": usage.ru_utime + usage.ru_stime, "load_before": load,
            "timed_out": seconds >= timeout,
            "reread": None if not env_line else {
                "reason": (env_line[1] or "").strip(), "added": int(env_line[2]),
                "changed": int(env_line[3]), "removed": int(env_line[4])},
            "executed": executed_pages(log, source),
            "execution_wall_s": float(wall[1]) if wall else 0.0,
            "sphinx_executed": log.count("Executing notebook using"),
            "warnings": warnings, "phases": phases,
            "succeeded": "build succeeded" in log and proc.returncode == 0}


def first_code_cell_page(source: Path) -> str | None:
    for page in ("book/security-model/asserts.md",):
        if (source / page).is_file():
            return page
    for md in sorted((source / "book").rglob("*.md")):
        if "```{code-cell}" in md.read_text(encoding="utf-8"):
            return str(md.relative_to(source))
    return None


def import_costs(env: dict[str, str], module: str, parts: Sequence[str]) -> dict[str, float]:
    """Seconds ``python -X importtime`` spends importing ``module``, and some of its imports
    (a name not imported at all is absent)."""
    proc = run([str(BIN / "python"), "-X", "importtime", "-c", f"import {module}"], env=env)
    costs: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[1].isdigit() and fields[2] in (module, *parts):
            costs[fields[2]] = int(fields[1]) / 1e6
    return costs


def _edit_code(path: Path) -> None:
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


def run_book(args: Any, workdir: Path) -> dict[str, Any]:
    """Clean build, no-change rebuild, prose-edit rebuild, code-edit rebuild, in a copy."""
    source = workdir / "book" / "copy"
    output = workdir / "book" / "out"
    copy_tree(source)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(source / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONWARNINGS", None)
    page = first_code_cell_page(source)
    if page is None:
        return {"skipped": "no page with a code cell"}
    result: dict[str, Any] = {"prose_page": page, "code_page": page,
                              "jobs": len(os.sched_getaffinity(0))}
    start = time.perf_counter()
    run([str(BIN / "python"), "-c", "import jupyter_book.sphinx, jupyter_book.config"], env=env)
    result["startup_imports_s"] = time.perf_counter() - start
    result["config_imports"] = import_costs(env, "jupyter_book.config",
                                            ("jsonschema", "rfc3987_syntax"))
    result["clean"] = build(source, output, env)
    result["warnings"] = result["clean"].pop("warnings")
    result["no_change"] = build(source, output, env)
    path = source / page
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n")
                    + "\n\nThis sentence was added by the benchmark.\n", encoding="utf-8")
    result["prose_edit"] = build(source, output, env)
    _edit_code(path)
    result["code_edit"] = build(source, output, env)
    for key in ("no_change", "prose_edit", "code_edit"):
        result[key].pop("warnings", None)
    return result


def _stamp(phases: list[list[Any]], prefix: str, last: bool = False) -> float | None:
    hits = [t for t, text in phases if text.startswith(prefix)]
    return (hits[-1] if last else hits[0]) if hits else None


def cost_split(run_: dict[str, Any]) -> str:
    """Where a build's time went, from its time-stamped phases."""
    phases = run_.get("phases") or []
    sphinx = _stamp(phases, "Running Sphinx")
    reading = _stamp(phases, "reading sources")
    pickling = _stamp(phases, "pickling environment")
    done = _stamp(phases, "build succeeded") or _stamp(phases, "build finished")
    if sphinx is None or done is None:
        return ""
    parts = [f"{sphinx:.2f} s before Sphinx starts (the interpreter, the imports of Jupyter "
             f"Book and Sphinx, the configuration from _config.yml, reading every page to "
             f"check the execution cache"
             + (f", executing {len(run_['executed'])} page(s) in "
                f"{run_['execution_wall_s']:.2f} s" if run_["executed"] else "") + ")"]
    if reading is not None and pickling is not None:
        parts.append(f"{reading - sphinx:.2f} s Sphinx's start (extensions, the pickled "
                     f"environment)")
        parts.append(f"{pickling - reading:.2f} s reading the changed page(s)")
        parts.append(f"{done - pickling:.2f} s writing the pages that changed, the search index "
                     f"and the redirects")
    else:
        parts.append(f"{done - sphinx:.2f} s Sphinx (start, pickled environment, nothing to "
                     f"read or write)")
    parts.append(f"{run_['seconds'] - done:.2f} s after Sphinx's last line (the interpreter "
                 f"ending)")
    return "; ".join(parts)


def why_clean(book: dict[str, Any]) -> str:
    clean = book["clean"]
    pages = clean["executed"]
    total = sum(p["seconds"] for p in pages)
    top = ", ".join(f"{p['page']} {p['seconds']:.1f} s" for p in pages[:3])
    return (f"{len(pages)} pages executed, {total:.1f} s of kernel time in total, "
            f"{book.get('jobs', '?')} at a time: {clean['execution_wall_s']:.1f} s of wall "
            f"time; slowest: {top}. Then: {cost_split(clean)}. {cpu_note(clean, book)}")


def cpu_note(run_: dict[str, Any], book: dict[str, Any]) -> str:
    """What the CPU time says about the wall time, whatever else the machine was doing."""
    if run_.get("cpu_s") is None:
        return ""
    jobs = book.get("jobs") or 1
    return (f"CPU time of the build and all its processes: {run_['cpu_s']:.1f} s: with the "
            f"machine to itself it could not take much less than {run_['cpu_s'] / jobs:.1f} s "
            f"of wall time on {jobs} cores (1-min load average before it: "
            f"{run_.get('load_before')}).")


def book_targets(book: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    def seconds(key: str) -> float | None:
        return (book.get(key) or {}).get("seconds")

    ok = bool(book.get("clean"))
    return [
        target("clean build, every page executed", seconds("clean"), LIMITS["clean_build_s"],
               "lt", "s", why_clean(book) if ok else ""),
        target("rebuild after a prose edit", seconds("prose_edit"), LIMITS["prose_rebuild_s"],
               "lt", "s", f"{cost_split(book['prose_edit'])}. {cpu_note(book['prose_edit'], book)}"
               if ok else ""),
        target("rebuild, no change", seconds("no_change"), LIMITS["no_change_rebuild_s"],
               "lt", "s", f"{cost_split(book['no_change'])}. {cpu_note(book['no_change'], book)}"
               if ok else ""),
    ]


def render_book(book: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if not book or book.get("skipped"):
        return [not_measured(book), ""]
    imports = book.get("config_imports") or {}
    out = [f"Interpreter start and the imports of `jupyter_book.sphinx` and "
           f"`jupyter_book.config` alone: {fmt_seconds(book.get('startup_imports_s'))} "
           f"(`python -X importtime`: jupyter_book.config "
           f"{fmt_seconds(imports.get('jupyter_book.config'))}, jsonschema "
           f"{fmt_seconds(imports.get('jsonschema'))}, rfc3987_syntax "
           f"{fmt_seconds(imports.get('rfc3987_syntax')) if 'rfc3987_syntax' in imports else 'not imported'}"
           f"). Pages executed {book.get('jobs', '?')} at a time.", "",
           "| Build (`scripts/build_book.py` on a copy of the working tree) | Wall time | "
           "CPU (all processes) | 1-min load before | Exit |"
           " Pages executed (wall) | Executed by Sphinx | Pages Sphinx re-read |",
           "|---|---|---|---|---|---|---|---|"]
    for key, label in (("clean", "clean, every page executed, empty cache"),
                       ("no_change", "rebuild, no change"),
                       ("prose_edit", f"rebuild after a prose edit ({book['prose_page']})"),
                       ("code_edit", f"rebuild after a code edit ({book['code_page']})")):
        r = book[key]
        rr = r.get("reread")
        reread = "none" if not rr else (f"{rr['added']} added, {rr['changed']} changed"
                                        + (f" {rr['reason']}" if rr["reason"] else ""))
        out.append(f"| {label} | {fmt_seconds(r['seconds'])} | {fmt_seconds(r.get('cpu_s'))} | "
                   f"{r.get('load_before', '')} | {r['returncode']} | "
                   f"{len(r['executed'])} ({r.get('execution_wall_s', 0):.2f} s) | "
                   f"{r.get('sphinx_executed', 0)} | {reread} |")
    out.append("")
    for key in ("clean", "no_change", "prose_edit"):
        split = cost_split(book[key])
        if split:
            out += [f"Where the {key.replace('_', '-')} build's {fmt_seconds(book[key]['seconds'])} "
                    f"go: {split}.", ""]
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
            f"{total:.1f} s of kernel time in total, "
            f"{book['clean'].get('execution_wall_s', 0):.1f} s of wall time):", "",
            "| Page | Seconds |", "|---|---|"]
    out += [f"| {p['page']} | {p['seconds']:.2f} |" for p in pages]
    out.append("")
    return out


PART = register(Part("book", "The book", run_book, render_book, book_targets, order=10,
                     help="clean build, no-change, prose-edit and code-edit rebuilds"))
