"""Reading and scanning a target without executing any of its code.

Targets (a directory, an sdist, a wheel, an installed distribution) are read into
:class:`~pysecbook.checker.scan.model.Target` objects; archives are read member by member in memory,
never extracted. Scanning produces data (:class:`~pysecbook.checker.scan.model.Finding`,
:class:`~pysecbook.checker.scan.model.Unscanned`) and never formats it. Book chapter: ``book/checklist``.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import multiprocessing
import os
import re
import tokenize
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool

from pysecbook.checker.scan import sast
from pysecbook.checker.scan import redflags
from pysecbook.checker.scan.model import (
    LEVELS,
    Finding,
    ScanOutcome,
    SourceFile,
    Target,
    TargetError,
    Unscanned,
)
from pysecbook.checker.scan.targets import open_target

__all__ = ["LEVELS", "Finding", "ScanOutcome", "SourceFile", "Target", "TargetError",
           "Unscanned", "is_python_source", "open_target", "scan", "scan_file"]

#: Below this many Python files, scanning in the calling process beats starting workers.
MIN_FILES_FOR_WORKERS = 16

_PY2 = re.compile(rb"^\s*(print\s+[\"'\w]|exec\s+[\"']|except\s+[\w.]+\s*,\s*\w+\s*:|raise\s+\w+\s*,)",
                  re.MULTILINE)

#: One file's result, small enough to send back from a worker:
#: (index, findings, nosec count, reason it was not scanned or None).
FileResult = tuple[int, list[Finding], int, str | None]


def is_python_source(file: SourceFile) -> bool:
    """A ``.py``/``.pyw`` file, or an extension-less script whose first line runs Python."""
    if file.is_python:
        return True
    name = file.path.rsplit("/", 1)[-1]
    if "." in name or not file.data.startswith(b"#!"):
        return False
    return b"python" in file.data.split(b"\n", 1)[0]


def _why_unparsable(data: bytes, bandit_reason: str) -> str:
    """A precise reason for a file Bandit skipped (it says only 'syntax error' or 'exception')."""
    import ast

    try:
        ast.parse(data)
    except SyntaxError as exc:
        if _PY2.search(data):
            return f"Python 2 source (not parsable by Python 3: {exc.msg}, line {exc.lineno})"
        return f"syntax error: {exc.msg} (line {exc.lineno})"
    except (RecursionError, MemoryError) as exc:
        return f"nested too deeply to parse ({type(exc).__name__})"
    except ValueError as exc:
        return f"cannot be parsed: {exc}"
    return f"Bandit could not scan it: {bandit_reason} (nesting too deep for its visitor?)"


def scan_file(path: str, data: bytes, index: int = 0) -> FileResult:
    """Bandit and the red-flag rules on one Python file, in the current process."""
    if b"\x00" in data:
        return index, redflags.text_rules(path, data), 0, "contains NUL bytes: not Python source"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        reason = getattr(exc, "msg", None) or str(exc)
        return (index, [], 0,
                f"not valid UTF-8 and no coding cookie that decodes it ({reason.splitlines()[0]})")
    result = sast.scan_bytes(data, path)
    findings = [
        Finding(rule_id=f.test_id, source="bandit", path=path, line=f.line,
                severity=f.severity.lower(), confidence=f.confidence.lower(), cwe=f.cwe,
                message=f.message)
        for f in result.findings
    ]
    try:
        flags = redflags.scan_python(path, data)
    except (RecursionError, MemoryError):
        flags = []  # reported below when Bandit could not parse it either
    kept, suppressed = _apply_nosec(flags, data.decode(encoding, "replace").splitlines())
    findings += kept
    nosec = result.nosec + suppressed
    if result.skipped:
        return index, findings, nosec, _why_unparsable(data, result.skipped)
    return index, findings, nosec, None


_NOSEC = re.compile(r"#\s*nosec\b([^#]*)")


def _apply_nosec(flags: list[Finding], lines: list[str]) -> tuple[list[Finding], int]:
    """Drop red flags whose line carries ``# nosec`` naming that rule id, as Bandit does.

    A bare ``# nosec`` does not silence a red flag: the rule id must be written out, so that
    every suppression says what it suppresses. Returns the kept findings and the count.
    """
    kept = []
    for finding in flags:
        line = lines[finding.line - 1] if finding.line and finding.line <= len(lines) else ""
        match = _NOSEC.search(line)
        if match and finding.rule_id in match.group(1):
            continue
        kept.append(finding)
    return kept, len(flags) - len(kept)


#: The files of the scan in progress; forked workers inherit them (nothing is pickled).
_JOB_FILES: Sequence[SourceFile] = ()


def _scan_chunk(indices: list[int]) -> list[FileResult]:
    out: list[FileResult] = []
    for i in indices:
        f = _JOB_FILES[i]
        try:
            out.append(scan_file(f.path, f.data, i))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the scan
            # Fail closed: the file is reported as not scanned, never silently passed.
            out.append((i, [], 0, f"scanner error: {type(exc).__name__}: {exc}"))
    return out


def _chunks(files: Sequence[SourceFile], indices: list[int], jobs: int) -> list[list[int]]:
    # Largest files first, so that no worker is left with a big file at the end.
    order = sorted(indices, key=lambda i: -len(files[i].data))
    size = max(1, min(48, len(order) // (jobs * 8) or 1))
    return [order[k:k + size] for k in range(0, len(order), size)]


def _run_pool(indices: list[int], jobs: int, on_done: Callable[[list[FileResult]], None]
              ) -> list[int]:
    """Scan ``indices`` in a pool of forked workers; return the indices lost to a crash."""
    ctx = multiprocessing.get_context("fork")
    pending: dict[cf.Future[list[FileResult]], list[int]] = {}
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for chunk in _chunks(_JOB_FILES, indices, jobs):
            pending[pool.submit(_scan_chunk, chunk)] = chunk
        lost: list[int] = []
        for future in cf.as_completed(pending):
            try:
                on_done(future.result())
            except BrokenProcessPool:
                lost += pending[future]
    return lost


def _retry_one_by_one(indices: list[int], on_done: Callable[[list[FileResult]], None]) -> None:
    """After a worker crashed: each remaining file alone in a fresh worker, so the file that
    crashes one is identified and reported, and no other file is lost."""
    ctx = multiprocessing.get_context("fork")
    pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx)
    try:
        for i in indices:
            try:
                on_done(pool.submit(_scan_chunk, [i]).result())
            except BrokenProcessPool:
                pool.shutdown(wait=True)
                pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx)
                on_done([(i, [], 0, "the scanner's worker process crashed on this file")])
    finally:
        pool.shutdown(wait=True)


def scan(target: Target, *, jobs: int | None = None,
         progress: Callable[[int, int], None] | None = None) -> ScanOutcome:
    """Run Bandit and the red-flag rules on every Python file of ``target``, in parallel.

    The outcome is complete on its own: besides what scanning found, it carries over the
    target's reading problems (``target.unscanned``, ``target.findings``), so any entry in
    ``outcome.unscanned`` means the scan is incomplete. Files Bandit cannot parse (syntax
    errors, Python 2, NUL bytes, undecodable bytes, nesting too deep) are unscanned, unlike
    with ``bandit`` itself, which exits 0 on them. ``jobs`` defaults to ``os.cpu_count()``;
    worker processes are forked once and inherit the files (nothing is pickled but results).
    A worker that crashes loses no file: the files it had are retried one by one and the one
    that crashes again is reported as unscanned. ``progress(done, total)`` is called as files
    complete. Bandit findings have source ``"bandit"``; red flags ``"redflag"``.
    """
    global _JOB_FILES
    outcome = ScanOutcome(findings=list(target.findings), unscanned=list(target.unscanned))
    files = target.files
    py = [i for i, f in enumerate(files) if is_python_source(f)]
    total = len(py)
    done = 0

    def on_done(results: list[FileResult]) -> None:
        nonlocal done
        for index, findings, nosec, reason in results:
            outcome.findings.extend(findings)
            outcome.nosec_count += nosec
            if reason is None:
                outcome.files_scanned += 1
            else:
                outcome.unscanned.append(Unscanned(files[index].path, reason))
        done += len(results)
        if progress is not None:
            progress(done, total)

    for f in files:
        if not is_python_source(f):
            outcome.findings.extend(redflags.scan_other(f))
    outcome.findings.extend(redflags.scan_layout(files))

    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    if progress is not None:
        progress(0, total)
    sast.scan_bytes(b"", "<warm-up>")  # build Bandit's managers once, before any fork
    sast.scan_bytes(b"x = 1  # nosec\n", "<warm-up>")
    _JOB_FILES = files
    try:
        if jobs == 1 or total < MIN_FILES_FOR_WORKERS:
            on_done(_scan_chunk(py))
        else:
            lost = _run_pool(py, min(jobs, total), on_done)
            if lost:
                _retry_one_by_one(lost, on_done)
    finally:
        _JOB_FILES = ()
    outcome.findings.sort(key=lambda f: (f.path, f.line or 0, f.rule_id))
    return outcome
