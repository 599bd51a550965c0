"""Logging (book/practices/logging): injection, redaction and the config listener."""

from __future__ import annotations

import logging

from pysecbook.teaching.risks import log_injection as li
from pysecbook.teaching.risks import log_redaction as lr
from pysecbook.teaching.risks import logging_listener as ll


def test_escaping_formatter_neutralises_the_insecure_call() -> None:
    lines = li.capture_log(lambda log: li.record_failed_login_insecure(log, li.FORGED_USERNAME),
                           li.escaping_handler)
    assert len(lines) == 1
    assert "\\n" in lines[0]


def test_escaping_formatter_escapes_carriage_return_and_escape() -> None:
    lines = li.capture_log(lambda log: log.warning("a\rb\x1b[31mc"), li.escaping_handler)
    assert lines == ["WARNING auth: a\\rb\\x1b[31mc"]


def test_capture_log_does_not_reach_the_root_logger(caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG):
        li.capture_log(lambda log: log.warning("private"))
    assert "private" not in caplog.text


def test_redaction_filter_patterns() -> None:
    cases = {
        "login with password=hunter2 failed": "hunter2",
        "token: abc123 expired": "abc123",
        "Authorization: Bearer xyz.abc": "xyz.abc",
        "api_key=K-42&x=1": "K-42",
    }
    for message, secret in cases.items():
        lines = lr.capture_log(lambda log, m=message: log.info(m), lr.make_handler_secure)
        assert secret not in lines[0] and "[REDACTED]" in lines[0], lines


def test_redaction_filter_leaves_ordinary_messages_alone() -> None:
    lines = lr.capture_log(lambda log: log.info("%d orders shipped", 3), lr.make_handler_secure)
    assert lines == ["INFO auth: 3 orders shipped"]


def test_verify_rejects_unsigned_and_wrongly_signed_payloads(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ll.KEY_ENV, "k1")
    body = b'{"version": 1}'
    assert ll.verify_signed_config(body) is None
    assert ll.verify_signed_config(ll.sign(body, "other")) is None
    assert ll.verify_signed_config(ll.sign(body, "k1")) == body
    monkeypatch.delenv(ll.KEY_ENV)
    assert ll.verify_signed_config(ll.sign(body, "k1")) is None


def test_signed_config_is_applied_by_the_secure_listener() -> None:
    report = ll.run_scenario(ll.start_listener_secure, signed_by_admin=True)
    assert report["code_ran"] is True


# --- The escaping formatter: every line break, every field, tracebacks --------------------

import pytest  # noqa: E402


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
                                 "\r\n"])
def test_escaping_formatter_escapes_every_line_break(brk: str) -> None:
    """The bypass from the review: a user name with U+2028 (or any other character that
    str.splitlines breaks on) forged a record through the old formatter, which escaped C0
    controls and DEL only."""
    name = f"mallory{brk}{li.FORGED_LINE}"
    lines = li.capture_log(lambda log: li.record_failed_login_insecure(log, name), li.escaping_handler)
    assert len(lines) == 1 and li.FORGED_LINE not in lines, lines
    assert lines[0].isprintable()


def test_escaping_formatter_escapes_format_and_c1_characters() -> None:
    name = "ad\u200bmin \u202enimda\u202c \x9b2K \ud800 \ufeff"
    lines = li.capture_log(lambda log: log.warning("user %s", name), li.escaping_handler)
    assert lines == ["WARNING auth: user ad\\u200bmin \\u202enimda\\u202c \\x9b2K \\ud800 \\ufeff"]


def test_escaping_formatter_escapes_extra_fields() -> None:
    formatter = li.ControlCharEscapingFormatter(li.LOG_FORMAT + " client=%(client)s")
    lines = li.capture_log(lambda log: log.warning("hello", extra={"client": "x\n" + li.FORGED_LINE}),
                           lambda stream: li.plain_handler(stream, formatter))
    assert lines == [f"WARNING auth: hello client=x\\n{li.FORGED_LINE}"]


def test_escaping_formatter_marks_traceback_lines_as_continuations() -> None:
    """An exception's message is data too: with the old formatter its newline started a line
    that read exactly like a record."""
    def action(log: logging.Logger) -> None:
        try:
            raise ValueError("bad user mallory\n" + li.FORGED_LINE)
        except ValueError:
            log.exception("login failed")

    lines = li.capture_log(action, li.escaping_handler)
    assert lines[0] == "ERROR auth: login failed"
    assert all(line.startswith(li.ControlCharEscapingFormatter.CONTINUATION) for line in lines[1:])
    assert li.FORGED_LINE not in lines
    assert f"  | {li.FORGED_LINE}" in lines


