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
import re
import secrets
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Iterator

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The payment provider's key, as the service loads it (a fresh canary per process).
PAYMENT_API_KEY = "psb-canary-" + secrets.token_hex(8)


#: Where the service charges orders (not contacted: :func:`call_provider` stands in for it).
PROVIDER_URL = "https://payments.example/v1/charge"
SUPPORTED_CURRENCIES = frozenset({"EUR", "USD"})


class ProviderError(Exception):
    """The payment provider refused a request."""


class ChargeFailed(Exception):
    """An order could not be charged; the provider's error is chained as the cause."""


def call_provider(api_key: str, amount: int, currency: str) -> str:
    """Stand-in for the provider's client library. Like many HTTP clients, it names the
    request URL in its errors, and this provider takes the key as a query parameter."""
    url = f"{PROVIDER_URL}?key={api_key}&amount={amount}&currency={currency}"
    if currency not in SUPPORTED_CURRENCIES:
        raise ProviderError(f"400 Bad Request for url: {url}")
    return f"charged {amount} cents ({currency}) with key ending {api_key[-4:]}"


def charge(order: dict[str, object]) -> str:
    """Charge an order; fails on malformed input with the key in a local variable, and on an
    unsupported currency with the key in the provider's error message."""
    api_key = PAYMENT_API_KEY
    amount = int(str(order["amount"]))  # ValueError on "12,50": api_key is in this frame
    currency = str(order.get("currency", "EUR"))
    try:
        return call_provider(api_key, amount, currency)
    except ProviderError as exc:
        raise ChargeFailed(f"could not charge {amount} cents") from exc


