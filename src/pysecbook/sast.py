"""Bandit, used as a library: scan source text or bytes without writing files.

The book shows Bandit flagging each insecure example and passing its secure twin; the tests
assert the same, and the checker scans archive members in memory. Bandit's only stable
interface is its command line; this module uses its ``BanditManager`` at the exact version
pinned in ``requirements.txt`` and keeps that use in one place.
"""

from __future__ import annotations

import functools
import inspect
import io
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One Bandit result."""

    test_id: str
    test_name: str
    severity: str
    confidence: str
    cwe: int | None
    line: int
    message: str


@dataclass(frozen=True)
class ScanResult:
    """Findings for one source text, and why it could not be scanned if it could not."""

    findings: tuple[Finding, ...]
    skipped: str | None = None
    #: How many findings a "nosec" comment suppressed (counted as Bandit's metrics count them).
    nosec: int = 0

    @property
    def test_ids(self) -> set[str]:
        return {f.test_id for f in self.findings}


@functools.lru_cache(maxsize=2)
def _manager(ignore_nosec: bool = False):  # type: ignore[no-untyped-def]
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    return b_manager.BanditManager(
        b_config.BanditConfig(), "file", quiet=True, ignore_nosec=ignore_nosec
    )


def scan_bytes(data: bytes, name: str = "<source>", *, ignore_nosec: bool = False) -> ScanResult:
    """Run every Bandit test on ``data`` (Python source) and return what it found.

    ``# nosec`` comments are honoured, as Bandit does, unless ``ignore_nosec`` is true.
    """
    # Bandit tokenizes the whole file to find "nosec" comments; its pattern is case-sensitive,
    # so a file without the word has none, and skipping that pass changes no result.
    mgr = _manager(ignore_nosec or b"nosec" not in data)
    mgr.results = []
    mgr.skipped = []
    files = [name]
    mgr._parse_file(name, io.BytesIO(data), files)  # noqa: SLF001 - see module docstring
    skipped = mgr.skipped[0][1] if mgr.skipped else None
    metrics = mgr.metrics.data.pop(name, {})  # per-file block; popped so a long scan stays small
    nosec = int(metrics.get("nosec", 0)) + int(metrics.get("skipped_tests", 0))
    findings = tuple(
        Finding(
            test_id=issue.test_id,
            test_name=issue.test,
            severity=str(issue.severity),
            confidence=str(issue.confidence),
            cwe=issue.cwe.id or None,
            line=issue.lineno,
            message=issue.text,
        )
        for issue in mgr.results
    )
    mgr.results = []
    mgr.skipped = []
    return ScanResult(findings=findings, skipped=skipped, nosec=nosec)


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
