"""``make bench``'s parts, as a registry: each part measures one thing and reports it.

A part is a module of this package that calls :func:`register` with a :class:`Part`:

- ``run(args, workdir) -> dict``: measure, in ``workdir`` (a temporary directory shared by
  the parts of one run), and return a JSON-serialisable section of report.json, or
  ``{"skipped": "why"}``. ``args`` is the command line (``args.runs``, ``args.out``...).
- ``render(section, report) -> list[str]``: the part's Markdown section of report.md.
- ``targets(section, report) -> list[dict]``: its verdicts (:func:`common.target`), each
  with the measured reason when a target is not met.

Parts run in ``order``; ``--only NAME,...`` picks some by name, and a part with
``default=False`` (``make_test``) runs only when named. Every module of the package is
imported by :func:`load_parts`, so a new part is a new module and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Section = dict[str, Any]


def _no_targets(section: Section, report: dict[str, Any]) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True)
class Part:
    name: str
    title: str
    run: Callable[[argparse.Namespace, Path], Section]
    render: Callable[[Section, dict[str, Any]], list[str]]
    targets: Callable[[Section, dict[str, Any]], list[dict[str, Any]]] = _no_targets
    order: int = 50
    default: bool = True
    help: str = ""


_PARTS: dict[str, Part] = {}
#: Modules of the package that are not parts.
_NOT_PARTS = {"common", "report", "cli", "topwheels"}


def register(part: Part) -> Part:
    if part.name in _PARTS and _PARTS[part.name] is not part:
        raise ValueError(f"two bench parts are named {part.name!r}")
    _PARTS[part.name] = part
    return part


def load_parts() -> list[Part]:
    """Every part of the package, in report order."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_PARTS:
            importlib.import_module(f"{__name__}.{info.name}")
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.name))
