"""Stand-ins for the services a page or a test never reaches.

The book is built offline and the tests run offline, so check C3 (known vulnerabilities) is
given :func:`not_audited` as its auditor: it reports "could not audit", never a pass, and
says why. A test that exercises C3 itself passes its own auditor, or a real pip-audit against
a loopback service (``tests/hermetic.py``, ``osv_server``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pysecbook.checker.checklist.audit import AuditResult

__all__ = ["OFFLINE", "not_audited"]

#: Why nothing was audited, and what to run instead.
OFFLINE = "this page is built offline, run pip-audit --strict where its service is reachable"


def not_audited(pins: Sequence[tuple[str, str]], *, why: str = OFFLINE) -> AuditResult:
    """The auditor of an offline run: ``error`` ("not audited here"), with the pin count."""
    return AuditResult("error", f"not audited here: {len(pins)} pin(s); {why}")
