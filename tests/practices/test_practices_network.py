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

@pytest.mark.timeout(60)
def test_secure_fetch_gives_up_on_a_silent_server() -> None:
    """The silent server holds the connection until the block ends and never answers: the
    only way out of the call is the client's own timeout. Nothing is timed here; a call that
    hung would be stopped by the test's time-out guard, and fail."""
    with timeouts.silent_server() as (host, port):
        with pytest.raises(TimeoutError):
            timeouts.fetch_status_secure(host, port)


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


# --- The configured host of the secure listener ---------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_accepted(host: str) -> None:
    assert nb.loopback_address(host).is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "::ffff:127.0.0.1"])
def test_secure_listener_binds_the_parsed_ipv4_loopback_address(host: str) -> None:
    sock = nb.open_listener_secure(0, host)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


@pytest.mark.parametrize("host", ["", "0", "0x0", "0.0", "000.000.000.000", "::", "::0",
                                  "::ffff:0.0.0.0", "::ffff:0:0", "0.0.0.0", "10.0.0.1",
                                  "localhost", "::1%lo", "::127.0.0.1", "127.0.0.1 ",
                                  b"127.0.0.1"])
def test_secure_listener_refuses_anything_but_a_literal_loopback_address(host: object) -> None:
    with pytest.raises(ValueError):
        nb.open_listener_secure(0, host)  # type: ignore[arg-type]


def test_adapted_bind_attacks_without_a_namespace_bind_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kernel refuses the namespace, the adapted attacks judge what each listener
    asks for, and nothing is bound."""
    monkeypatch.setattr(nb, "_PROBE", nb._PROBE.replace(
        "enter_private_network()\n", "raise PermissionError(1, 'refused by the test')\n", 1))
    for attack in (nb.attack_ipv4_spellings, nb.attack_ipv6_spellings, nb.attack_ipv4_mapped):
        won = attack(nb.open_listener_first_try)
        assert won.attack_succeeded and "nothing was bound" in won.observed, won
        held = attack(nb.open_listener_secure)
        assert not held.attack_succeeded and "nothing was bound" in held.observed, held


# --- The overall deadline of the secure client ----------------------------------------------


@pytest.mark.timeout(60)
def test_secure_fetch_ends_at_its_deadline_against_a_trickle() -> None:
    """A byte every 20 ms keeps every read far inside a 5 s per-read timeout, so only the
    overall deadline can end the call (the server talks until the block ends): the error
    says which limit fired, and no elapsed time is compared with anything."""
    with timeouts.talking_server(timeouts.trickle) as (host, port):
        with pytest.raises(TimeoutError, match="overall deadline"):
            timeouts.fetch_status_secure(host, port, "/", 5.0, 0.3)


def test_secure_fetch_reads_an_ordinary_answer() -> None:
    import http.server

    from pysecbook.lab.loopback import serve_http

    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serve_http(Quiet) as (host, port):
        assert timeouts.fetch_status_secure(host, port, "/", 1.0, 2.0) == 204
