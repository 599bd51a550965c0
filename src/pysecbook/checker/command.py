"""``pysecbook check TARGET``: the pre-run checklist on a project, an archive or an install.

Exit codes: 0 when no must-do check fails; 1 when one fails or errs, or any file could not be
scanned (an incomplete scan is not a pass); 2 for usage errors, an invalid
``[tool.pysecbook]`` table, and a target that does not exist or cannot be read.
Book pages: ``book/checklist/index`` and ``book/checklist/ci``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_check_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``check`` subcommand on the ``pysecbook`` parser."""
    p = subparsers.add_parser(
        "check",
        help="run the pre-run checklist on a project, an sdist, a wheel or an installed package",
        description="Run the pre-run checklist on TARGET (a project directory, an sdist "
        ".tar.gz/.zip, a wheel) or on an installed distribution (--installed NAME). Nothing of "
        "the target is imported, built, installed or executed. Exit codes: 0 no must-do check "
        "failed; 1 a must-do check failed or erred, or a file could not be scanned; 2 usage "
        "error or unreadable target.",
    )
    p.add_argument("target", metavar="TARGET", nargs="?", help="directory, sdist or wheel")
    p.add_argument("--installed", metavar="NAME", help="check a distribution installed in this environment")
    p.add_argument("--format", choices=("text", "json", "sarif", "markdown", "html"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("low", "medium", "high"), default="high",
                   help="finding severity that fails the SAST check (default: high)")
    p.add_argument("--jobs", metavar="N", type=int, default=None,
                   help="parallel scanning processes (default: number of cores)")
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


def run_check(args: argparse.Namespace) -> int:
    """Run the checklist as the command line asked; returns the exit code."""
    from pysecbook.checker import ConfigError, check_target
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
        with _progress_bar(sys.stderr.isatty()) as progress:
            report = check_target(spec, installed=bool(args.installed), jobs=args.jobs,
                                  fail_on=args.fail_on, progress=progress, auditor=auditor)
    except TargetError as exc:
        return _error(str(exc).splitlines()[0] if str(exc) else f"cannot read {spec}")
    except ConfigError as exc:
        return _error(str(exc))
    to_file = args.output is not None
    text = render(report, args.format, terminal=(not to_file and sys.stdout.isatty()))
    try:
        if to_file:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        if args.badge:
            Path(args.badge).write_text(badge_svg(report), encoding="utf-8")
    except OSError as exc:
        return _error(f"cannot write the report: {exc.strerror or exc}")
    return report.exit_code
