"""Debug mode leaks internals: a traceback with locals sent to the client.

A debug error page (Django's ``DEBUG = True``, Flask's debugger, or a hand-written handler
like the insecure one here) shows the traceback and the local variables of every frame; one of
them is often a password, a token or a connection string. The secure handler answers with a
generic message and an incident id, and keeps the detail in a server-side log record.
Book page: ``book/security-model/debug-mode``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import traceback
import uuid
from collections.abc import Iterator

from pysecbook.teaching.risks import Outcome, Risk, register

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The payment provider's key, as the service loads it (a fresh canary per process).
PAYMENT_API_KEY = "psb-canary-" + secrets.token_hex(8)


def charge(order: dict[str, object]) -> str:
    """Charge an order; fails on malformed input with the key in a local variable."""
    api_key = PAYMENT_API_KEY
    amount = int(str(order["amount"]))  # ValueError on "12,50": api_key is in this frame
    return f"charged {amount} cents with key ending {api_key[-4:]}"


def handle_insecure(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, answer with the full traceback and its locals (debug mode)."""
    try:
        return 200, charge(order)
    except Exception as exc:
        report = traceback.TracebackException.from_exception(exc, capture_locals=True)  # nosec PSB801 - deliberately insecure: demonstration of PSB-DEBUG-TRACEBACK
        return 500, "".join(report.format())


def handle_secure(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, log the detail server-side and answer with an incident id."""
    try:
        return 200, charge(order)
    except Exception:
        incident = uuid.uuid4().hex[:12]
        logger.exception("request failed, incident %s", incident)
        return 500, f"Internal error. Quote incident {incident} to support."


#: A malformed request: a decimal comma where an integer was expected.
MALFORMED = {"amount": "12,50"}


def attack(func: object) -> Outcome:
    """Send a malformed order and look for the API key in the response body."""
    status, body = func(dict(MALFORMED))  # type: ignore[operator]
    leaked = PAYMENT_API_KEY in body
    line = next((ln.strip() for ln in body.splitlines() if PAYMENT_API_KEY in ln), None)
    shown = line if leaked else body.strip().splitlines()[-1]
    return Outcome(leaked, f"HTTP {status}, response shows: {shown}")


class ListHandler(logging.Handler):
    """Keep log records in a list, so a page can show what the server would log."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_log() -> Iterator[list[logging.LogRecord]]:
    """Collect the records this module logs during the block."""
    handler = ListHandler()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def format_record(record: logging.LogRecord) -> str:
    """A log record as a server's log file would hold it: message, then the traceback."""
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return formatter.format(record)


RISK = register(
    Risk(
        id="PSB-DEBUG-TRACEBACK",
        title="Debug tracebacks with locals sent to the client",
        summary=(
            "An error page with the traceback and local variables leaks secrets; answer "
            "with an incident id and keep the detail in the server's log."
        ),
        cwe=209,
        bandit=(),
        detections=("PSB801",),
        modules=("traceback", "logging"),
        page="security-model/debug-mode",
        insecure=handle_insecure,
        secure=handle_secure,
        attack=attack,
    )
)