def test_escaping_formatter_ignores_a_traceback_cached_by_another_handler() -> None:
    """``Formatter.format`` caches the traceback on the record; a plain handler that runs
    first must not hand the escaping one its unmarked text."""
    import io

    plain, escaped = io.StringIO(), io.StringIO()
    logger = logging.getLogger("pysecbook.demo.cached")
    logger.handlers[:] = [li.plain_handler(plain), li.plain_handler(
        escaped, li.ControlCharEscapingFormatter(li.LOG_FORMAT))]
    logger.propagate = False
    try:
        try:
            raise ValueError("x\n" + li.FORGED_LINE)
        except ValueError:
            logger.exception("failed")
    finally:
        logger.handlers[:] = []
    assert li.FORGED_LINE in plain.getvalue().splitlines()
    assert li.FORGED_LINE not in escaped.getvalue().splitlines()


def test_escaping_formatter_keeps_printable_text() -> None:
    lines = li.capture_log(lambda log: log.warning("café 東京 ✓ a\\nb"), li.escaping_handler)
    assert lines == ["WARNING auth: café 東京 ✓ a\\nb"]


# --- Redaction -----------------------------------------------------------------------------


def test_redaction_never_raises_from_the_filter() -> None:
    """A filter runs outside the handler's error handling: a format that does not fit its
    arguments must not turn a log call into an exception."""
    lines = lr.capture_log(lambda log: log.info("%d items, token=%s", "x"), lr.make_handler_secure)
    assert lines == ["INFO auth: %d items, token=[REDACTED] [arguments dropped: they do not fit "
                     "the format]"]


def test_redaction_covers_extra_fields_and_stack_info() -> None:
    record = logging.makeLogRecord({"msg": "call", "headers": {"Cookie": "sid=abc123def"},
                                    "note": "password=hunter2", "stack_info": "token: t0k3n"})
    lr.RedactSecretsFilter().filter(record)
    assert record.headers == {"Cookie": "[REDACTED]"}  # type: ignore[attr-defined]
    assert record.note == "password=[REDACTED]"  # type: ignore[attr-defined]
    assert record.stack_info == "token: [REDACTED]"


# --- The listener's verify ------------------------------------------------------------------


def test_secure_verify_accepts_a_fresh_configuration_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ll.KEY_ENV, ll.DEMO_KEY)
    verify = ll.SignedConfigVerifier(ll.SERVICE)
    body = b'{"version": 1}'
    signed = ll.sign_config(body, ll.DEMO_KEY)
    assert verify(signed) == body
    assert verify(signed) is None  # the same bytes again
    assert verify(ll.sign(body, ll.DEMO_KEY)) is None  # the first try's format
    assert verify(ll.sign_config(body, ll.DEMO_KEY, ll.OTHER_SERVICE)) is None
    assert verify(ll.sign_config(body, "another key")) is None
    monkeypatch.delenv(ll.KEY_ENV)
    assert verify(ll.sign_config(body, ll.DEMO_KEY)) is None


def test_secure_verify_refuses_stale_and_future_and_older_configurations(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ll.KEY_ENV, ll.DEMO_KEY)
    now = ll.time.time_ns()
    verify = ll.SignedConfigVerifier(ll.SERVICE, max_age=60, skew=5)
    assert verify(ll.sign_config(b"old", ll.DEMO_KEY, signed_ns=now - 61 * 10**9)) is None
    assert verify(ll.sign_config(b"future", ll.DEMO_KEY, signed_ns=now + 6 * 10**9)) is None
    assert verify(ll.sign_config(b"second", ll.DEMO_KEY, signed_ns=now - 10**9)) == b"second"
    assert verify(ll.sign_config(b"first", ll.DEMO_KEY, signed_ns=now - 2 * 10**9)) is None


def test_secure_verify_accepts_one_of_many_simultaneous_replays(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The listener runs one thread per connection: eight copies of one configuration
    arriving at once are applied once."""
    import threading

    monkeypatch.setenv(ll.KEY_ENV, ll.DEMO_KEY)
    verify = ll.SignedConfigVerifier(ll.SERVICE)
    signed = ll.sign_config(b"cfg", ll.DEMO_KEY)
    start = threading.Barrier(8)
    results: list[bytes | None] = []

    def worker() -> None:
        start.wait()
        results.append(verify(signed))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=lambda r: r is None) == [b"cfg"] + [None] * 7


@pytest.mark.parametrize("text", ["token" * 20_000, "eyJ" * 33_000, "a=" * 50_000,
                                  "%41" * 33_000, "a" * 100_000, "token" + " " * 100_000 + "=x"])
def test_redaction_takes_time_linear_in_the_message(text: str) -> None:
    """A user-controlled value in a log line must not make the filter backtrack: an earlier
    version took minutes on 'token' repeated 800 times (the name pattern searched inside
    words). 100,000 characters take well under a second now. Measured in CPU time of this
    process, which other work on shared cores does not inflate, with a generous bound."""
    import time

    start = time.process_time()
    lr.redact_text(text)
    assert time.process_time() - start < 5.0


def test_redaction_survives_a_container_that_holds_itself() -> None:
    loop: list[object] = ["password=hunter2"]
    loop.append(loop)
    loop.append(loop)
    lines = lr.capture_log(lambda log: log.info("state %s", {"items": loop}), lr.make_handler_secure)
    assert len(lines) == 1 and "hunter2" not in lines[0]
