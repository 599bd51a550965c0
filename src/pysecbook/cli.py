"""The ``pysecbook`` command line.

This is the only module that knows about ``argv``; the exit codes are
:class:`pysecbook.exitcodes.ExitCode`, listed in ``--help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from pysecbook import __version__
from pysecbook.exitcodes import ExitCode


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one clear line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _cmd_risks(args: argparse.Namespace) -> int:
    from pysecbook.teaching.risks import all_risks

    risks = all_risks()
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in risks], indent=2))
        return ExitCode.OK
    table = Table(title=f"{len(risks)} risks in the catalogue", show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("CWE", no_wrap=True)
    table.add_column("flagged by")
    table.add_column("page", overflow="fold")
    for r in risks:
        table.add_row(r.id, r.title, str(r.cwe), ", ".join(r.static_rules) or "-", f"book/{r.page}")
    _console().print(table)
    return ExitCode.OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from pysecbook.teaching.risks import DemonstrationUnavailable, all_risks, get

    try:
        risk = get(args.id)
    except KeyError:
        known = ", ".join(r.id for r in all_risks())
        print(f"pysecbook demo: error: unknown risk id {args.id!r}; known ids: {known}",
              file=sys.stderr)
        return ExitCode.USAGE
    try:
        demo = risk.demonstrate(adapted=True)
    except DemonstrationUnavailable as exc:
        print(f"pysecbook demo: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    if args.format == "json":
        print(json.dumps(demo.as_dict(), indent=2))
    else:
        rules = ", ".join(risk.static_rules) or "no static rule"
        print(f"{risk.id}: {risk.title} (CWE-{risk.cwe}; flagged by: {rules})")
        print(str(demo).split("\n", 1)[1])
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pysecbook",
        description="Companion tool of the Python security book: replay each risk's "
        "demonstration and run the pre-run checklist on a Python program.",
        epilog=ExitCode.help_text(),
    )
    parser.add_argument("--version", action="version", version=f"pysecbook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p_risks = sub.add_parser("risks", help="list the risk catalogue")
    p_risks.add_argument("--format", choices=("text", "json"), default="text")
    p_risks.set_defaults(func=_cmd_risks)

    p_demo = sub.add_parser("demo", help="run one risk's attack against both implementations, "
                            "and its adapted attacks against the secure one")
    p_demo.add_argument("id", metavar="ID", help="a risk id, as listed by 'pysecbook risks'")
    p_demo.add_argument("--format", choices=("text", "json"), default="text")
    p_demo.set_defaults(func=_cmd_demo)

    from pysecbook.checker.command import add_check_command

    add_check_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("pysecbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.OK
