"""Red flags beside GuardDog and Bandit: recall on the technique corpus, alarms on its
near-miss twins and on the pinned top-100 wheels (the measurement is ``bench/redflags.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pysecbench import Part, register
from pysecbench.common import load_bench_module, target


def _module() -> Any:
    return load_bench_module("pysecbook_bench_redflags", "redflags.py")


def run(args: Any, workdir: Path) -> dict[str, Any]:
    return _module().run()


def render(section: dict[str, Any], report: dict[str, Any]) -> list[str]:
    lines = _module().render(section).splitlines()
    if lines and lines[0].startswith("## "):  # the report writer prints the part's title
        lines = lines[1:]
    return [*lines, ""]


def targets(section: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    return [target(name, measured, limit, kind, unit)
            for name, measured, limit, kind, unit in _module().target_rows(section)
            if limit is not None]


PART = register(Part("redflags", "Red flags beside GuardDog and Bandit", run, render, targets,
                     order=45, help="red flags on the technique corpus and the top wheels, "
                                    "beside GuardDog (its own locked environment) and Bandit"))
