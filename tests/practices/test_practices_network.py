"""Network services (book/practices/network): binding, timeouts, http.server."""

from __future__ import annotations

import ipaddress

import pytest
from hermetic import network_namespace_refusal

from pysecbook.teaching.risks import http_server as hs
from pysecbook.teaching.risks import network_binding as nb
from pysecbook.teaching.risks import timeouts


def test_listeners_bind_where_they_say() -> None:
    for impl, loopback in ((nb.open_listener_insecure, False), (nb.open_listener_secure, True)):
        result = nb.probe(impl)
        assert ipaddress.ip_address(str(result["host"])).is_loopback is loopback, result


def test_the_wildcard_listener_is_only_ever_bound_inside_a_private_namespace() -> None:
    """Where the kernel allows a private network namespace, the demonstration is a real bind
    of every interface inside it, and a connection through another address is accepted."""
    refusal = network_namespace_refusal()
    if refusal:
        pytest.skip(refusal)
    result = nb.probe(nb.open_listener_insecure)
    assert result["isolated"] is True, result
    assert result["accepted"] is True


def test_without_a_namespace_nothing_is_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kernel refuses the namespace, the child records what the code asks for and
    binds nothing: the refusal is created here by making ``unshare`` fail in the child."""
    monkeypatch.setattr(nb, "_PROBE", nb._PROBE.replace(
        "enter_private_network()\n", "raise PermissionError(1, 'refused by the test')\n", 1))
    insecure, secure = nb.probe(nb.open_listener_insecure), nb.probe(nb.open_listener_secure)
    assert insecure["isolated"] is False and insecure["why"] == "[Errno 1] refused by the test"
    assert ipaddress.ip_address(insecure["host"]).is_unspecified
    assert secure["isolated"] is False and secure["host"] == "127.0.0.1"
    exposed, kept = nb.attack(nb.open_listener_insecure), nb.attack(nb.open_listener_secure)
    assert exposed.attack_succeeded and f"asked to bind {insecure['host']} " in exposed.observed
    assert not kept.attack_succeeded and "nothing was bound" in kept.observed

def test_secure_fetch_times_out_quickly() -> None:
    with timeouts.silent_server() as (host, port):
        hanging, what, elapsed = timeouts.call_with_watchdog(timeouts.fetch_status_secure,
                                                             host, port)
    assert not hanging and "TimeoutError" in what and elapsed < 1.5


def test_allowlist_handler() -> None:
    insecure = hs.probe(hs.make_handler_insecure)
    secure = hs.probe(hs.make_handler_secure)
    assert insecure["/.env"][0] == 200 and ".env" in insecure["/"][1]
    assert {p: s for p, (s, _) in secure.items()} == {
        "/": 200, "/.env": 404, "/.git/config": 404, "/app.py": 404, "/index.html": 200}


def test_allowlist_handler_refuses_encoded_dotfile() -> None:
    with hs.serving(hs.make_handler_secure) as (host, port):
        assert hs.get(host, port, "/%2eenv")[0] == 404
        assert hs.get(host, port, "/../.env")[0] == 404
