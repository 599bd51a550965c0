"""What Bandit says about the book's examples: one function's source, as a reader sees it.

The book shows Bandit flagging each insecure example and passing its secure twin; the tests
assert the same. Bandit itself runs through the checker's in-memory scanner,
:func:`pysecbook.checker.scan.sast.scan_bytes`; installed with pysecbook, it also runs the
project's own detections (:mod:`pysecbook.checker.detections`), and :func:`describe` says
which rule is whose.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable

from pysecbook.checker.scan.sast import Finding, ScanResult, scan_bytes

__all__ = ["Finding", "ScanResult", "describe", "is_bandit_rule", "scan_bytes", "scan_function",
           "scan_source"]


def scan_source(source: str, name: str = "<source>", *, ignore_nosec: bool = False) -> ScanResult:
    """Run Bandit on a source string."""
    return scan_bytes(source.encode("utf-8"), name, ignore_nosec=ignore_nosec)


def scan_function(func: Callable[..., object]) -> ScanResult:
    """Run Bandit on the source of one function, as a reader sees it on the page.

    The deliberately insecure examples carry ``# nosec`` markers so that the project's own
    scan stays clean; here they are ignored, to show what Bandit says about such code
    written anywhere else.
    """
    source = textwrap.dedent(inspect.getsource(func))
    return scan_source(source, name=func.__qualname__, ignore_nosec=True)


def is_bandit_rule(test_id: str) -> bool:
    """One of Bandit's own rules (``B`` and three digits), not a plugin such as ``PSB101``."""
    return re.fullmatch(r"B\d{3}", test_id) is not None


def describe(result: ScanResult, *, project_rules: bool = False) -> str:
    """A few plain lines a page can print: one per finding, or a clean bill.

    By default only Bandit's own rules are reported, which is what a page means by "Bandit";
    with ``project_rules`` the project's detections (``PSB101``...) are reported as well.
    """
    if result.skipped:
        return f"Bandit could not scan this source: {result.skipped}"
    findings = [f for f in result.findings if project_rules or is_bandit_rule(f.test_id)]
    if not findings:
        return ("Bandit and pysecbook's rules: no issues identified." if project_rules
                else "Bandit: no issues identified.")
    return "\n".join(
        f"{'Bandit' if is_bandit_rule(f.test_id) else 'pysecbook'} {f.test_id} ({f.test_name}), "
        f"severity {f.severity}, confidence {f.confidence}, CWE-{f.cwe}, line {f.line}: "
        f"{f.message}"
        for f in findings
    )
