"""``logging.config.listen()``: a socket that accepts code.

``logging.config.listen()`` starts a thread that accepts new logging configurations over
TCP. A configuration in the old ``fileConfig`` (ini) format has its ``class``, ``args`` and
``kwargs`` values passed to ``eval``; one in the ``dictConfig`` (JSON) format can name any
importable callable as a factory. Without a ``verify`` callable, anyone who can connect to
the port runs code in the process, and can quietly switch off its logging.

A signature alone is not enough either. A configuration the operators signed once can be
sent again by whoever saw it go past (a replay), and one signed for the staging service is
just as valid for production when both share the key. The secure ``verify`` signs the
service's name and the time with the configuration, and accepts only a configuration newer
than the last one it applied.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import ast
import contextlib
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
import time
from pathlib import Path

from pysecbook.lab.child import call_in_child
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Environment variable that holds the key configurations must be signed with.
KEY_ENV = "LOGGING_CONFIG_KEY"

#: The service whose listener the demonstration runs, and another one that shares its key.
SERVICE = "orders-api"
OTHER_SERVICE = "orders-api-staging"

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


#: What the operations team sends during a migration: everything quiet, and since ``audit``
#: is not named, ``fileConfig`` disables it. A configuration they signed and sent once.
QUIET_CONFIG = """\
[loggers]
keys=root

[handlers]
keys=

[formatters]
keys=

[logger_root]
level=CRITICAL
handlers=
"""

#: What they send afterwards: normal levels, ``audit`` named and so enabled again.
RESTORE_CONFIG = """\
[loggers]
keys=root,audit

[handlers]
keys=

[formatters]
keys=

[logger_root]
level=WARNING
handlers=

[logger_audit]
level=INFO
handlers=
qualname=audit
"""

CONFIGS = {"attack": ATTACK_CONFIG, "quiet": QUIET_CONFIG, "restore": RESTORE_CONFIG}


def verify_signed_config(payload: bytes) -> bytes | None:
    """A first fix: accept ``payload`` only if it starts with a valid HMAC-SHA256 of the rest.

    Returning ``None`` tells the listener to discard the configuration. With no key
    configured, nothing is accepted. Kept to show the adapted attacks beating it: the MAC
    says who signed the bytes, not when, nor for which service, so any configuration the
    operators ever signed can be sent again, to this process or to any other that has the key.
    """
    key = os.environ.get(KEY_ENV, "").encode()
    mac, body = payload[:32], payload[32:]
    if not key or len(mac) != 32:
        return None
    expected = hmac.new(key, body, hashlib.sha256).digest()
    return body if hmac.compare_digest(mac, expected) else None


def start_listener_first_try(port: int = 0) -> threading.Thread:
    """A first fix: accept only configurations that carry an HMAC under ``LOGGING_CONFIG_KEY``."""
    listener = logging.config.listen(port, verify=verify_signed_config)
    listener.start()
    return listener


def _signed_part(service: str, stamp: bytes, body: bytes) -> bytes:
    """What the MAC covers: a label, the service's name (length-prefixed), the time, the body."""
    name = service.encode()
    return b"logging-config-v1\0" + struct.pack(">H", len(name)) + name + stamp + body


