"""One run of ``pysecbook check``: read a target, scan it, run every check, build a report.

:func:`check_target` reads a target (never running its code), scans it in isolated workers
and runs every registered check on what it read; the :class:`~pysecbook.checker.results.Report`
it returns is what every format in :mod:`pysecbook.checker.report` prints. Who may configure
the run is decided here, by :mod:`pysecbook.checker.config`'s rule. Every run ends within its
deadline (``timeout``). Book chapter: ``book/checklist/index``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pysecbook.checker.checklist import CheckContext, CheckResult, all_checks
from pysecbook.checker.checklist.audit import audit_pins
from pysecbook.checker.checklist.environment import RuntimeEnvironment
from pysecbook.checker.config import (
    Config,
    ConfigError,
    is_own_project,
    load_config_file,
    own_config,
    read_config,
    target_config,
)
from pysecbook.checker.results import CheckOutcome, Report
from pysecbook.checker.scan import FILE_TIMEOUT, scan
from pysecbook.checker.scan.model import TargetError
from pysecbook.checker.scan.targets import open_target, without

__all__ = ["DEFAULT_TIMEOUT", "CheckOutcome", "Config", "ConfigError", "Report", "check_target",
           "load_config_file", "read_config", "run_checks"]

#: The whole run's default deadline, in seconds (``--timeout``).
DEFAULT_TIMEOUT = 600.0


def run_checks(ctx: CheckContext, skip: dict[str, str] | None = None) -> list[CheckOutcome]:
    """Run every registered check on ``ctx``; a check that crashes is ``error``, not a pass."""
    skip = skip or {}
    out = []
    for cls in all_checks():
        if cls.id in skip:
            result = CheckResult("skip", f"skipped by your settings: {skip[cls.id]}")
        else:
            try:
                result = cls().run(ctx)
            except Exception as exc:  # noqa: BLE001 - a broken check must not pass silently
                result = CheckResult("error", f"the check crashed: {type(exc).__name__}: {exc}")
        out.append(CheckOutcome.of(cls, result))
    return out


MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "PKG-INFO")


def check_target(
    spec: str,
    *,
    installed: bool = False,
    jobs: int | None = None,
    fail_on: str = "high",
    progress: Callable[[int, int], None] | None = None,
    environment: RuntimeEnvironment | None = None,
    today: date | None = None,
    auditor: Callable[[list[tuple[str, str]]], Any] | None = None,
    settings: Config | None = None,
    own_project: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    file_timeout: float = FILE_TIMEOUT,
    exclude: Sequence[str] = (),
    index_facts: Any = None,
) -> Report:
    """Read ``spec`` (never running it), scan it and run the checklist on it.

    ``settings`` are the user's (command line, ``--config``); ``exclude`` adds patterns to
    them. The target's own ``[tool.pysecbook]`` and ``# nosec`` comments count only when it
    is the user's own project: ``own_project``, or ``spec`` is the current directory.
    Otherwise they are reported as findings. ``timeout`` bounds the whole run, in seconds
    (None: no bound); ``file_timeout`` bounds each file's scan.

    ``index_facts`` (an :class:`~pysecbook.checker.index.facts.IndexFacts`) is what the
    package index said about a target fetched from it; the checks read it as ``ctx.index``.

    Raises :class:`~pysecbook.checker.scan.model.TargetError` when the target cannot be read
    at all, :class:`~pysecbook.checker.config.ConfigError` when the user's own settings are
    invalid.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    config = (settings or Config()).merged(Config(exclude=tuple(exclude),
                                                  sources=("command line",) if exclude else ()))
    own = is_own_project(spec, installed=installed, declared=own_project)
    directory = not installed and Path(spec).is_dir()
    if own and directory:  # read once, before the project, so its excludes are never read
        config = own_config(spec).merged(config)
    target = open_target(spec, installed=installed, exclude=config.exclude, deadline=deadline)
    if own and not directory:  # an archive or install of your own carries its settings
        config = target_config(target).merged(config)
        target = without(target, config.exclude)
    outcome = scan(target, jobs=jobs, progress=progress, own_project=own,
                   file_timeout=file_timeout, deadline=deadline)
    if auditor is None and deadline is not None:
        auditor = functools.partial(audit_pins, timeout=max(1.0, min(60.0, deadline - time.monotonic())))
    ctx = CheckContext(target, outcome, fail_on=fail_on, environment=environment, today=today,
                       auditor=auditor, own_project=own, index=index_facts)
    checks = run_checks(ctx, config.skip)
    manifest = next((m for m in MANIFESTS if target.file(m) is not None),
                    target.files[0].path if target.files else None)
    return Report(target.kind, target.path, checks, list(ctx.findings), list(ctx.unscanned),
                  files_scanned=outcome.files_scanned, nosec_count=outcome.nosec_count,
                  fail_on=fail_on, manifest=manifest, own_project=own,
                  config_sources=config.sources)


__all__ += ["TargetError"]