def handle_insecure(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, answer with the full traceback and its locals (debug mode)."""
    try:
        return 200, charge(order)
    except Exception as exc:
        report = traceback.TracebackException.from_exception(exc, capture_locals=True)  # nosec PSB801 - deliberately insecure: demonstration of PSB-DEBUG-TRACEBACK
        return 500, "".join(report.format())


#: Local variable names a masking debug page hides.
SECRET_NAMES = re.compile(r"(?i)key|token|secret|passw")


def handle_masked_first_try(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, answer with the traceback and its locals, those whose names
    look secret masked.

    A first fix, kept to show the adapted attacks beating it: the masking goes by the
    variable's name, and the key also sits in ``url``, a local of the chained exception's
    frame, and in that exception's message.
    """
    try:
        return 200, charge(order)
    except Exception as exc:
        report = traceback.TracebackException.from_exception(exc, capture_locals=True)  # nosec PSB801 - deliberately insecure: demonstration of PSB-DEBUG-TRACEBACK
        for part in (report, report.__cause__, report.__context__):
            for frame in part.stack if part else ():
                for name in frame.locals or {}:
                    if SECRET_NAMES.search(name):
                        frame.locals[name] = "'********'"
        return 500, "".join(report.format())


def handle_first_try(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, log the exception server-side and answer with an incident id.

    A first fix, kept to show an adapted attack beating it: the client learns nothing, but
    ``logger.exception`` writes every exception's message in the chain into the log, and the
    provider's message carries the key.
    """
    try:
        return 200, charge(order)
    except Exception:
        incident = uuid.uuid4().hex[:12]
        logger.exception("request failed, incident %s", incident)
        return 500, f"Internal error. Quote incident {incident} to support."


#: The secrets this service holds. No response and no log record may contain one.
SERVICE_SECRETS = (PAYMENT_API_KEY,)


def redacted_traceback(exc: BaseException, secrets_held: tuple[str, ...]) -> str:
    """The traceback of ``exc`` with its chain and notes, no locals, every secret held (as is,
    and percent-encoded as in a URL) replaced by ``[redacted]``."""
    text = "".join(traceback.format_exception(exc))
    for secret in secrets_held:
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
            text = text.replace(form, "[redacted]")
    return text


def indented(text: str) -> str:
    """``text`` with four spaces before every line, lines split as ``str.splitlines`` splits
    them (``\\r``, ``\\x0b``, ``\\x1c``, ``\\u2028`` and the others): no line of it can pass
    for the start of a log record."""
    return "\n".join("    " + line for line in text.splitlines())


def handle_secure(order: dict[str, object]) -> tuple[int, str]:
    """Serve a request; on error, log the detail server-side and answer with an incident id.

    The client gets a fixed message and an id. The log record gets the traceback, with every
    chained exception and its message but no local variables, and with each of the
    service's secrets (:data:`SERVICE_SECRETS`) replaced by ``[redacted]``, so the message of
    a library that repeats its request, key included, is logged without the key. Every line
    of the traceback is indented, so a line break in a message the client chose cannot start
    a line that reads as a record of its own.

    Assumes: every secret the service holds is listed in ``SERVICE_SECRETS``; the log
    configuration adds nothing of its own (no handler or formatter that captures locals or
    the request body), and whoever reads the log takes a line that starts with a space for
    the continuation of the record above it.
    Does not stop: a secret it was not told about (a password inside a connection string
    from a library), or one that reaches a message transformed (base64 in an
    ``Authorization`` header, cut short, hashed); the attacker's own input in the log (the
    exception's message quotes it, indented but otherwise as sent); a debug page turned on by the framework around it.
    """
    try:
        return 200, charge(order)
    except Exception as exc:
        incident = uuid.uuid4().hex[:12]
        logger.error("request failed, incident %s\n%s", incident,
                     indented(redacted_traceback(exc, SERVICE_SECRETS)))
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


#: An order in a currency the provider refuses: its error repeats the URL, key included.
UNSUPPORTED_CURRENCY = {"amount": "1250", "currency": "XTS"}


def _around(line: str) -> str:
    """The part of ``line`` that shows the key, with some context before it."""
    at = line.index(PAYMENT_API_KEY)
    return ("..." if at > 60 else "") + line[max(0, at - 60):at + len(PAYMENT_API_KEY)] + "..."


_LOCAL_LINE = re.compile(r"^\s*\w+ = ")


def _where_the_key_is(impl: Callable[..., object], order: dict[str, object], *,
                      locals_count: bool = True) -> Outcome:
    """Send ``order``; is the key in the response, or in a log record the server kept?
    Without ``locals_count``, a line showing a local variable does not count."""
    with captured_log() as records:
        status, body = impl(dict(order))  # type: ignore[operator]
    logged = "\n".join(format_record(r) for r in records)
    for place, text in (("response", body), ("server's log", logged)):
        lines = [ln.strip() for ln in text.splitlines() if PAYMENT_API_KEY in ln
                 and (locals_count or not _LOCAL_LINE.match(ln))]
        if lines:
            return Outcome(True, f"HTTP {status}; the key is in the {place}: {_around(lines[0])}")
    return Outcome(False, f"HTTP {status}, no key in the response or the {len(records)} log "
                          f"record(s); response: {body.strip().splitlines()[-1][:80]}")


def attack_message_in_response(impl: Callable[..., object]) -> Outcome:
    """Order in a currency the provider refuses: its error message repeats the request URL,
    key included, so any response that shows the message shows the key, locals or not (a
    line showing a local variable does not count here)."""
    return _where_the_key_is(impl, UNSUPPORTED_CURRENCY, locals_count=False)


def attack_chained_frame_local(impl: Callable[..., object]) -> Outcome:
    """The same order against a page that masks locals named like secrets: the key is also
    in ``url``, a local of the chained exception's frame."""
    with captured_log():
        status, body = impl(dict(UNSUPPORTED_CURRENCY))  # type: ignore[operator]
    line = next((ln.strip() for ln in body.splitlines()
                 if ln.strip().startswith("url =") and PAYMENT_API_KEY in ln), None)
    if line:
        return Outcome(True, f"HTTP {status}; the chained exception's frame shows {_around(line)}")
    return Outcome(False, f"HTTP {status}, no local holding the key in the response: "
                          f"{body.strip().splitlines()[-1][:80]}")


def attack_read_the_log(impl: Callable[..., object]) -> Outcome:
    """The same order, then read the server's log (support staff, a log service, a log file
    left readable): the chained exception's message is logged with the key in it."""
    return _where_the_key_is(impl, UNSUPPORTED_CURRENCY)


#: An order whose currency carries a line break and a log record of the attacker's making.
FORGED_LINE = "INFO pysecbook.payments: refund of 50000 cents to mallory approved"
FORGING_ORDER = {"amount": "1250", "currency": "XTS\n" + FORGED_LINE}
_RECORD_START = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+: ")


def attack_forged_log_line(impl: Callable[..., object]) -> Outcome:
    """Put a line break and a whole log record in the currency: the provider's error repeats
    it, and a handler that logs the message as it is writes a line that reads as a record of
    its own (a refund approved, say) to whoever reads the log."""
    with captured_log() as records:
        impl(dict(FORGING_ORDER))  # type: ignore[operator]
    lines = [ln for r in records for ln in format_record(r).splitlines()[1:]]
    forged = [ln for ln in lines if _RECORD_START.match(ln)]
    if forged:
        return Outcome(True, f"the log holds a line that reads as a record: {forged[0]!r}")
    shown = next((ln for ln in lines if FORGED_LINE in ln), "no such line")
    return Outcome(False, f"the attacker's line is inside the record: {shown.rstrip()!r}")


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
        adapted=(
            AdaptedAttack("an error whose message repeats the provider's URL, key included",
                          "variant", attack_message_in_response),
            AdaptedAttack("the key in url, a local of the chained exception's frame, past "
                          "masking by name", "variant", attack_chained_frame_local,
                          beats=handle_masked_first_try),
            AdaptedAttack("the chained exception's message, read from the server's log",
                          "context", attack_read_the_log, beats=handle_first_try),
            AdaptedAttack("a line break and a forged log record in the currency", "context",
                          attack_forged_log_line, beats=handle_first_try),
        ),
    )
)
