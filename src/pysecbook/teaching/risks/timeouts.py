"""Network calls without a timeout: one slow server hangs the caller for ever.

``http.client``, ``urllib.request.urlopen`` and ``socket.create_connection`` all wait
without limit unless given a timeout (or unless ``socket.setdefaulttimeout`` was called).
A server that accepts the connection and never answers, slowly or on purpose, then holds a
worker thread for ever; enough such requests and the service stops answering anyone.

A timeout bounds each blocking operation, not the call. A server that sends one byte just
inside the timeout, or an endless stream of ``100 Continue`` interim responses, keeps every
read short and the call alive for ever; the secure client also gives the whole response an
overall deadline.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: How long the demonstration waits for a call before it declares it hanging: five times
#: the secure function's timeout, so that even a busy machine tells the two apart.
WATCHDOG_SECONDS = 0.5

#: The longest the slow server keeps any connection open, whatever happens.
SERVER_LIFETIME_SECONDS = 10.0


def fetch_status_insecure(host: str, port: int, path: str = "/") -> int:
    """GET ``path`` and return the HTTP status; waits as long as the server likes."""
    conn = http.client.HTTPConnection(host, port)  # nosec PSB702 - deliberately insecure: demonstration of PSB-NET-NO-TIMEOUT
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def fetch_status_first_try(host: str, port: int, path: str = "/", timeout: float = 0.1) -> int:
    """A first fix: GET ``path`` and return the HTTP status; gives up after ``timeout`` seconds
    of silence.

    Kept to show the adapted attacks beating it: the timeout bounds each read, and a server
    that never stays silent that long is never cut off.
    """
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


class _ReadsUntil(io.RawIOBase):
    """A socket's reads, none of which may wait past an overall deadline (``give_up``, on the
    :func:`time.monotonic` clock) or longer than ``timeout`` on its own."""

    def __init__(self, sock: socket.socket, timeout: float, give_up: float) -> None:
        self._sock, self._timeout, self._give_up = sock, timeout, give_up

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        left = self._give_up - time.monotonic()
        if left <= 0:
            raise TimeoutError("the response did not arrive within the overall deadline")
        self._sock.settimeout(min(self._timeout, left))
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            if time.monotonic() >= self._give_up:
                raise TimeoutError("the response did not arrive within the overall "
                                   "deadline") from None
            raise


class DeadlineResponse(http.client.HTTPResponse):
    """An ``HTTPResponse`` that reads through :class:`_ReadsUntil` instead of the bare socket."""

    def __init__(self, sock: socket.socket, *args: object, timeout: float, give_up: float,
                 **kwargs: object) -> None:
        super().__init__(sock, *args, **kwargs)  # type: ignore[arg-type]
        self.fp.close()  # the plain file the base class opened on the socket
        self.fp = io.BufferedReader(_ReadsUntil(sock, timeout, give_up))


def fetch_status_secure(host: str, port: int, path: str = "/", timeout: float = 0.1,
                        deadline: float = 0.5) -> int:
    """GET ``path`` and return the HTTP status; gives up after ``timeout`` seconds of silence,
    and stops reading the response ``deadline`` seconds after the call began, however
    steadily the server keeps talking.

    Assumes: ``host`` is an address or a name that resolves quickly (a local resolver, a
    name in ``/etc/hosts``), and ``timeout`` and ``deadline`` are set from what the service
    being called needs; the values here are short so the demonstration is quick.
    Does not stop: a slow name lookup, which no socket timeout bounds (``getaddrinfo``
    blocks until the resolver answers); connecting and sending, which are bounded by
    ``timeout`` per attempt and per address, so a name with several unreachable addresses
    adds one ``timeout`` for each before the deadline applies; a body the caller goes on to
    read after this function returns (it reads the status only); many parallel calls, each
    within its limits, that still fill a worker pool.
    """
    give_up = time.monotonic() + deadline
    conn = http.client.HTTPConnection(host, port, timeout=min(timeout, deadline))
    conn.response_class = functools.partial(  # type: ignore[assignment]
        DeadlineResponse, timeout=timeout, give_up=give_up)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[str, int]]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers.

    Connections are closed when the block exits, or after ``SERVER_LIFETIME_SECONDS``.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + SERVER_LIFETIME_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                conn, _ = listener.accept()
                held.append(conn)  # read nothing, answer nothing
        for conn in held:
            conn.close()
        listener.close()

    thread = threading.Thread(target=serve, name="silent-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join(SERVER_LIFETIME_SECONDS)


#: The interval between two bytes of the trickling server: a twenty-fifth of the per-read
#: timeout the attack gives the client, so no read ever waits long enough to time out.
TRICKLE_INTERVAL = 0.02
#: What the trickling server sends, one byte at a time: a status line and then a header that
#: never ends (http.client reads a header line of up to 64 KiB, 100 header lines).
TRICKLE_START = b"HTTP/1.1 200 OK\r\nX-Padding: "
#: One interim response; the flooding server sends it again and again, as fast as it can.
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@contextlib.contextmanager
def talking_server(chunks: Callable[[], Iterator[tuple[bytes, float]]]) -> Iterator[tuple[str, int]]:
    """A TCP server on 127.0.0.1 that answers each connection with ``chunks()``: each item is
    (bytes to send, seconds to wait first). It never finishes a response.

    Every connection is closed when the block exits, or after ``SERVER_LIFETIME_SECONDS``.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()
    deadline = time.monotonic() + SERVER_LIFETIME_SECONDS

    def talk(conn: socket.socket) -> None:
        conn.settimeout(0.5)
        with contextlib.suppress(OSError), conn:
            for data, pause in chunks():
                if stop.wait(pause) or time.monotonic() > deadline:
                    return
                conn.sendall(data)

    def serve() -> None:
        workers = []
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                conn, _ = listener.accept()
                worker = threading.Thread(target=talk, args=(conn,), daemon=True)
                worker.start()
                workers.append(worker)
        listener.close()
        for worker in workers:
            worker.join(1.0)

    thread = threading.Thread(target=serve, name="talking-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join(SERVER_LIFETIME_SECONDS)


def trickle() -> Iterator[tuple[bytes, float]]:
    """A response that starts normally and then arrives one byte every ``TRICKLE_INTERVAL``."""
    yield TRICKLE_START, 0.0
    while True:
        yield b"a", TRICKLE_INTERVAL


def continue_flood() -> Iterator[tuple[bytes, float]]:
    """``100 Continue``, as many times as the client will read it, and never a final status."""
    while True:
        yield CONTINUE * 64, 0.0


@contextlib.contextmanager
def full_backlog_server() -> Iterator[tuple[str, int]]:
    """A listener on 127.0.0.1 whose queue of pending connections is already full.

    It never accepts. One connection made here fills its backlog of zero, so the kernel
    drops the next client's SYN and that client's ``connect`` waits, as against an
    overloaded server.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=1)
    try:
        yield listener.getsockname()
    finally:
        filler.close()
        listener.close()


def call_with_watchdog(func: Callable[[str, int], object], host: str, port: int,
                       watchdog: float = WATCHDOG_SECONDS) -> tuple[bool, str, float]:
    """Call ``func(host, port)`` in a thread; return (still hanging?, outcome, seconds).

    The watchdog only stops *waiting*: the call itself ends when the server closes.
    """
    outcome: list[str] = []

    def run() -> None:
        try:
            outcome.append(f"returned {func(host, port)!r}")
        except Exception as exc:  # noqa: BLE001 - any failure is the outcome
            outcome.append(f"raised {type(exc).__name__}: {exc}")

    start = time.monotonic()
    worker = threading.Thread(target=run, name="client", daemon=True)
    worker.start()
    worker.join(watchdog)
    elapsed = time.monotonic() - start
    if worker.is_alive():
        return True, "no answer, no error", elapsed
    return False, outcome[0], elapsed


def attack(impl: Callable[..., object]) -> Outcome:
    """A server that accepts the connection and never answers."""
    with silent_server() as (host, port):
        hanging, what, elapsed = call_with_watchdog(impl, host, port)
    if hanging:
        return Outcome(True, f"still waiting after {elapsed:.1f} s when the watchdog gave "
                             f"up ({what}); the call would hang for as long as the server "
                             "liked")
    return Outcome(False, f"the call ended by itself after {elapsed:.1f} s: {what}")


#: How long the adapted attacks wait before they declare a call hanging: three times the
#: secure function's default overall deadline.
DEADLINE_WATCHDOG_SECONDS = 1.5
#: The per-read timeout the adapted attacks give the client, far above the trickle interval.
GENEROUS_TIMEOUT = 0.5


def _stall_outcome(impl: Callable[..., object],
                   server: contextlib.AbstractContextManager[tuple[str, int]],
                   what_server_does: str) -> Outcome:
    def call(host: str, port: int) -> object:
        return impl(host, port, "/", GENEROUS_TIMEOUT)

    with server as (host, port):
        hanging, what, elapsed = call_with_watchdog(call, host, port, DEADLINE_WATCHDOG_SECONDS)
    if hanging:
        return Outcome(True, f"{what_server_does}: still reading after {elapsed:.1f} s when the "
                             f"watchdog gave up, with a {GENEROUS_TIMEOUT} s timeout that never "
                             "fired; the call lasts as long as the server likes")
    return Outcome(False, f"{what_server_does}: the call ended by itself after {elapsed:.1f} s: "
                          f"{what}")


def attack_trickle(impl: Callable[..., object]) -> Outcome:
    """Send a status line, then a header one byte every 20 ms for ever: no single read waits
    long enough for the per-read timeout to fire."""
    return _stall_outcome(impl, talking_server(trickle),
                          f"one byte every {TRICKLE_INTERVAL * 1000:.0f} ms")


def attack_continue_flood(impl: Callable[..., object]) -> Outcome:
    """Answer with ``100 Continue`` interim responses, as fast as the client reads them, and
    never a final status: http.client skips each one and reads the next."""
    return _stall_outcome(impl, talking_server(continue_flood),
                          "an endless stream of '100 Continue'")


def attack_full_backlog(impl: Callable[..., object]) -> Outcome:
    """Let the connection itself hang: a server whose queue of pending connections is full
    drops the client's SYN, and ``connect`` waits for the retry."""
    with full_backlog_server() as (host, port):
        hanging, what, elapsed = call_with_watchdog(impl, host, port)
    if hanging:
        return Outcome(True, f"still connecting after {elapsed:.1f} s when the watchdog gave up")
    return Outcome(False, f"the call ended by itself after {elapsed:.1f} s: {what}")


register(
    Risk(
        id="PSB-NET-NO-TIMEOUT",
        title="Network calls without a timeout",
        summary="A client call with no timeout waits for ever on a server that never "
        "answers; pass a timeout to every network call.",
        cwe=1088,
        bandit=(),
        detections=("PSB702",),
        modules=("http.client", "socket", "urllib.request"),
        page="practices/network",
        insecure=fetch_status_insecure,
        secure=fetch_status_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a server that sends one byte every 20 ms, inside every per-read "
                          "timeout, for ever", "exhaustion", attack_trickle,
                          beats=fetch_status_first_try),
            AdaptedAttack("an endless stream of '100 Continue' interim responses, at full "
                          "speed", "exhaustion", attack_continue_flood,
                          beats=fetch_status_first_try),
            AdaptedAttack("a server whose connection queue is full, so that connect itself "
                          "waits", "variant", attack_full_backlog),
        ),
    )
)
