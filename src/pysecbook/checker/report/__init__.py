"""Format a checklist report: text, JSON, SARIF, Markdown, HTML.

Formatting only: each format has one renderer, which takes either report (a single target's
:class:`~pysecbook.checker.results.Report`, or a
:class:`~pysecbook.checker.index.outcome.LockReport` of packages fetched from an index, whose
shared pieces are in :mod:`pysecbook.checker.report.lock`) and returns a string (the SVG badge
too, in :mod:`pysecbook.checker.report.badge`). Nothing here scans or decides. Every format renders
:func:`~pysecbook.checker.report.safe.sanitized` strings, so nothing the target chose reaches
a terminal, a Markdown viewer or a browser as anything but text. Book page:
``book/checklist/ci``.
"""

from __future__ import annotations

import json
from typing import Any

from pysecbook.checker.report.markup import to_html, to_markdown
from pysecbook.checker.report.safe import clean, sanitized
from pysecbook.checker.report.sarif import SARIF_SCHEMA, to_sarif
from pysecbook.checker.report.text import to_text

__all__ = ["FORMATS", "SARIF_SCHEMA", "clean", "render", "sanitized", "to_html", "to_json",
           "to_markdown", "to_sarif", "to_text"]

FORMATS = ("text", "json", "sarif", "markdown", "html")


def to_json(report: Any) -> str:
    """The report as JSON (ASCII only: every other character is a JSON escape)."""
    return json.dumps(sanitized(report).as_dict(), indent=2) + "\n"


def render(report: Any, fmt: str, *, terminal: bool = False) -> str:
    """``report`` in format ``fmt`` (one of :data:`FORMATS`): a :class:`Report`, or a
    :class:`~pysecbook.checker.index.outcome.LockReport` of dependencies from an index."""
    if fmt == "text":
        return to_text(report, terminal=terminal)
    return {"json": to_json, "sarif": to_sarif, "markdown": to_markdown, "html": to_html}[fmt](report)