class SignedConfigVerifier:
    """A ``verify`` callable for :func:`logging.config.listen`.

    It accepts a configuration only if it is signed with the key in ``LOGGING_CONFIG_KEY``
    for this ``service``, was signed less than ``max_age`` seconds ago (and not in the
    future, beyond ``skew``), and is newer than the last configuration this verifier
    accepted. The payload is ``MAC (32 bytes) | signing time (8 bytes, ns) | body``; the MAC
    covers the service's name, the time and the body (:func:`sign_config` makes one).
    """

    def __init__(self, service: str, max_age: float = 60.0, skew: float = 5.0) -> None:
        self.service = service
        self.max_age_ns, self.skew_ns = int(max_age * 1e9), int(skew * 1e9)
        self._last_ns = 0
        self._lock = threading.Lock()  # the listener runs one thread per connection

    def __call__(self, payload: bytes) -> bytes | None:
        key = os.environ.get(KEY_ENV, "").encode()
        if not key or len(payload) < 40:
            return None
        mac, stamp, body = payload[:32], payload[32:40], payload[40:]
        expected = hmac.new(key, _signed_part(self.service, stamp, body), hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        signed_ns, now_ns = struct.unpack(">Q", stamp)[0], time.time_ns()
        if not now_ns - self.max_age_ns <= signed_ns <= now_ns + self.skew_ns:
            return None
        with self._lock:
            if signed_ns <= self._last_ns:
                return None
            self._last_ns = signed_ns
        return body


def start_listener_secure(port: int = 0, service: str = SERVICE) -> threading.Thread:
    """Accept only configurations signed with the key in ``LOGGING_CONFIG_KEY``, for this
    service, recently, and newer than the last one applied.

    Assumes: the key is at least 32 random bytes, held only by people who may run code in
    this process (a signed ini configuration is evaluated just like an unsigned one), and
    each service or environment that must not accept the others' configurations has its own
    name; the signer's clock and this host's agree to within a few seconds.
    Does not stop: whoever holds the key; a captured configuration sent, within ``max_age``
    of its signing, to a process that restarted since or to another replica of the same
    service (the last accepted time lives in each process's memory); the listener's own
    unauthenticated part, which reads the whole payload (up to 4 GiB, as its length field
    says) before ``verify`` sees it and keeps a thread for every connection that never
    finishes; any local user connecting, since it listens on ``localhost``.
    """
    listener = logging.config.listen(port, verify=SignedConfigVerifier(service))
    listener.start()
    return listener


def sign(body: bytes, key: str) -> bytes:
    """Prefix ``body`` with its HMAC-SHA256 under ``key``, as ``verify_signed_config`` expects."""
    return hmac.new(key.encode(), body, hashlib.sha256).digest() + body


def sign_config(body: bytes, key: str, service: str = SERVICE,
                signed_ns: int | None = None) -> bytes:
    """``body`` signed for ``service`` at ``signed_ns`` (now if not given), as
    :class:`SignedConfigVerifier` expects."""
    stamp = struct.pack(">Q", time.time_ns() if signed_ns is None else signed_ns)
    return hmac.new(key.encode(), _signed_part(service, stamp, body), hashlib.sha256).digest() \
        + stamp + body


def send_config(port: int, config: str, key: str = "") -> None:
    """Send ``config`` to a listener on 127.0.0.1, signed if a ``key`` is given."""
    body = config.encode()
    payload = sign(body, key) if key else body
    send_payload(port, payload)


def send_payload(port: int, payload: bytes) -> None:
    """Send ``payload`` to a listener on 127.0.0.1, framed as the listener expects."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(struct.pack(">L", len(payload)) + payload)


def operator_payload(impl_name: str, config: str, key: str, service: str = SERVICE,
                     seconds_ago: float = 0.0) -> bytes:
    """``config`` as the operations team's signing tool sends it to the listener
    ``impl_name``: in the secure listener's format (service and time signed) for the secure
    one, a plain MAC for the others."""
    body = config.encode()
    if impl_name == "start_listener_secure":
        return sign_config(body, key, service, time.time_ns() - int(seconds_ago * 1e9))
    return sign(body, key)


def listener_scenario(impl_ref: str, sends: list[list[str]] | None = None,
                      sign_key: str = "") -> dict[str, object]:
    """Run in a child interpreter: start the listener ``impl_ref``, send it configurations
    and report what changed.

    ``sends`` lists what goes over the wire, in order, each as ``[config, how]``: ``config``
    is a key of :data:`CONFIGS`; ``how`` is ``"unsigned"``, ``"signed"`` (by the operations
    team, for this service, ``seconds`` ago as a third item if given), ``"staging"`` (signed
    by them for :data:`OTHER_SERVICE`) or ``"replay N"`` (the exact bytes of send N again).
    Without ``sends``: the attacker's configuration, signed with ``sign_key`` if given. A
    child, because an accepted configuration replaces the whole process's logging.
    """
    module_name, _, name = impl_ref.partition(":")
    impl = getattr(importlib.import_module(module_name), name)
    key = os.environ.get(KEY_ENV, "")
    if sends is None:
        sends = [["attack", "signed" if sign_key else "unsigned"]]
    audit = logging.getLogger("audit")
    audit.addHandler(logging.StreamHandler(io.StringIO()))
    listener = impl(0)
    if not listener.ready.wait(5):
        return {"error": "listener did not start"}
    port = listener.port
    sent: list[bytes] = []
    audit_disabled: list[bool] = []
    for config, how, *seconds in sends:
        body = CONFIGS[config]
        if how == "unsigned":
            payload = body.encode()
        elif how == "signed":
            payload = operator_payload(name, body, key, SERVICE, float(*seconds or [0]))
        elif how == "staging":
            payload = operator_payload(name, body, key, OTHER_SERVICE)
        else:
            payload = sent[int(how.split()[1])]
        sent.append(payload)
        listener.ready.clear()
        send_payload(port, payload)
        if not listener.ready.wait(5):
            return {"error": f"the listener did not handle send {len(sent) - 1}"}
        audit_disabled.append(bool(audit.disabled))
    logging.config.stopListening()
    # The listener notices the stop only between two select() calls of one second each; an
    # empty connection wakes it at once (it reads no length and applies nothing). If its
    # select() returned in between, it has closed already and refuses the connection.
    with contextlib.suppress(ConnectionRefusedError), \
            socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    listener.join(5)
    return {
        "port": port,
        "handled": len(audit_disabled),
        "code_ran": Path(MARKER).exists(),
        "audit_logger_disabled": bool(audit.disabled),
        "audit_disabled_after_each": audit_disabled,
    }


#: The signing key of the demonstration's operations team; the child has it configured.
DEMO_KEY = "demo-key-held-by-the-operations-team"  # a demo key, used in child processes only


def run_scenario(impl: object, *, signed_by_admin: bool = False,
                 sends: list[list[str]] | None = None) -> dict[str, object]:
    """Run :func:`listener_scenario` for ``impl`` in a child and return its report.

    The child has a signing key configured; the attacker does not know it, so the
    configuration is sent unsigned unless ``signed_by_admin`` (or ``sends`` says otherwise).
    """
    ref = f"{impl.__module__}:{impl.__qualname__}"  # type: ignore[attr-defined]
    if sends is None:
        sends = [["attack", "signed" if signed_by_admin else "unsigned"]]
    result = call_in_child(listener_scenario, ref, sends, env={KEY_ENV: DEMO_KEY}, timeout=20)
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


def attack_replay(impl: object) -> Outcome:
    """Record the 'quiet' configuration the operators signed and sent during a migration, wait
    until they have sent the normal one, and send the recorded bytes again."""
    report = run_scenario(impl, sends=[["quiet", "signed", "2"], ["restore", "signed", "1"],
                                       ["quiet", "replay 0"]])
    if "error" in report:
        return Outcome(False, f"scenario failed: {report['error']}")
    states = report["audit_disabled_after_each"]
    if report["audit_logger_disabled"]:
        return Outcome(True, f"the replayed configuration was applied: 'audit' disabled again "
                             f"(disabled after each send: {states})")
    return Outcome(False, f"the replay was discarded: 'audit' still enabled (disabled after "
                          f"each send: {states})")


def attack_other_service(impl: object) -> Outcome:
    """Send production a configuration the operators signed for the staging service, which
    shares the key."""
    report = run_scenario(impl, sends=[["quiet", "staging"]])
    if "error" in report:
        return Outcome(False, f"scenario failed: {report['error']}")
    if report["audit_logger_disabled"]:
        return Outcome(True, f"a configuration signed for {OTHER_SERVICE} was applied to "
                             f"{SERVICE}: 'audit' disabled")
    return Outcome(False, f"the configuration signed for {OTHER_SERVICE} was discarded: "
                          "'audit' still enabled")


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
        adapted=(
            AdaptedAttack("replay a configuration the operators signed and sent earlier",
                          "crypto", attack_replay, beats=start_listener_first_try),
            AdaptedAttack("send production a configuration signed for staging, which shares "
                          "the key", "crypto", attack_other_service,
                          beats=start_listener_first_try),
        ),
    )
)
