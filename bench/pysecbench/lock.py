"""``pysecbook check -r requirements.txt`` on this project's own lock, fetched from PyPI,
cold and with a warm cache, beside ``bandit -r`` on the same files (``bench/lock_check.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pysecbench import Part, register
from pysecbench.common import load_bench_module, measure, target


def _module() -> Any:
    return load_bench_module("pysecbook_bench_lock", "lock_check.py")


def run(args: Any, workdir: Path) -> dict[str, Any]:
    return _module().run(workdir, measure)


def render(section: dict[str, Any], report: dict[str, Any]) -> list[str]:
    return _module().markdown(section)


def targets(section: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    return [target("check -r requirements.txt, warm cache / bandit -r", (section or {}).get("warm_ratio"),
                   _module().TARGET_WARM_RATIO, "lt", "x", "")]


PART = register(Part("lock", "This project's lock, checked before install", run, render, targets,
                     order=60, default=False,
                     help="pysecbook check -r on this project's own lock from PyPI (an hour cold)"))
