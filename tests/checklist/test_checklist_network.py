"""Opt-in: the checklist against real services (``pytest --run-network``; never in make test).

Every other test of C3 creates its service on 127.0.0.1. This one asks pip-audit's default
service about a pin with published advisories, to show the loopback tests model a real answer.
"""

from __future__ import annotations

import pytest

from pysecbook.checker.checklist.audit import audit_pins

pytestmark = pytest.mark.network


def test_pip_audit_default_service_knows_an_old_jinja2() -> None:
    result = audit_pins([("jinja2", "3.1.4")])
    assert result.status == "fail", result
    assert any(d.startswith("jinja2 3.1.4: ") for d in result.details)
