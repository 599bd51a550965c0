"""``logging.config.listen()``: a socket that accepts code.

``logging.config.listen()`` starts a thread that accepts new logging configurations over
TCP. A configuration in the old ``fileConfig`` (ini) format has its ``class``, ``args`` and
``kwargs`` values passed to ``eval``; one in the ``dictConfig`` (JSON) format can name any
importable callable as a factory. Without a ``verify`` callable, anyone who can connect to
the port runs code in the process, and can quietly switch off its logging.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import importlib
import io
import logging
import logging.config
import os
import socket
import struct
import threading
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import call_in_child

#: Environment variable that holds the key configurations must be signed with.
KEY_ENV = "LOGGING_CONFIG_KEY"

#: The file the attacker's expression writes, relative to the listener's working directory.
MARKER = "listener-was-here.txt"

#: An ini-format configuration; the ``args`` line is evaluated by ``fileConfig``.
ATTACK_CONFIG = f"""\
[loggers]
keys=root

[handlers]
keys=quiet

[formatters]
keys=

[logger_root]
level=CRITICAL
handlers=quiet

[handler_quiet]
class=StreamHandler
args=(__import__('pathlib').Path({MARKER!r}).write_text('attacker code ran') and sys.stderr,)
"""


def start_listener_insecure(port: int = 0) -> threading.Thread:
    """Accept new logging configurations from anyone who can connect to ``port``."""
    listener = logging.config.listen(port)  # nosec B612 - deliberately insecure: demonstration of PSB-LOG-CONFIG-LISTEN
    listener.start()
    return listener


def verify_signed_config(payload: bytes) -> bytes | None:
    """Accept ``payload`` only if it starts with a valid HMAC-SHA256 of the rest.

    Returning ``None`` tells the listener to discard the configuration. With no key
    configured, nothing is accepted.
    """
    key = os.environ.get(KEY_ENV, "").encode()
    mac, body = payload[:32], payload[32:]
    if not key or len(mac) != 32:
        return None
    expected = hmac.new(key, body, hashlib.sha256).digest()
    return body if hmac.compare_digest(mac, expected) else None


def start_listener_secure(port: int = 0) -> threading.Thread:
    """Accept only configurations signed with the key in ``LOGGING_CONFIG_KEY``."""
    listener = logging.config.listen(port, verify=verify_signed_config)
    listener.start()
    return listener


def sign(body: bytes, key: str) -> bytes:
    """Prefix ``body`` with its HMAC-SHA256 under ``key``, as ``verify_signed_config`` expects."""
    return hmac.new(key.encode(), body, hashlib.sha256).digest() + body


def send_config(port: int, config: str, key: str = "") -> None:
    """Send ``config`` to a listener on 127.0.0.1, signed if a ``key`` is given."""
    body = config.encode()
    payload = sign(body, key) if key else body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(struct.pack(">L", len(payload)) + payload)


def listener_scenario(impl_ref: str, sign_key: str = "") -> dict[str, object]:
    """Run in a child interpreter: start the listener ``impl_ref``, send it the attacker's
    configuration (signed with ``sign_key`` if given) and report what changed.

    A child, because an accepted configuration replaces the whole process's logging.
    """
    module_name, _, name = impl_ref.partition(":")
    impl = getattr(importlib.import_module(module_name), name)
    audit = logging.getLogger("audit")
    audit.addHandler(logging.StreamHandler(io.StringIO()))
    listener = impl(0)
    if not listener.ready.wait(5):
        return {"error": "listener did not start"}
    port = listener.port
    listener.ready.clear()
    send_config(port, ATTACK_CONFIG, sign_key)
    handled = listener.ready.wait(5)
    logging.config.stopListening()
    # The listener notices the stop only between two select() calls of one second each; an
    # empty connection wakes it at once (it reads no length and applies nothing).
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    listener.join(5)
    return {
        "port": port,
        "handled": handled,
        "code_ran": Path(MARKER).exists(),
        "audit_logger_disabled": audit.disabled,
    }


def run_scenario(impl: object, *, signed_by_admin: bool = False) -> dict[str, object]:
    """Run :func:`listener_scenario` for ``impl`` in a child and return its report.

    The child has a signing key configured; the attacker does not know it, so the
    configuration is sent unsigned unless ``signed_by_admin``.
    """
    key = "demo-key-held-by-the-operations-team"  # nosec B105 - demo key, child process only
    ref = f"{impl.__module__}:{impl.__qualname__}"  # type: ignore[attr-defined]
    result = call_in_child(listener_scenario, ref, key if signed_by_admin else "",
                           env={KEY_ENV: key}, timeout=20)
    if result.returned is None:
        return {"error": str(result)}
    report = ast.literal_eval(result.returned)
    assert isinstance(report, dict)  # noqa: S101 - listener_scenario returns a dict
    return report


def attack(impl: object) -> Outcome:
    """Anyone on the host sends an unsigned ini configuration to the listener's port."""
    report = run_scenario(impl)
    if "error" in report:
        return Outcome(False, f"scenario failed: {report['error']}")
    succeeded = bool(report["code_ran"] or report["audit_logger_disabled"])
    if succeeded:
        observed = (f"unsigned config sent to 127.0.0.1:{report['port']}: the attacker's "
                    f"expression ran (wrote {MARKER}: {report['code_ran']}), "
                    f"'audit' logger disabled: {report['audit_logger_disabled']}")
    else:
        observed = (f"unsigned config sent to 127.0.0.1:{report['port']} was discarded by "
                    f"verify: no code ran, 'audit' logger still enabled")
    return Outcome(succeeded, observed)


register(
    Risk(
        id="PSB-LOG-CONFIG-LISTEN",
        title="logging.config.listen() without verify",
        summary="The logging configuration listener evaluates what it receives; without a "
        "verify callable, anyone who can connect runs code and can silence the logs.",
        cwe=94,
        bandit=("B612",),
        modules=("logging", "logging.config"),
        page="practices/logging",
        insecure=start_listener_insecure,
        secure=start_listener_secure,
        attack=attack,
    )
)
