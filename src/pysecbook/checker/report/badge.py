"""An SVG badge made from the scan that just ran: earned, not declared.

The badge states the result, the date and the tool version of one real run, and its
``<title>`` and ``<desc>`` carry the target and the counts, so anyone can rerun the same
command and compare. Nothing is fetched: the SVG is written locally.
Book page: ``book/checklist/ci``.
"""

from __future__ import annotations

from html import escape

from pysecbook.checker import Report

_CHAR = 6.5  # average glyph width of 11px Verdana, close enough for a badge


def _width(text: str) -> int:
    return int(len(text) * _CHAR) + 12


def badge_svg(report: Report) -> str:
    """A flat two-part badge: ``pysecbook check | passed 2026-11-21``."""
    left = "pysecbook check"
    right = f"{'passed' if report.passed else 'failed'} {report.generated:%Y-%m-%d}"
    colour = "#2e7d32" if report.passed else "#c62828"
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
