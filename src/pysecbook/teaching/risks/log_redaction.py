"""Secrets in logs: a request dump carries the caller's token into the log files.

Logs are copied, shipped, indexed and kept far longer than the tokens in them, and many more
people can read them than could read the secret store. A debug line that dumps a request's
headers writes the bearer token into all of those places.

A redaction filter that matches ``Authorization: Bearer ...`` in the message misses the
same credential in every other shape: in the traceback of an exception, in a ``Cookie``
header, in an ``Authorization`` header without a scheme, on its own with its name in
another argument, JSON-encoded twice, percent-encoded in a URL, base64-encoded. The secure
filter redacts structured values by their key before the message is formatted, and then
matches names, the known shapes of tokens and base64 runs in the message, the traceback and
the stack.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Mapping

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.log_injection import LOG_FORMAT, capture_log

#: A request as the example application receives it. The token is made up.
DEMO_TOKEN = "psb_live_7f3a9c2e41d84b0f"  # nosec B105 - a made-up token for the demonstration
REQUEST = {
    "method": "GET",
    "path": "/api/orders",
    "headers": {"Accept": "application/json", "Authorization": f"Bearer {DEMO_TOKEN}"},
}


class FirstTryRedactFilter(logging.Filter):
    """A first fix: replace credentials in a record's final message with ``[REDACTED]``.

    It works on the formatted message, so it catches secrets passed as arguments as well
    as in the format string. Kept to show the adapted attacks beating it: it knows two
    shapes of credential, and looks at the message only.
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


REDACTED = "[REDACTED]"

#: A name whose value is a credential: a mapping's key, or a name before ':' or '=' in text.
_NAME = (r"auth(?:ori[sz]ation|entication)?(?![a-z])|cookie|passw|pwd|secret|token|"
         r"api[_-]?key|access[_-]?key|private[_-]?key|sess(?:ion|id)|(?<![a-z])sid(?![a-z])|"
         r"credential|signature|csrf|xsrf")
SENSITIVE_KEY = re.compile(_NAME, re.IGNORECASE)
#: Between a name and its value: quotes (JSON-escaped up to five times), spaces, and ':' or '='
#: (also percent-encoded, once or twice). Every repetition is bounded, so that no input makes
#: the patterns backtrack for long.
_SEP = r"(?:\\{0,64}[\"'])?[ \t]{0,8}(?::|=|%(?:25)?3[adAD])[ \t]{0,8}(?:\\{0,64}[\"'])?"
#: The authentication schemes that may stand between a name and its credential.
_SCHEMES = r"(?:bearer|basic|token|digest|negotiate|apikey|key|mac|aws4-hmac-sha256)(?:[ \t]{1,8}|%20)"

#: Authorization, Proxy-Authorization, Cookie, Set-Cookie: the whole value, any scheme.
_HEADER = re.compile(r"(?i)(?<![\w-])((?:proxy-)?authorization|(?:set-)?cookie)(" + _SEP
                     + r")[^'\"\r\n\\]+")
#: A name (up to 128 word characters, starting a word) and its separator; the name is judged
#: by :data:`SENSITIVE_KEY` afterwards, so the pattern itself never searches inside words.
_KEY_SEP = re.compile(r"(?<![\w-])([\w-]{1,128})(" + _SEP + ")")
#: The value after a sensitive name: an optional scheme, then up to a quote, a space or a
#: separator of fields.
_VALUE = re.compile(r"(?i)(?:" + _SCHEMES + r")?[^\s'\",}&;\\]+")
#: A scheme and its credential, wherever they stand.
_SCHEME_VALUE = re.compile(r"(?i)\b(bearer|basic)([ \t]{1,8})[A-Za-z0-9._~+/=-]{8,}")
#: Credentials recognisable by their shape alone: this service's own tokens, and JWTs (at the
#: start of a word; possessive, so a long word is scanned once).
TOKEN_SHAPES = re.compile(r"psb_(?:live|test)_[A-Za-z0-9]{8,}|(?<![\w-])eyJ[\w-]{8,}+\.[\w-]{8,}+\.[\w-]*+")
#: A run of text between spaces and quotes: a URL or a form body if it has percent-escapes.
_RUN = re.compile(r"[^\s'\"<>]+")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
#: A run of characters that could be base64 (standard or URL-safe) long enough to hide one.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")


def _ascii_text(data: bytes) -> str | None:
    """``data`` as text if nine in ten of its bytes are printable ASCII, else None."""
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in data)
    return data.decode("ascii", "replace") if data and printable >= 0.9 * len(data) else None


