"""Properties of the secure network code (book/practices/network), stated as the attacker's goal.

The adapted attacks in the risk modules are the requests a person thought of; Hypothesis
composes request paths from the same pieces (encoded and plain dots, slashes, ``?``, ``#``,
``%25``, a NUL byte, a backslash) in orders nobody wrote down.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.teaching.risks import http_server as hs

#: A request path as an attacker builds one: folders, a name aimed at a file that must not be
#: served, a trick that may cut the name short, and a suffix the allowlist accepts.
FOLDERS = st.lists(st.sampled_from(("", ".", "..", "%2e", "%2e%2e", "css", "public", "x", "%2f",
                                    "%5c", "\\")), max_size=3).map(lambda p: "".join(f"{f}/" for f in p))
NAMES = st.sampled_from((".env", "%2eenv", "%252eenv", ".%65nv", "deploy.py", "deploy%2epy",
                         "app.py", ".git/config", "notes.txt", "index.html", "style.css", ""))
CUTS = st.sampled_from(("", "?", "#", "%3f", "%3F", "%23", "%253f", "%00", "/", "%2f", ";", "%20"))
SUFFIXES = st.sampled_from(("", ".txt", ".html", ".css", "/"))
REQUESTS = st.tuples(FOLDERS, NAMES, CUTS, SUFFIXES).map("".join)
PUBLIC = {hs.PROJECT_FILES["public/index.html"], hs.PROJECT_FILES["public/style.css"]}


@pytest.fixture(scope="module")
def secure_server() -> Iterator[tuple[str, int]]:
    """The secure handler over the demonstration's project, with the links an attacker might
    have left in ``public`` (one to ``.env``, one to the project folder itself)."""
    with hs.serving(hs.make_handler_secure,
                    links={"public/notes.txt": ".env", "public/css": "."}) as address:
        yield address


@given(REQUESTS)
def test_no_request_path_reaches_a_file_outside_the_allowlist(
        secure_server: tuple[str, int], tail: str) -> None:
    """Goal: any byte of ``.env``, ``public/.env`` or ``public/deploy.py``. Every answer is a
    refusal or one of the two public files, whole."""
    host, port = secure_server
    status, body = hs.get(host, port, "/" + tail.lstrip("/"))
    assert not any(secret in body for secret in hs.LEAKS), (tail, status)
    if status == 200:
        assert body in PUBLIC, (tail, body[:80])


# --- Binding: PSB-NET-BIND-ALL -------------------------------------------------------------

from pysecbook.teaching.risks import network_binding as nb  # noqa: E402

#: A configured host as an attacker (or a careless deployment) writes one: the pieces of IPv4
#: and IPv6 addresses in their legacy, short and mapped spellings, names, zones and spaces.
HOST_PIECES = st.sampled_from(("0", "00", "0x0", "0.", "0.0", ".0", "127", ".1", "127.0.0.1",
                               "0177", "2130706433", "::", ":", "::1", "0:", "ffff:", "::ffff:",
                               "0.0.0.0", "1.2.3.4", "10.0.0.1", "[", "]", " ", "%lo", "%eth0",
                               "localhost", "<broadcast>", "fe80::1", "::127.0.0.1"))
HOSTS = st.lists(HOST_PIECES, min_size=0, max_size=3).map("".join)


class _Recorder:
    """Stands in for ``socket.socket`` in the module under test: records what it is asked to
    bind, binds nothing."""

    asked: list[object] = []

    def __init__(self, family: int, kind: int) -> None:
        self.family = family

    def bind(self, address: tuple[object, ...]) -> None:
        _Recorder.asked.append(address[0])

    def listen(self, *args: object) -> None:
        pass


class _RecordingSocketModule:
    """The ``socket`` module as the module under test sees it, with :class:`_Recorder` for
    ``socket.socket``; the real module is left alone for everything else in the process."""

    socket = _Recorder

    def __getattr__(self, name: str) -> object:
        import socket

        return getattr(socket, name)


@given(HOSTS)
def test_no_configured_host_binds_beyond_loopback(host: str) -> None:
    """Goal: a listener that accepts connections from another machine. The secure listener
    refuses the host (ValueError) or asks the kernel for an address that the C library reads
    as loopback; nothing is bound for real."""
    _Recorder.asked = []
    real = nb.socket
    nb.socket = _RecordingSocketModule()  # type: ignore[assignment]
    try:
        nb.open_listener_secure(0, host)
    except ValueError:
        assert _Recorder.asked == []
        return
    finally:
        nb.socket = real
    (asked,) = _Recorder.asked
    assert not nb.exposes(str(asked)), (host, asked)
