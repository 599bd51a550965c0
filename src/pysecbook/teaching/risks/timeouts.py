"""Network calls without a timeout: one slow server hangs the caller for ever.

``http.client``, ``urllib.request.urlopen`` and ``socket.create_connection`` all wait
without limit unless given a timeout (or unless ``socket.setdefaulttimeout`` was called).
A server that accepts the connection and never answers, slowly or on purpose, then holds a
worker thread for ever; enough such requests and the service stops answering anyone.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator

from pysecbook.teaching.risks import Outcome, Risk, register

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


def fetch_status_secure(host: str, port: int, path: str = "/", timeout: float = 0.1) -> int:
    """GET ``path`` and return the HTTP status; gives up after ``timeout`` seconds of silence."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
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
    )
)