def _decodings(run: str) -> list[str]:
    """``run`` decoded as standard and as URL-safe base64, from each of its first four
    offsets, where the result is mostly printable text: a blob glued to the word before it
    still decodes correctly from the offset that matches its own start (the word's characters
    decode to a few garbage bytes)."""
    texts = []
    for offset in range(4):
        part = run[offset:]
        part = part[: len(part) - len(part) % 4]
        for altchars in (None, b"-_"):
            try:
                text = _ascii_text(base64.b64decode(part, altchars=altchars, validate=True))
            except (binascii.Error, ValueError):
                continue
            if text is not None:
                texts.append(text)
    return texts


def _redact_named(text: str) -> str:
    """Replace the value after every sensitive name (``password=``, ``"api_key": "``,
    ``X-Auth-Token:``, ``access_token%3D``)."""
    out, last = [], 0
    for key in _KEY_SEP.finditer(text):
        if key.start() < last or not SENSITIVE_KEY.search(key.group(1)):
            continue
        value = _VALUE.match(text, key.end())
        if value:
            out += [text[last:key.end()], REDACTED]
            last = value.end()
    return "".join(out) + text[last:]


def redact_text(text: str, depth: int = 2) -> str:
    """``text`` with every credential the patterns recognise replaced by ``[REDACTED]``.

    A run with percent-escapes, or one that decodes as base64 to text, whose decoded text
    holds a credential is replaced whole; ``depth`` bounds how many layers of encoding are
    looked into. Every pattern runs in time linear in the length of ``text`` (a logging call
    must not become a denial of service).
    """
    text = _HEADER.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _redact_named(text)
    text = _SCHEME_VALUE.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = TOKEN_SHAPES.sub(REDACTED, text)
    if depth:
        def unquote(match: re.Match[str]) -> str:
            run = match.group(0)
            if not _PERCENT_ESCAPE.search(run):
                return run
            inner = urllib.parse.unquote(run)
            return REDACTED if redact_text(inner, depth - 1) != inner else run

        text = _RUN.sub(unquote, text)

        def unwrap(match: re.Match[str]) -> str:
            for inner in _decodings(match.group(0).rstrip("=")):
                if redact_text(inner, depth - 1) != inner:
                    return REDACTED
            return match.group(0)

        text = _BASE64_RUN.sub(unwrap, text)
    return text


