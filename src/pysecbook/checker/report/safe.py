"""One sanitiser for every string that comes from the target, applied before any format.

A file name, a member name, a licence field or a line of source quoted in a message is
chosen by the target's author. Printed as it is, an escape sequence can redraw the verdict
line of a terminal, a bidirectional control can reorder what a reader sees, a line or
paragraph separator can fake a new line, and a lone surrogate (an undecodable file name)
can crash an encoder. :func:`clean` turns each of those into a visible escape (``\\x1b``,
``\\u202e``, ``\\udcff``); :func:`sanitized` applies it to every string of a report, so no
format can forget a field. Markdown and HTML then escape their own syntax on top.
Book page: ``book/checklist/ci``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from pysecbook.checker.results import CheckOutcome, Report
from pysecbook.checker.scan.model import Finding, Unscanned

__all__ = ["clean", "sanitized"]

#: C0 and C1 controls and DEL; bidirectional controls (Trojan Source); line and paragraph
#: separators; invisible characters; lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``text`` with every unsafe character replaced by a visible escape."""
    return _UNSAFE.sub(_escape, str(text))


def _finding(f: Finding) -> Finding:
    return dataclasses.replace(f, rule_id=clean(f.rule_id), path=clean(f.path),
                               message=clean(f.message))


def _check(c: CheckOutcome) -> CheckOutcome:
    return dataclasses.replace(c, summary=clean(c.summary),
                               details=tuple(clean(d) for d in c.details))


def _deep_clean(value: Any) -> Any:
    """``value`` with every string in it cleaned; a dataclass field by field (so none is
    forgotten), a single-target :class:`Report` through :func:`sanitized`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Report):
        return _sanitized_report(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _deep_clean(getattr(value, f.name))
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, (list, tuple)):
        return type(value)(_deep_clean(v) for v in value)
    if isinstance(value, frozenset) and all(isinstance(v, str) for v in value):
        return frozenset(clean(v) for v in value)
    if isinstance(value, dict):
        return {_deep_clean(k): _deep_clean(v) for k, v in value.items()}
    return value


def sanitized(report: Any) -> Any:
    """A copy of ``report`` in which every string that can come from the target (or, for a
    lock, from an index, a lock file or an archive) is clean: a single target's
    :class:`Report`, or a :class:`~pysecbook.checker.index.outcome.LockReport` field by
    field."""
    if isinstance(report, Report):
        return _sanitized_report(report)
    return _deep_clean(report)


def _sanitized_report(report: Report) -> Report:
    return dataclasses.replace(
        report,
        target_path=clean(report.target_path),
        manifest=clean(report.manifest) if report.manifest is not None else None,
        checks=[_check(c) for c in report.checks],
        findings=[_finding(f) for f in report.findings],
        unscanned=[Unscanned(clean(u.path), clean(u.reason), u.blocks) for u in report.unscanned],
        config_sources=tuple(clean(s) for s in report.config_sources),
    )
