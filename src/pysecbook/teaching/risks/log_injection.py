"""Log injection: a newline in user input forges a log line.

A log line is trusted as a record of what happened. When a value that the user chose is
written into it as is, a newline in that value starts a second line that looks like any
other record, and whoever reads the log (a person, a SIEM rule, ``grep``) believes it.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register

#: The format of the example application's log: level, logger name, message.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

#: What the attacker types as a user name.
FORGED_USERNAME = "mallory\nINFO auth: login succeeded for admin"

#: The line the attacker wants to appear in the log.
FORGED_LINE = "INFO auth: login succeeded for admin"


def record_failed_login_insecure(logger: logging.Logger, username: str) -> None:
    """Log a failed login; the user name goes into the line as it was typed."""
    logger.warning("login failed for %s", username)


def record_failed_login_secure(logger: logging.Logger, username: str) -> None:
    """Log a failed login; ``%r`` writes the user name as a quoted, escaped literal."""
    logger.warning("login failed for %r", username)


class ControlCharEscapingFormatter(logging.Formatter):
    """A formatter that escapes CR, LF and other control characters in every message.

    A second line of defence: it also covers messages from code you did not write. The
    traceback that ``exc_info`` adds is left multi-line on purpose.
    """

    _TABLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if c != 0x09}
    _TABLE.update({0x0A: "\\n", 0x0D: "\\r"})

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - stdlib name
        original = record.message
        record.message = original.translate(self._TABLE)
        try:
            return super().formatMessage(record)
        finally:
            record.message = original


def plain_handler(stream: io.StringIO, formatter: logging.Formatter | None = None) -> logging.Handler:
    """A stream handler with the example application's format (or ``formatter``)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter or logging.Formatter(LOG_FORMAT))
    return handler


def capture_log(
    action: Callable[[logging.Logger], None],
    make_handler: Callable[[io.StringIO], logging.Handler] = plain_handler,
    name: str = "auth",
) -> list[str]:
    """Run ``action(logger)`` with the handler ``make_handler(stream)`` and return the lines
    it wrote.

    The logger is private and does not propagate, so nothing reaches the process's root
    logger.
    """
    stream = io.StringIO()
    handler = make_handler(stream)
    logger = logging.getLogger(f"pysecbook.demo.{name}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        action(logger)
    finally:
        logger.removeHandler(handler)
        handler.close()
    # The demo logger's name is long; show the name the application would use.
    return [line.replace(f"pysecbook.demo.{name}", name) for line in stream.getvalue().splitlines()]


def escaping_handler(stream: io.StringIO) -> logging.Handler:
    """A stream handler whose formatter escapes control characters."""
    return plain_handler(stream, ControlCharEscapingFormatter(LOG_FORMAT))


def attack(impl: Callable[..., object]) -> Outcome:
    """Mallory fails to log in with a user name that carries a newline and a fake record."""
    lines = capture_log(lambda logger: impl(logger, FORGED_USERNAME))
    forged = FORGED_LINE in lines
    shown = " | ".join(lines)
    what = "a forged line appears in the log" if forged else "one line, no forged record"
    return Outcome(attack_succeeded=forged, observed=f"{what}: {shown}")


register(
    Risk(
        id="PSB-LOG-INJECTION",
        title="Log injection through newlines",
        summary="A user-chosen value with a newline forges a second log record; log it "
        "escaped (%r) or with a formatter that escapes control characters.",
        cwe=117,
        bandit=(),
        no_static_rule="%s and %r are both ordinary logging formats; whether the argument "
                       "comes from a client is not visible in the call.",
        modules=("logging",),
        page="practices/logging",
        insecure=record_failed_login_insecure,
        secure=record_failed_login_secure,
        attack=attack,
    )
)