def redact_value(value: object, depth: int = 0, budget: list[int] | None = None) -> object:
    """``value`` with what is stored under a sensitive key, at any depth of mappings and
    sequences, replaced by ``[REDACTED]``; strings and other values are left to the text
    patterns. At most 32 levels and 10,000 containers are walked (``budget``); what lies
    beyond, such as a container that holds itself, is replaced."""
    budget = [10_000] if budget is None else budget
    if isinstance(value, (Mapping, list, tuple)):
        budget[0] -= 1
        if budget[0] < 0 or depth > 32:
            return REDACTED
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and SENSITIVE_KEY.search(k)
                else redact_value(v, depth + 1, budget) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [redact_value(v, depth + 1, budget) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    return value


#: The attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactSecretsFilter(logging.Filter):
    """Replace credentials in everything a record will write with ``[REDACTED]``.

    Before the message is formatted, values stored under a sensitive key (``Authorization``,
    ``Cookie``, ``password``, ``api_key``, ``session`` ...) in mapping arguments and in
    ``extra`` fields are replaced, whatever their shape. Then the formatted message, the
    traceback of ``exc_info`` and the ``stack_info`` are matched against names, the shapes
    of known tokens and base64 runs (:func:`redact_text`); the traceback is formatted here,
    redacted, and stored as the record's ``exc_text``, so no formatter prints the original.
    Attach it to a *handler*: a filter on a logger is not applied to records that
    propagate up from its child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):
            args = redact_value(args)  # type: ignore[assignment]
        elif isinstance(args, tuple):
            args = tuple(redact_value(a) for a in args)
        message = str(record.msg)
        if args:
            try:
                message = message % args
            except (TypeError, ValueError, KeyError):  # a filter must not raise
                message += " [arguments dropped: they do not fit the format]"
        record.msg, record.args = redact_text(message), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRIBUTES:
                continue
            if SENSITIVE_KEY.search(name):
                setattr(record, name, REDACTED)
            elif isinstance(value, str):
                setattr(record, name, redact_text(value))
            else:
                setattr(record, name, redact_value(value))
        return True


def make_handler_insecure(stream: io.StringIO) -> logging.Handler:
    """The application's log handler: everything logged is written as is."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def make_handler_first_try(stream: io.StringIO) -> logging.Handler:
    """A first fix: the application's log handler, with a filter that redacts two shapes of
    credential in the message."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(FirstTryRedactFilter())
    return handler


def make_handler_secure(stream: io.StringIO) -> logging.Handler:
    """The application's log handler, with a filter that redacts credentials.

    Assumes: credentials reach the log under a name the filter knows (a header, a field, a
    parameter), in a shape it knows (this service's ``psb_`` tokens, JWTs, a ``Bearer`` or
    ``Basic`` credential), or base64- or percent-encoded text holding one of these; and the
    filter is on every handler that writes somewhere others can read.
    Does not stop: a secret with no name and no known shape (another service's key logged
    on its own, a password typed into the user-name field); one encoded another way (hex,
    compressed, encrypted, split across records); one in an object whose ``repr`` the
    patterns do not parse; records written by handlers without the filter. It is a safety
    net: log identifiers, not whole requests, and keep secrets in types whose ``repr``
    hides them.
    """
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


#: A partner's API key: no prefix, no known shape; only its name gives it away.
PARTNER_KEY = "Zq7vR2mW9xLk4TfBh3Jd"  # made up for the demonstration


def _leak_outcome(make_handler: Callable[[io.StringIO], logging.Handler],
                  action: Callable[[logging.Logger], None], secrets: tuple[str, ...],
                  encodings: tuple[str, ...] = ()) -> Outcome:
    lines = capture_log(action, make_handler, name="api")
    text = "\n".join(lines)
    found = [s for s in (*secrets, *encodings) if s in text]
    # The traceback's frames name files on this machine; the records and the exception's
    # own line are what matter.
    shown = " | ".join(line for line in lines if not line.startswith((" ", "Traceback")))
    if found:
        return Outcome(True, f"the log holds {found[0][:40]!r}: {shown[:300]}")
    return Outcome(False, f"no credential in the log: {shown[:300]}")


def attack_exception(impl: Callable[..., object]) -> Outcome:
    """Make the upstream call fail: its exception's message holds the URL with the token,
    and ``logger.exception`` writes the traceback under the redacted message."""
    def action(logger: logging.Logger) -> None:
        try:
            raise PermissionError(f"401 from https://partner.example/v1/orders?access_token="
                                  f"{DEMO_TOKEN}")
        except PermissionError:
            logger.exception("upstream call failed")

    return _leak_outcome(impl, action, (DEMO_TOKEN,))  # type: ignore[arg-type]


def attack_unnamed_headers(impl: Callable[..., object]) -> Outcome:
    """Send the credential in headers the patterns do not name: a ``Cookie`` with a session,
    an ``Authorization`` with no scheme, and let the request dump write them."""
    request = {"method": "GET", "path": "/api/orders",
               "headers": {"Authorization": PARTNER_KEY, "Cookie": f"theme=dark; sid={DEMO_TOKEN}"}}
    return _leak_outcome(impl, lambda logger: log_request(logger, request),  # type: ignore[arg-type]
                         (PARTNER_KEY, DEMO_TOKEN))


def attack_name_elsewhere(impl: Callable[..., object]) -> Outcome:
    """Wait for code that logs the token with its name in another argument, or none at all:
    ``"%s header: %s"``, ``"credential for %s: %s"``."""
    def action(logger: logging.Logger) -> None:
        logger.info("%s header received: %s", "Authorization", f"Bearer {DEMO_TOKEN}")
        logger.info("credential for %s: %s", "alice", DEMO_TOKEN)

    return _leak_outcome(impl, action, (DEMO_TOKEN,))  # type: ignore[arg-type]


def encoded_leaks() -> dict[str, str]:
    """The partner's key as an application writes it when it logs an encoded copy: a JSON body
    inside JSON, a URL with the key percent-encoded in a parameter, the raw request in base64."""
    raw = f"POST /v1/orders HTTP/1.1\r\nHost: partner.example\r\nX-Api-Key: {PARTNER_KEY}\r\n\r\n"
    return {
        "JSON twice": json.dumps({"body": json.dumps({"api_key": PARTNER_KEY})}),
        "percent-encoded": "redirecting to /login?next=" + urllib.parse.quote(
            f"/export?api_key={PARTNER_KEY}", safe=""),
        "base64": base64.b64encode(raw.encode()).decode(),
    }


def attack_encoded(impl: Callable[..., object]) -> Outcome:
    """Look for the key in the encoded copies the application logs: JSON inside JSON,
    percent-encoded in a URL, the whole raw request in base64."""
    leaks = encoded_leaks()

    def action(logger: logging.Logger) -> None:
        for label, text in leaks.items():
            logger.info("%s: %s", label, text)

    return _leak_outcome(impl, action, (PARTNER_KEY,), (leaks["base64"],))  # type: ignore[arg-type]


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
        adapted=(
            AdaptedAttack("the token in an exception's message, written by logger.exception",
                          "variant", attack_exception, beats=make_handler_first_try),
            AdaptedAttack("a Cookie header and an Authorization header without a scheme",
                          "context", attack_unnamed_headers, beats=make_handler_first_try),
            AdaptedAttack("the token with its name in another argument, or with no name",
                          "variant", attack_name_elsewhere, beats=make_handler_first_try),
            AdaptedAttack("the key JSON-encoded twice, percent-encoded in a URL, in base64",
                          "encoding", attack_encoded, beats=make_handler_first_try),
        ),
    )
)
