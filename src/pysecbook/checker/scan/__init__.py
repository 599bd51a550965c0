"""Reading and scanning a target without executing any of its code.

Targets (a directory, an sdist, a wheel, an installed distribution) are read into
:class:`~pysecbook.checker.scan.model.Target` objects; archives are read member by member in
memory, never extracted (:mod:`~pysecbook.checker.scan.targets`). The files an installer or
interpreter could run are then scanned in isolated, bounded worker processes
(:mod:`~pysecbook.checker.scan.pool`, :mod:`~pysecbook.checker.scan.filescan`). Scanning
produces data (:class:`~pysecbook.checker.scan.model.Finding`,
:class:`~pysecbook.checker.scan.model.Unscanned`) and never formats it. Book chapter:
``book/checklist``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from pysecbook.checker.declarations import declarations
from pysecbook.checker.scan import rules
from pysecbook.checker.scan.filescan import BytecodeJob, FileResult, SourceJob, check_bytecode, scan_source
from pysecbook.checker.scan.model import (
    LEVELS,
    Finding,
    ScanOutcome,
    SourceFile,
    Target,
    TargetError,
    Unscanned,
)
from pysecbook.checker.scan.plan import install_time_paths, is_python_source, plan
from pysecbook.checker.scan.rules.files import starts_with_the_interpreter
from pysecbook.checker.scan.pool import FILE_TIMEOUT, Failed, cpu_count, run_tasks
from pysecbook.checker.scan.targets import open_target
from pysecbook.checker.scan.targets.git import HeadCommit, head_commit

__all__ = ["FILE_TIMEOUT", "LEVELS", "Finding", "ScanOutcome", "SourceFile", "Target",
           "TargetError", "Unscanned", "is_python_source", "open_target", "run_job", "scan",
           "scan_file"]


def run_job(job: SourceJob | BytecodeJob) -> FileResult:
    """The work of one job, in whichever process calls it (the workers call this)."""
    return check_bytecode(job) if isinstance(job, BytecodeJob) else scan_source(job)


def scan_file(path: str, data: bytes, *, install_time: bool = False,
              honour_nosec: bool = False) -> FileResult:
    """Scan one Python file in the current process (for tests and pages; the scan of a
    target always runs in isolated workers)."""
    return scan_source(SourceJob(path, data, install_time=install_time, honour_nosec=honour_nosec,
                                 setup_file=path == "setup.py"))


def scan(target: Target, *, jobs: int | None = None,
         progress: Callable[[int, int], None] | None = None, own_project: bool = False,
         file_timeout: float = FILE_TIMEOUT, deadline: float | None = None,
         worker: Callable[[Any], FileResult] = run_job) -> ScanOutcome:
    """Scan every code file of ``target`` in isolated workers, in parallel.

    The outcome is complete on its own: besides what scanning found, it carries over the
    target's reading problems (``target.unscanned``, ``target.findings``), so any entry in
    ``outcome.unscanned`` means the scan is incomplete. Files that cannot be parsed (syntax
    errors, Python 2, NUL bytes, undecodable bytes, nesting too deep), a worker that crashes,
    a file over ``file_timeout`` seconds and anything left when ``deadline`` (a
    :func:`time.monotonic` value) passes are all unscanned, unlike with ``bandit`` itself,
    which exits 0 on them. ``own_project`` honours the target's ``# nosec`` comments (rule id
    by rule id); otherwise they are reported, and so is a ``[tool.pysecbook]`` table the target
    ships (never applied). ``jobs`` defaults to the usable cores;
    ``progress(done, total)`` is called as files complete. ``worker`` is the function each
    job runs through (a test may give another importable one).
    """
    outcome = ScanOutcome(findings=list(target.findings), unscanned=list(target.unscanned))
    if not own_project:
        from pysecbook.checker.config import refused_config_findings

        outcome.findings.extend(refused_config_findings(target))
    files = target.files
    for f in files:
        if not is_python_source(f):
            outcome.findings.extend(rules.scan_other(f))
    outcome.findings.extend(rules.scan_layout(files))
    work = plan(target, honour_nosec=own_project)
    total = len(work)
    done = 0
    if progress is not None:
        progress(0, total)

    def on_result(position: int, result: FileResult | Failed) -> None:
        nonlocal done
        index, job = work[position]
        path = files[index].path
        if isinstance(result, Failed):
            outcome.unscanned.append(Unscanned(path, result.reason))
        else:
            outcome.findings.extend(result.findings)
            outcome.nosec_count += result.nosec_honoured
            if result.nosec:
                outcome.nosec_lines[path] = [c.line for c in result.nosec]
            for module, line in result.imports:
                outcome.imports.setdefault(module, []).append((path, line))
            if result.setup_kwargs is not None:
                outcome.setup_kwargs = result.setup_kwargs
            if result.capabilities:
                outcome.capabilities[path] = result.capabilities
            if result.unscanned is None:
                outcome.files_scanned += 1
            else:
                outcome.unscanned.append(Unscanned(path, result.unscanned))
        done += 1
        if progress is not None:
            progress(done, total)

    run_tasks(worker, [job for _, job in work], workers=jobs or cpu_count(),
              on_result=on_result, file_timeout=file_timeout, deadline=deadline)
    # A gap in code that runs with nobody importing it, at build or install time or at every
    # interpreter start, is no mere gap (model.Unscanned).
    early = install_time_paths(target, unread=[u.path for u in outcome.unscanned])
    outcome.unscanned = [
        u if u.blocks or not (u.path in early or starts_with_the_interpreter(u.path))
        else Unscanned(u.path, u.reason, True) for u in outcome.unscanned]
    if target.kind == "directory" and target.root and os.path.lexists(os.path.join(target.root, ".git")):
        def on_head(_: int, result: HeadCommit | Failed) -> None:
            outcome.head_commit = result if isinstance(result, HeadCommit) else HeadCommit(None, result.reason)

        run_tasks(head_commit, [target.root], workers=1, on_result=on_head,
                  file_timeout=min(file_timeout, 30.0), deadline=deadline)
    # Metadata heuristics and cross-file correlation: on data, in this process.
    outcome.findings.extend(rules.metadata.scan_metadata(
        target, declarations(target).project(outcome.setup_kwargs), outcome.findings, outcome.imports,
        outcome.capabilities, early))
    outcome.findings.sort(key=lambda f: (f.path, f.line or 0, f.rule_id))
    outcome.unscanned.sort(key=lambda u: u.path)
    return outcome


def deadline_in(seconds: float | None) -> float | None:
    """The :func:`time.monotonic` value ``seconds`` from now (None: no deadline)."""
    return None if seconds is None else time.monotonic() + seconds
