"""``pysecbook check TARGET``: the pre-run checklist on a project, an archive or an install.

TARGET may also be a requirement (``NAME``, ``NAME==VERSION``, any PEP 508 requirement that
names no existing path) or, with ``-r FILE`` (repeatable) or a ``pylock.toml``, a whole lock
file: the release is fetched from the one index pip would use, verified against its hash,
and checked as a local archive (:mod:`pysecbook.checker.index`), with one verdict per
dependency and one for the run.

Exit codes: :data:`pysecbook.exitcodes.CHECK_MEANINGS` (0 pass, 1 blocked, 3 review, 2 a
usage error), printed by ``--help``. Settings come from you (flags,
``--config FILE``, your own project's ``[tool.pysecbook]``), never from someone else's
target. For a requirement or a lock, a dependency that could not be fetched, verified or
checked is blocked; an unreadable lock file is a usage error. Book pages:
``book/checklist/index``, ``book/checklist/ci`` and ``book/checklist/before-install``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pysecbook.exitcodes import CHECK_MEANINGS, ExitCode, describe

#: ``--dist`` choices (the same as :data:`pysecbook.checker.index.release.DIST_CHOICES`,
#: written out so that building the parser imports nothing of the index client).
DIST_CHOICES = ("sdist", "wheel", "all")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def add_check_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``check`` subcommand on the ``pysecbook`` parser."""
    from pysecbook.checker.runner import DEFAULT_TIMEOUT
    from pysecbook.checker.scan.pool import FILE_TIMEOUT

    p = subparsers.add_parser(
        "check",
        help="run the pre-run checklist on a project, an sdist, a wheel, an installed package, "
        "or a package or lock file fetched from the index",
        description="Run the pre-run checklist on TARGET (a project directory, an sdist "
        ".tar.gz/.zip, a wheel, a pylock.toml, or a requirement such as NAME==VERSION, fetched "
        "from the index), on an installed distribution (--installed NAME), or on every "
        "requirement of a lock file (-r FILE). Nothing of the target is imported, built, "
        "installed or executed, and nothing in it (its [tool.pysecbook] table, its '# nosec' "
        "comments) changes its verdict, unless it is your own project (the current directory, "
        "or --own-project). " + describe(CHECK_MEANINGS),
    )
    p.add_argument("target", metavar="TARGET", nargs="?",
                   help="directory, sdist, wheel, pylock.toml, or a requirement (NAME==VERSION)")
    p.add_argument("-r", "--requirement", metavar="FILE", action="append", default=[],
                   help="check every requirement of this lock file (requirements file with "
                   "--hash lines, or pylock.toml); repeatable")
    p.add_argument("--dist", choices=DIST_CHOICES, default=None,
                   help="files of a release to fetch (default: the sdist and the wheel pip "
                   "would install here)")
    p.add_argument("--index-url", metavar="URL",
                   help="the index to check against (default: the one pip would use)")
    p.add_argument("--offline", action="store_true",
                   help="use only the cache: no request to any index")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="where fetched files are kept by hash (default: the user cache directory)")
    p.add_argument("--installed", metavar="NAME", help="check a distribution installed in this environment")
    p.add_argument("--format", choices=("text", "json", "sarif", "markdown", "html"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("low", "medium", "high"), default="high",
                   help="severity of a red flag that fails the SAST check (default: high)")
    p.add_argument("--jobs", metavar="N", type=int, default=None,
                   help="parallel scanning processes (default: number of cores)")
    p.add_argument("--config", metavar="FILE",
                   help="your settings: a TOML file with a [tool.pysecbook] table (skip, exclude)")
    p.add_argument("--own-project", action="store_true",
                   help="TARGET is your own project: honour its [tool.pysecbook] and '# nosec' "
                   "(implied when TARGET is the current directory)")
    p.add_argument("--exclude", metavar="GLOB", action="append", default=[],
                   help="leave out paths matching GLOB (repeatable); excluded files are not scanned")
    p.add_argument("--timeout", metavar="SECONDS", type=_positive, default=DEFAULT_TIMEOUT,
                   help=f"deadline of the whole run (for a requirement or a lock: of each "
                   f"archive's check); what is left is reported as not scanned "
                   f"(default: {DEFAULT_TIMEOUT:g})")
    p.add_argument("--file-timeout", metavar="SECONDS", type=_positive, default=FILE_TIMEOUT,
                   help=f"deadline of one file's scan (default: {FILE_TIMEOUT:g})")
    p.add_argument("--badge", metavar="FILE", help="also write an SVG badge of this run to FILE")
    p.add_argument("--osv-url", metavar="URL",
                   help="audit pinned dependencies (C3) against this OSV-compatible API, such "
                   "as an internal mirror, instead of pip-audit's default service")
    p.set_defaults(func=run_check)


def _error(message: str) -> int:
    print(f"pysecbook check: error: {message}", file=sys.stderr)
    return ExitCode.USAGE


@contextmanager
def _progress_bar(enabled: bool, what: str = "scanning") -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    # On stderr, so that a report piped from stdout stays clean.
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _write(text: str, path: str | None) -> None:
    """Write a report to ``path`` or stdout; no character can make the writing fail."""
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", errors="backslashreplace")
        return
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
    else:
        stream.flush()
        buffer.write(text.encode(encoding, "backslashreplace"))
        buffer.flush()


def run_check(args: argparse.Namespace) -> int:
    """Run the checklist as the command line asked; returns the exit code."""
    from pysecbook.checker import Config, ConfigError, check_target, load_config_file
    from pysecbook.checker.checklist.audit import audit_pins
    from pysecbook.checker.report.badge import badge_svg
    from pysecbook.checker.scan.model import TargetError

    if sum(map(bool, (args.target, args.installed, args.requirement))) != 1:
        return _error("give exactly one of TARGET, --installed NAME or -r FILE")
    if args.jobs is not None and args.jobs < 1:
        return _error("--jobs must be at least 1")
    spec = args.installed or args.target
    auditor = None
    if args.osv_url:
        if not args.osv_url.startswith(("https://", "http://")):
            return _error("--osv-url must be an http:// or https:// URL")
        auditor = functools.partial(audit_pins, service="osv", osv_url=args.osv_url)
    mode = _index_mode(args)
    if isinstance(mode, int):
        return mode
    if mode is not None:
        return _run_index(args, mode, auditor)
    try:
        settings = load_config_file(args.config) if args.config else Config()
        if args.exclude:
            settings = settings.merged(Config(exclude=tuple(args.exclude), sources=("--exclude",)))
        with _progress_bar(sys.stderr.isatty()) as progress:
            report = check_target(spec, installed=bool(args.installed), jobs=args.jobs,
                                  fail_on=args.fail_on, progress=progress, auditor=auditor,
                                  settings=settings, own_project=args.own_project,
                                  timeout=args.timeout, file_timeout=args.file_timeout)
    except TargetError as exc:
        return _error(str(exc).splitlines()[0] if str(exc) else f"cannot read {spec}")
    except ConfigError as exc:
        return _error(str(exc))
    badge = (lambda: badge_svg(report)) if args.badge else None
    return _write_report(args, report, badge)


def _write_report(args: argparse.Namespace, report: object,
                  badge: Callable[[], str] | None = None) -> int:
    """Print or write ``report`` (and the badge); the report's exit code, or 2 on a write error."""
    from pysecbook.checker.report import render

    text = render(report, args.format, terminal=(args.output is None and sys.stdout.isatty()))
    try:
        _write(text, args.output)
        if badge is not None:
            _write(badge(), args.badge)
    except OSError as exc:
        return _error(f"cannot write the report: {exc.strerror or exc}")
    return int(report.exit_code)  # type: ignore[attr-defined]


_INDEX_ONLY = ("dist", "index_url", "offline", "cache_dir")


def _index_mode(args: argparse.Namespace) -> str | int | None:
    """``"lock"``, ``"requirement"``, None for a local target, or an exit code for bad input."""
    from pysecbook.checker.index.lockfile import is_pylock

    if args.requirement or (args.target and Path(args.target).is_file() and is_pylock(args.target)):
        mode = "lock"
    elif args.target and not Path(args.target).exists() and not args.installed:
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(args.target)
        except InvalidRequirement:
            return _error(f"{args.target}: no such file or directory, and not a requirement "
                          "(NAME or NAME==VERSION)")
        if req.url:
            return _error(f"{args.target}: a requirement with a URL is not fetched from an index")
        mode = "requirement"
    else:
        given = [f"--{o.replace('_', '-')}" for o in _INDEX_ONLY if getattr(args, o)]
        if given:
            return _error(f"{', '.join(given)}: only for a requirement or a lock file")
        return None
    if args.badge:
        return _error("--badge is for a single local target, not for packages fetched from an index")
    if args.own_project:
        return _error("--own-project: a package fetched from an index is never your own project")
    if args.index_url and not args.index_url.startswith(("https://", "http://")):
        return _error("--index-url must be an http:// or https:// URL")
    return mode


def _run_index(args: argparse.Namespace, mode: str, auditor: Callable[..., object] | None) -> int:
    """``pysecbook check NAME`` or ``-r LOCK``: fetch from the index, verify, check, report."""
    import os

    from pysecbook.checker.index import (
        LockError, Options, check_lock, check_requirement, pip_index_config, read_locks,
    )
    from pysecbook.checker.config import Config, ConfigError, load_config_file
    from pysecbook.checker.index.fetch import default_cache

    try:
        settings = load_config_file(args.config) if args.config else Config()
    except ConfigError as exc:
        return _error(str(exc))
    if args.exclude:
        settings = settings.merged(Config(exclude=tuple(args.exclude), sources=("--exclude",)))
    cache = Path(args.cache_dir) if args.cache_dir else default_cache()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _error(f"cannot use the cache directory {cache}: {exc.strerror or exc}")
    options = Options(cache=cache, offline=args.offline, dist=args.dist, fail_on=args.fail_on,
                      auditor=auditor, config=settings, timeout=args.timeout,
                      file_timeout=args.file_timeout)
    jobs = args.jobs or os.cpu_count() or 1
    if mode == "requirement":
        config = pip_index_config(args.index_url)
        with _progress_bar(sys.stderr.isatty(), f"fetching and checking {args.target}") as progress:
            report = check_requirement(args.target, config, options)
            if progress:
                progress(1, 1)
    else:
        try:
            lock = read_locks(args.requirement or [args.target])
        except LockError as exc:
            return _error(str(exc))
        config = pip_index_config(args.index_url, file_settings=lock.settings)
        with _progress_bar(sys.stderr.isatty(), "fetching and checking") as progress:
            report = check_lock(lock, config, options, jobs=jobs, progress=progress)
    return _write_report(args, report)
