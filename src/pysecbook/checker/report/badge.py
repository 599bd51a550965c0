"""An SVG badge made from the scan that just ran: earned, not declared.

The badge states the project's own verdict (never the machine that ran the check: see
:mod:`pysecbook.checker.results`), the date and the tool version of one real run, and its
``<title>`` and ``<desc>`` carry the target and the counts, so anyone can rerun the same
command and compare. Nothing is fetched: the SVG is written locally.
Book page: ``book/checklist/ci``.
"""

from __future__ import annotations

from html import escape

from pysecbook.checker.report.safe import sanitized
from pysecbook.checker.results import Report

_CHAR = 6.5  # average glyph width of 11px Verdana, close enough for a badge
_WORD = {"pass": "passed", "review": "review", "blocked": "blocked"}
_COLOUR = {"pass": "#2e7d32", "review": "#0b4f6c", "blocked": "#c62828"}


def _width(text: str) -> int:
    return int(len(text) * _CHAR) + 12


def badge_svg(report: Report) -> str:
    """A flat two-part badge: ``pysecbook check | passed 2026-11-21``."""
    report = sanitized(report)
    verdict = report.target_verdict
    left = "pysecbook check"
    right = f"{_WORD[verdict]} {report.generated:%Y-%m-%d}"
    colour = _COLOUR[verdict]
    lw, rw = _width(left), _width(right)
    total = lw + rw
    counts = report.counts()
    desc = (f"pysecbook {report.tool_version} checked {report.target_kind} {report.target_path} on "
            f"{report.generated:%Y-%m-%d %H:%M} UTC: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            + f"; {len(report.findings)} finding(s), {len(report.unscanned)} file(s) not scanned")
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{escape(left)}: {escape(right)}">
<title>{escape(left)}: {escape(right)} (pysecbook {escape(report.tool_version)})</title>
<desc>{escape(desc)}</desc>
<rect width="{lw}" height="20" fill="#555"/>
<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="{lw / 2:.1f}" y="14">{escape(left)}</text>
<text x="{lw + rw / 2:.1f}" y="14">{escape(right)}</text>
</g>
</svg>
"""
