"""``pysecbook check TARGET``: the pre-run checklist on a project, an archive or an install.

Exit codes: 0 the verdict is "pass"; 1 "blocked" (evidence of danger: a must-do check failed
on evidence or could not run, or a file could not be scanned); 3 "review" (a must-do item
cannot be shown from this artifact: check it by hand); 2 a usage error, invalid settings of
your own, or a target that does not exist or cannot be read. Settings come from you (flags,
``--config FILE``, your own project's ``[tool.pysecbook]``), never from someone else's
target. Book pages: ``book/checklist/index`` and ``book/checklist/ci``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


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
        help="run the pre-run checklist on a project, an sdist, a wheel or an installed package",
        description="Run the pre-run checklist on TARGET (a project directory, an sdist "
        ".tar.gz/.zip, a wheel) or on an installed distribution (--installed NAME). Nothing of "
        "the target is imported, built, installed or executed, and nothing in it (its "
        "[tool.pysecbook] table, its '# nosec' comments) changes its verdict, unless it is your "
        "own project (the current directory, or --own-project). Exit codes: 0 pass; 1 blocked "
        "(evidence of danger, or a file that could not be scanned); 3 review (something a "
        "must-do item needs is not in this artifact: check it by hand); 2 usage error or "
        "unreadable target.",
    )
    p.add_argument("target", metavar="TARGET", nargs="?", help="directory, sdist or wheel")
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
                   help=f"deadline of the whole run; what is left is reported as not scanned "
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
    return EXIT_USAGE


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    # On stderr, so that a report piped from stdout stays clean.
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scanning", total=None)

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
    from pysecbook.checker.report import render
    from pysecbook.checker.report.badge import badge_svg
    from pysecbook.checker.scan.model import TargetError

    if bool(args.target) == bool(args.installed):
        return _error("give exactly one of TARGET or --installed NAME")
    if args.jobs is not None and args.jobs < 1:
        return _error("--jobs must be at least 1")
    spec = args.installed or args.target
    auditor = None
    if args.osv_url:
        if not args.osv_url.startswith(("https://", "http://")):
            return _error("--osv-url must be an http:// or https:// URL")
        auditor = functools.partial(audit_pins, service="osv", osv_url=args.osv_url)
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
    text = render(report, args.format, terminal=(args.output is None and sys.stdout.isatty()))
    try:
        _write(text, args.output)
        if args.badge:
            _write(badge_svg(report), args.badge)
    except OSError as exc:
        return _error(f"cannot write the report: {exc.strerror or exc}")
    return report.exit_code
