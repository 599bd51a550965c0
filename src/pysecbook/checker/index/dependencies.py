"""Check a requirement, or every requirement of a lock, before anything is installed.

For each requirement: find the release on the one index pip would use
(:mod:`~pysecbook.checker.index.lookup`), refuse files the lock's hashes do not accept,
fetch the others verified (:mod:`~pysecbook.checker.index.fetch`), read their PEP 740
provenance, and run :func:`~pysecbook.checker.runner.check_target` on each local archive
with the index's facts. Nothing fetched is built, installed, imported or run. Dependencies
are fetched and checked ``jobs`` at a time, in threads of this process: fetching waits on
the network, and each archive's code is parsed in the scanner's own isolated worker
processes (:mod:`pysecbook.checker.scan.pool`, started by a forkserver, never forked from a
process running threads). No more than ``jobs`` archives are held in memory at once. A
fetched package is never the user's own project: its settings and ``# nosec`` comments are
reported, never honoured. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pysecbook.checker.checklist import get_check
from pysecbook.checker.checklist import index_evidence
from pysecbook.checker.checklist.base import CheckResult
from pysecbook.checker.checklist.environment import RuntimeEnvironment
from pysecbook.checker.index.config import IndexConfig
from pysecbook.checker.index.fetch import FetchError, HashMismatch, default_cache, fetch, safe_filename
from pysecbook.checker.index.lockfile import Lock, LockEntry
from pysecbook.checker.index.lookup import find_release
from pysecbook.checker.index.outcome import DependencyCheck, FileCheck, LockReport
from pysecbook.checker.index.provenance import ProvenanceClaim, read_provenance
from pysecbook.checker.index.release import IndexFile, NoRelease
from pysecbook.checker.index.simple import IndexUnavailable, Settings, get_json, session
from pysecbook.checker.config import Config
from pysecbook.checker.results import CheckOutcome
from pysecbook.checker.scan.pool import FILE_TIMEOUT

__all__ = ["Options", "check_dependency", "check_lock", "check_requirement", "lock_outcomes"]


@dataclass(frozen=True)
class Options:
    """How to fetch and check (picklable: it travels to the worker processes)."""

    settings: Settings = Settings()
    cache: Path = field(default_factory=default_cache)
    offline: bool = False
    dist: str | None = None
    fail_on: str = "high"
    environment: RuntimeEnvironment | None = None
    today: date | None = None
    auditor: Callable[[list[tuple[str, str]]], Any] | None = None
    verify_provenance: bool = True
    #: The user's own settings (``--config``, ``--exclude``), for every archive checked.
    config: Config | None = None
    #: Deadline of each archive's check, and of each file's scan, in seconds.
    timeout: float | None = 600.0
    file_timeout: float = FILE_TIMEOUT


def _provenance(http: Any, f: IndexFile, path: Path, options: Options) -> list[ProvenanceClaim]:
    """The file's PEP 740 claims; the document is kept beside the file in the cache."""
    stored = path.parent / "provenance.json"
    import json

    if stored.is_file():
        document = json.loads(stored.read_text(encoding="utf-8"))
    elif f.provenance_url and not options.offline:
        try:
            document = get_json(http, f.provenance_url, options.settings)
        except IndexUnavailable as exc:
            return [ProvenanceClaim(f.filename, "unknown", False, f"could not fetch it: {exc}")]
        stored.write_text(json.dumps(document), encoding="utf-8")
    else:
        return []
    assert f.sha256 is not None  # nosec B101 - fetch() refused files without one
    return read_provenance(document, f.filename, f.sha256, verify=options.verify_provenance)


def check_dependency(entry: LockEntry, config: IndexConfig, options: Options) -> DependencyCheck:
    """Find, fetch, verify and check one requirement; every failure is said, never a pass."""
    http = None if options.offline else session()
    try:
        return _check_dependency(entry, config, options, http)
    except OSError as exc:  # the cache directory is full, read-only...: this dependency fails
        return DependencyCheck(entry.requirement, entry.origin, entry.name,
                               error=f"local error: {exc.strerror or exc}")
    finally:
        if http is not None:
            http.close()


