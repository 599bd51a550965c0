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
