"""Secrets in logs: a request dump carries the caller's token into the log files.

Logs are copied, shipped, indexed and kept far longer than the tokens in them, and many more
people can read them than could read the secret store. A debug line that dumps a request's
headers writes the bearer token into all of those places.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Mapping

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks.log_injection import LOG_FORMAT, capture_log

#: A request as the example application receives it. The token is made up.
DEMO_TOKEN = "psb_live_7f3a9c2e41d84b0f"  # nosec B105 - a made-up token for the demonstration
REQUEST = {
    "method": "GET",
    "path": "/api/orders",
    "headers": {"Accept": "application/json", "Authorization": f"Bearer {DEMO_TOKEN}"},
}


class RedactSecretsFilter(logging.Filter):
    """Replace credentials in a record's final message with ``[REDACTED]``.

    It works on the formatted message, so it catches secrets passed as arguments as well
    as in the format string. Attach it to a *handler*: a filter on a logger is not applied
    to records that propagate up from its child loggers.
    """

    PATTERNS = (
        # "Authorization": "Bearer xyz" (dict dump) or Authorization: Bearer xyz (raw header)
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic|token)\s+)[^\s'\",}]+"),
        # password=..., api_key: ..., "token": "..."
        re.compile(r"(?i)((?:password|passwd|secret|api[_-]?key|token)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern in self.PATTERNS:
            redacted = pattern.sub(r"\1[REDACTED]", redacted)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def make_handler_insecure(stream: io.StringIO) -> logging.Handler:
    """The application's log handler: everything logged is written as is."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def make_handler_secure(stream: io.StringIO) -> logging.Handler:
    """The application's log handler, with a filter that redacts credentials."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactSecretsFilter())
    return handler


def log_request(logger: logging.Logger, request: Mapping[str, object]) -> None:
    """What the application does on every request at debug level: dump it."""
    logger.info("request received: %s", request)


def logged_lines(make_handler: Callable[[io.StringIO], logging.Handler],
                 request: Mapping[str, object] = REQUEST) -> list[str]:
    """The log lines written when a request is dumped through ``make_handler``'s handler."""
    return capture_log(lambda logger: log_request(logger, request), make_handler, name="api")


def attack(impl: Callable[..., object]) -> Outcome:
    """Whoever can read the log files looks for a bearer token."""
    lines = logged_lines(impl)  # type: ignore[arg-type]
    leaked = any(DEMO_TOKEN in line for line in lines)
    what = "the token is in the log" if leaked else "no token in the log"
    return Outcome(attack_succeeded=leaked, observed=f"{what}: {' | '.join(lines)}")


register(
    Risk(
        id="PSB-LOG-SECRETS",
        title="Secrets written to logs",
        summary="A request dump writes the caller's bearer token into the logs; redact "
        "credentials with a logging.Filter on the handler.",
        cwe=532,
        bandit=(),
        no_static_rule="both handlers are configured alike; whether a message carries a secret "
                       "depends on what is logged at run time.",
        modules=("logging",),
        page="practices/logging",
        insecure=make_handler_insecure,
        secure=make_handler_secure,
        attack=attack,
    )
)
