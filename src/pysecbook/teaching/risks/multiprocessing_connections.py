"""A ``multiprocessing.connection`` listener unpickles what any client sends.

``Connection.recv()`` is ``pickle.loads`` on bytes from the socket. Without an ``authkey``,
a :class:`~multiprocessing.connection.Listener` accepts any process that can reach its port
(on 127.0.0.1: every local user), and the first message it receives can run code. With an
``authkey`` the listener runs an HMAC challenge before any message is read, and a client
that does not know the key is refused. The server runs in a child interpreter, binds
127.0.0.1 only, serves one connection, and is killed by a timeout if nobody comes.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing import current_process
from multiprocessing.connection import Client, Listener

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks.pickling import LOADER_SNIPPET, MARKER, MarkerPayload
from pysecbook.teaching.sandbox import Completed, last_line, private_tmpdir, run_python


def receive_one_insecure(port: int) -> object:
    """Accept one client on 127.0.0.1 and return the message it sends."""
    with Listener(("127.0.0.1", port)) as listener:  # nosec PSB701 - deliberately insecure: demonstration of PSB-MULTIPROCESSING-LISTENER
        with listener.accept() as conn:
            return conn.recv()


def receive_one_secure(port: int) -> object:
    """Accept one client that proves it knows this program's key, and return its message.

    ``current_process().authkey`` is a random key that multiprocessing creates at start-up
    and hands to the processes it starts; another program must be given it explicitly.
    """
    with Listener(("127.0.0.1", port), authkey=current_process().authkey) as listener:
        with listener.accept() as conn:
            return conn.recv()


def legitimate_exchange(message: object = None) -> str:
    """A client that holds the key talks to :func:`receive_one_secure`, in this process.

    The server runs in a thread, the client shares ``current_process().authkey`` as a
    process started by multiprocessing would, and the message is plain data.
    """
    message = {"job": 42} if message is None else message
    port = _free_port()
    received: list[object] = []
    server = threading.Thread(target=lambda: received.append(receive_one_secure(port)), daemon=True)
    server.start()
    for _ in range(100):
        try:
            conn = Client(("127.0.0.1", port), authkey=current_process().authkey)
        except ConnectionRefusedError:
            time.sleep(0.05)
            continue
        with conn:
            conn.send(message)
        break
    server.join(timeout=10)
    return f"server received {received[0]!r}" if received else "server received nothing"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send_payload(port: int, tries: int = 100) -> str:
    """Connect without any key, as any local process can, and send a pickle payload."""
    for _ in range(tries):
        try:
            conn = Client(("127.0.0.1", port))  # nosec PSB701 - the attacker's client of PSB-MULTIPROCESSING-LISTENER
        except ConnectionRefusedError:
            time.sleep(0.05)
            continue
        with conn:
            try:
                conn.send(MarkerPayload())
            except OSError as exc:
                return f"send failed: {type(exc).__name__}"
            replies = []
            with contextlib.suppress(EOFError, OSError):
                while len(replies) < 2 and conn.poll(2):
                    replies.append(conn.recv_bytes(256)[:11].decode("ascii", "replace"))
            return f"payload sent, server replied {replies or 'nothing'}"
    return "server never listened"


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory, a local user, connects to the port and sends one pickled object."""
    with private_tmpdir() as tmp:
        port = _free_port()
        box: dict[str, Completed] = {}

        def serve() -> None:
            box["done"] = run_python(
                LOADER_SNIPPET,
                cwd=tmp,
                args=[f"{func.__module__}:{func.__qualname__}", "int", str(port)],
                timeout=10,
            )

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        sent = _send_payload(port)
        server.join(timeout=15)
        done = box.get("done")
        said = (last_line(done.stdout) or last_line(done.stderr)) if done else "still running"
        ran = (tmp / MARKER).is_file()
        with contextlib.suppress(OSError):
            (tmp / MARKER).unlink()
    verdict = "the payload ran in the server" if ran else "no code ran in the server"
    return Outcome(attack_succeeded=ran, observed=f"client: {sent}; {verdict}; server {said}")


RISK = register(
    Risk(
        id="PSB-MULTIPROCESSING-LISTENER",
        title="A multiprocessing Listener without an authkey",
        summary="Connection.recv() unpickles; a Listener without authkey lets any local "
        "process send it a pickle that runs code.",
        cwe=502,
        bandit=(),
        detections=("PSB701",),
        modules=("multiprocessing", "multiprocessing.connection", "pickle"),
        page="practices/deserialization",
        insecure=receive_one_insecure,
        secure=receive_one_secure,
        attack=attack,
    )
)
