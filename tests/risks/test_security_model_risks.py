"""Unit tests of the security-model chapter's risk modules, beyond the generic catalogue tests."""

from __future__ import annotations

import ast
import logging
import os

import pytest

from pysecbook.teaching import isolation
from pysecbook.teaching.risks import audit_hooks, debug_tracebacks, eval_sandbox, getattr_access
from pysecbook.teaching.risks import venv_boundary


# eval sandbox ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [("2 * (3 + 4) - 10 / 4", 11.5), ("-2 ** 3", -8), ("7 // 2 + 7 % 2", 4), ("1.5", 1.5)],
)
def test_secure_evaluator_computes_arithmetic(expression: str, value: float) -> None:
    assert eval_sandbox.evaluate_secure(expression) == value


@pytest.mark.parametrize(
    "expression",
    [
        eval_sandbox.ESCAPE,
        "().__class__",
        "__import__('os')",
        "open('x')",
        "'a' * 3",
        "[1, 2]",
        "x",
        "(lambda: 1)()",
    ],
)
def test_secure_evaluator_refuses_everything_else(expression: str) -> None:
    with pytest.raises(ValueError):
        eval_sandbox.evaluate_secure(expression)


def test_secure_evaluator_bounds_work() -> None:
    with pytest.raises(ValueError, match="exponent"):
        eval_sandbox.evaluate_secure("9 ** 9 ** 9")
    with pytest.raises(ValueError, match="too long"):
        eval_sandbox.evaluate_secure("1+" * 200 + "1")


def test_escape_uses_no_builtin_name() -> None:
    names = {n.id for n in ast.walk(ast.parse(eval_sandbox.ESCAPE, mode="eval")) if isinstance(n, ast.Name)}
    assert names == {"c"}  # only the comprehension's own variable


# getattr --------------------------------------------------------------------------------


def test_getattr_reads_public_fields_both_ways() -> None:
    invoice = getattr_access.Invoice("1", "ACME", 3.0)
    for func in (getattr_access.read_field_insecure, getattr_access.read_field_secure):
        assert func(invoice, "customer") == "ACME"


def test_getattr_runs_a_property_with_a_side_effect() -> None:
    assert getattr_access.side_effect_demo(getattr_access.read_field_insecure) == (
        "paid",
        ["marked paid"],
    )
    value, events = getattr_access.side_effect_demo(getattr_access.read_field_secure)
    assert events == [] and "PermissionError" in str(value)


@pytest.mark.parametrize("path", ["__class__", "__dict__", "events", "mark_paid", "total.real"])
def test_getattr_allowlist_refuses(path: str) -> None:
    with pytest.raises(PermissionError):
        getattr_access.read_field_secure(getattr_access.Invoice("1", "A", 1.0), path)


# debug tracebacks -----------------------------------------------------------------------


def test_debug_handlers_agree_on_good_requests() -> None:
    for func in (debug_tracebacks.handle_insecure, debug_tracebacks.handle_secure):
        status, body = func({"amount": "1250"})
        assert status == 200 and "1250" in body


def test_secure_handler_logs_detail_server_side_without_locals() -> None:
    with debug_tracebacks.captured_log() as records:
        status, body = debug_tracebacks.handle_secure(dict(debug_tracebacks.MALFORMED))
    assert status == 500
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    incident = body.split("incident ")[1].split()[0]
    text = debug_tracebacks.format_record(records[0])
    assert incident in text and "ValueError" in text and "Traceback" in text
    assert debug_tracebacks.PAYMENT_API_KEY not in text
    assert "Traceback" not in body


# venv -----------------------------------------------------------------------------------


def test_venv_changes_prefix_and_site_packages() -> None:
    info = venv_boundary.what_a_venv_changes()
    assert info["sys.prefix"] == "<tmp>/venv"
    assert info["site-packages"].startswith("<tmp>/venv/")
    assert "<tmp>" not in info["sys.base_prefix"]


def test_venv_file_system_is_reachable_either_way() -> None:
    for func in (venv_boundary.run_tool_insecure, venv_boundary.run_tool_secure):
        seen, _token, secret_file = venv_boundary.run_spy(func)
        assert seen.file_outside_venv == secret_file
        assert seen.prefix == "venv"
    assert venv_boundary.PLANTED_NAME not in os.environ


# isolation ------------------------------------------------------------------------------


def test_isolation_stops_env_timeout_cpu_and_memory() -> None:
    assert not isolation.environment_seen_by_child().child_got_it
    assert "PSB_PARENT_SECRET" not in os.environ
    timeout = isolation.wall_clock_timeout(0.5)
    assert not timeout.child_got_it and "timeout" in timeout.detail
    cpu = isolation.cpu_limit(1)
    assert not cpu.child_got_it and "SIG" in cpu.detail
    memory = isolation.memory_limit()
    assert not memory.child_got_it and "MemoryError" in memory.detail


def test_isolation_does_not_stop_files_or_sockets() -> None:
    assert isolation.file_outside_cwd().child_got_it
    assert isolation.loopback_socket().child_got_it


# audit hooks ----------------------------------------------------------------------------


def test_audit_hook_sees_each_watched_event() -> None:
    report = audit_hooks.monitor_busy_snippet()
    assert report.error is None
    events = {event for event, _ in report.events}
    assert {"open", "subprocess.Popen", "socket.connect", "exec", "import"} <= events
    assert ("open", "note.txt") in report.events
    assert ("import", "colorsys") in report.events


def test_audit_policy_blocks_open_but_not_ctypes() -> None:
    blocked, bypassed = audit_hooks.bypass_open_policy("psb-canary-x")
    assert blocked.error and "PermissionError" in blocked.error
    assert "psb-canary-x" not in blocked.printed
    assert bypassed.error is None
    assert "psb-canary-x" in bypassed.printed
    assert not any(event == "open" and "secret" in detail for event, detail in bypassed.events)
    assert ("ctypes.dlsym", "open") in bypassed.events
