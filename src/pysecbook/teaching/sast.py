"""What Bandit says about the book's examples: one function's source, as a reader sees it.

The book shows Bandit flagging each insecure example and passing its secure twin; the tests
assert the same. Bandit itself runs through the checker's in-memory scanner,
:func:`pysecbook.checker.scan.sast.scan_bytes`.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable

from pysecbook.checker.scan.sast import Finding, ScanResult, scan_bytes

__all__ = ["Finding", "ScanResult", "describe", "scan_bytes", "scan_function", "scan_source"]


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


def describe(result: ScanResult) -> str:
    """A few plain lines a page can print: one per finding, or a clean bill."""
    if result.skipped:
        return f"Bandit could not scan this source: {result.skipped}"
    if not result.findings:
        return "Bandit: no issues identified."
    return "\n".join(
        f"Bandit {f.test_id} ({f.test_name}), severity {f.severity}, "
        f"confidence {f.confidence}, CWE-{f.cwe}, line {f.line}: {f.message}"
        for f in result.findings
    )