def _check_dependency(entry: LockEntry, config: IndexConfig, options: Options,
                      http: Any) -> DependencyCheck:
    from pysecbook.checker.runner import check_target
    from pysecbook.checker.scan.model import TargetError

    dep = DependencyCheck(entry.requirement, entry.origin, entry.name, skipped=entry.skipped)
    if entry.error:
        dep.error = entry.error
        return dep
    if entry.skipped:
        return dep
    try:
        req = Requirement(entry.requirement)
    except InvalidRequirement as exc:
        dep.error = f"unreadable requirement: {str(exc).splitlines()[0]}"
        return dep
    try:
        found = find_release(req, config, http=http, settings=options.settings,
                             cache=options.cache, offline=options.offline, dist=options.dist)
    except (IndexUnavailable, NoRelease) as exc:
        dep.error = str(exc)
        return dep
    dep.name, dep.version, dep.facts = found.facts.project, found.facts.version, found.facts
    if not found.files:
        dep.error = (f"no {options.dist or 'sdist or wheel'} of {found.facts.version} for this "
                     "platform on the index (see --dist)")
        return dep
    fetched: list[tuple[IndexFile, Path]] = []
    for f in found.files:
        if entry.hashes and (f.sha256 or "").lower() not in entry.hashes:
            dep.files.append(FileCheck(f.filename, f.sha256, "MISMATCH: the lock accepts no file "
                                       f"with this index's SHA-256 {f.sha256}", error="not fetched"))
            continue
        try:
            path = fetch(http, f.url, safe_filename(f.filename), f.sha256 or "",
                         cache=options.cache, settings=options.settings, offline=options.offline)
        except HashMismatch as exc:
            dep.files.append(FileCheck(f.filename, f.sha256, f"MISMATCH: {exc}", error="discarded"))
            continue
        except FetchError as exc:
            dep.files.append(FileCheck(f.filename, f.sha256, f"not fetched: {exc}", error=str(exc)))
            continue
        fetched.append((f, path))
    claims = [c for f, path in fetched for c in _provenance(http, f, path, options)]
    facts = dataclasses.replace(found.facts, provenance=tuple(claims))
    dep.facts = facts
    for f, path in fetched:
        status = "verified against the index" + (" and the lock" if entry.hashes else "")
        try:
            report = check_target(str(path), jobs=1, fail_on=options.fail_on,
                                  environment=options.environment, today=options.today,
                                  auditor=options.auditor, index_facts=facts,
                                  settings=options.config, own_project=False,
                                  timeout=options.timeout, file_timeout=options.file_timeout)
        except TargetError as exc:
            dep.files.append(FileCheck(f.filename, f.sha256, status, error=f"cannot be read: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - one broken dependency must not stop the others
            dep.files.append(FileCheck(f.filename, f.sha256, status,
                                       error=f"the check crashed: {type(exc).__name__}: {exc}"))
            continue
        report.target_path = f.filename
        dep.files.append(FileCheck(f.filename, f.sha256, status, report))
    return dep


def _outcome(check_id: str, result: CheckResult) -> CheckOutcome:
    return CheckOutcome.of(get_check(check_id), result)


def lock_outcomes(lock: Lock | None, config: IndexConfig) -> list[CheckOutcome]:
    """M1 (and, for a lock, M4) on the lock as a whole: where packages come from, pins, hashes."""
    entries = lock.entries if lock else []
    out = [_outcome("M1", index_evidence.lock_m1(config, entries))]
    if lock is not None:
        out.append(_outcome("M4", index_evidence.lock_m4(entries)))
    return out


def _run(entries: Sequence[LockEntry], config: IndexConfig, options: Options, jobs: int,
         progress: Callable[[int, int], None] | None) -> list[DependencyCheck]:
    total = len(entries)
    if progress:
        progress(0, total)
    if jobs <= 1 or total <= 1:
        out = []
        for i, e in enumerate(entries, 1):
            out.append(check_dependency(e, config, options))
            if progress:
                progress(i, total)
        return out
    results: list[DependencyCheck | None] = [None] * total
    with cf.ThreadPoolExecutor(max_workers=min(jobs, total),
                               thread_name_prefix="pysecbook-dependency") as pool:
        futures = {pool.submit(check_dependency, e, config, options): i for i, e in enumerate(entries)}
        for n, future in enumerate(cf.as_completed(futures), 1):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # noqa: BLE001 - a crash fails its dependency, not the run
                results[i] = DependencyCheck(entries[i].requirement, entries[i].origin,
                                             entries[i].name, error=f"the check crashed: "
                                             f"{type(exc).__name__}: {exc}")
            if progress:
                progress(n, total)
    return [r for r in results if r is not None]


def check_requirement(requirement: str, config: IndexConfig, options: Options | None = None
                      ) -> LockReport:
    """``pysecbook check NAME``: one PEP 508 requirement, from the one index pip would use."""
    options = options or Options()
    req = Requirement(requirement)
    entry = LockEntry(str(req), None, req.name, pinned=len(req.specifier) == 1
                      and next(iter(req.specifier)).operator in ("==", "==="))
    dep = check_dependency(entry, config, options)
    return LockReport(str(req), "requirement", config, [dep], lock_outcomes(None, config),
                      offline=options.offline)


def check_lock(lock: Lock, config: IndexConfig, options: Options | None = None, *,
               jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> LockReport:
    """``pysecbook check -r LOCK``: every requirement of ``lock``, ``jobs`` at a time."""
    options = options or Options()
    deps = _run(lock.entries, config, options, jobs, progress)
    return LockReport(", ".join(lock.files), "lock", config, deps, lock_outcomes(lock, config),
                      notes=list(lock.notes), offline=options.offline)
