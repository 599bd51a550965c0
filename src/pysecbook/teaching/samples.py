"""The book's two sample projects, and the checklist's results on them side by side.

``samples/well-kept`` and ``samples/suspicious`` ship with the book's repository; the
checklist chapter runs ``pysecbook check`` on both and compares them check by check.
Book pages: ``book/checklist/must`` and ``book/checklist/could``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pysecbook.checker import Report, check_target
from pysecbook.checker.checklist import get_check
from pysecbook.checker.scan.model import TargetError

__all__ = ["SAMPLES", "check_samples", "compare", "sample_path"]


def sample_path(name: str) -> str:
    """The path of one of the book's sample projects (``well-kept`` or ``suspicious``)."""
    root = Path(__file__).resolve().parents[3] / "samples" / name
    if not root.is_dir():
        raise TargetError(f"sample {name!r} not found at {root} (it ships with the book's repository)")
    try:
        return os.path.relpath(root)
    except ValueError:  # another drive on Windows
        return str(root)


SAMPLES = ("well-kept", "suspicious")


def check_samples(**kwargs: Any) -> dict[str, Report]:
    """Run the checklist on both sample projects of the book (keyword arguments as
    :func:`check_target`)."""
    return {name: check_target(sample_path(name), **kwargs) for name in SAMPLES}


def compare(check_id: str, reports: dict[str, Report]) -> str:
    """One check's result on several targets, as plain text for a page or a terminal."""
    cls = get_check(check_id)
    lines = [f"{cls.id} ({cls.level}): {cls.title()}"]
    for name, report in reports.items():
        c = report.check(cls.id)
        lines.append(f"  {name:<12} {c.status.upper():<6} {c.summary}")
        lines += [f"  {'':<12}        - {d}" for d in c.details[:6]]
        if len(c.details) > 6:
            lines.append(f"  {'':<12}        ... and {len(c.details) - 6} more")
    return "\n".join(lines)
