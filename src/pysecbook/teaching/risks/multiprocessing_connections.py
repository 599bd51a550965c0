"""A ``multiprocessing.connection`` listener unpickles what any client sends.

``Connection.recv()`` is ``pickle.loads`` on bytes from the socket. Without an ``authkey``,
a :class:`~multiprocessing.connection.Listener` accepts any process that can reach its port
(on 127.0.0.1: every local user), and the first message it receives can run code. With an
``authkey`` the listener runs an HMAC challenge before any message is read, and a client
that does not know the key is refused; the secure version runs that handshake under a
deadline, since ``Listener.accept()`` waits for ever on a client that connects and then
answers slowly or not at all. The server runs in a child interpreter, binds 127.0.0.1 only,
serves one connection, and is killed by a timeout if nobody comes.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing import AuthenticationError, current_process
from multiprocessing.connection import (Client, Connection, Listener, answer_challenge,
                                        deliver_challenge)

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.pickling import LOADER_SNIPPET, MARKER, MarkerPayload


def receive_one_insecure(port: int) -> object:
    """Accept one client on 127.0.0.1 and return the message it sends."""
    with Listener(("127.0.0.1", port)) as listener:  # nosec PSB701 - deliberately insecure: demonstration of PSB-MULTIPROCESSING-LISTENER
        with listener.accept() as conn:
            return conn.recv()


#: Seconds a client has to complete the handshake before the secure server hangs up.
HANDSHAKE_SECONDS = 1.0
#: The shortest key the secure server accepts; ``current_process().authkey`` is 32 bytes.
MIN_KEY_BYTES = 32


def authenticate(conn: Connection, sock: socket.socket, key: bytes, seconds: float) -> None:
    """Run multiprocessing's handshake on ``conn`` (the server's challenge, then the
    client's), as ``Listener.accept()`` does, but shut ``sock`` down if it is not over after
    ``seconds``. Raises ``AuthenticationError`` for a wrong answer or a late one."""
    lock, state = threading.Lock(), {"done": False, "late": False}

    def hang_up() -> None:
        with lock:
            if not state["done"]:
                state["late"] = True
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, hang_up)
    timer.start()
    try:
        deliver_challenge(conn, key)
        answer_challenge(conn, key)
    except (EOFError, OSError) as exc:
        raise AuthenticationError(f"no complete answer within {seconds:g} s") from exc
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
    if state["late"]:
        raise AuthenticationError(f"no complete answer within {seconds:g} s")


def receive_one_secure(port: int, handshake_seconds: float = HANDSHAKE_SECONDS) -> object:
    """Accept one client that proves, within ``handshake_seconds``, that it knows this
    program's key, and return its message.

    ``current_process().authkey`` is a random key that multiprocessing creates at start-up
    and hands to the processes it starts; another program must be given it explicitly. The
    handshake is the one ``Listener(..., authkey=key).accept()`` runs, on a connection
    accepted here so that it can have a deadline.

    Assumes: a POSIX system (the accepted socket's descriptor is handed to ``Connection``);
    the key is at least 32 random bytes and reaches only the program's own processes (``multiprocessing`` passes it to every child it starts, so a child that runs
    untrusted code has it); the network path is private or the connection wrapped in TLS,
    since the key authenticates the peer and encrypts nothing.
    Does not stop: a client that holds the key: its message is unpickled and runs whatever
    it names, and it may take as long as it likes to send it; and clients that connect and
    fail the handshake, one after another, each refused after at most ``handshake_seconds``.
    """
    key = bytes(current_process().authkey)
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the authkey must be at least {MIN_KEY_BYTES} random bytes")
    with socket.create_server(("127.0.0.1", port)) as server:
        sock, _ = server.accept()
    with sock, Connection(os.dup(sock.fileno())) as conn:
        authenticate(conn, sock, key, handshake_seconds)
        return conn.recv()


def receive_one_first_try(port: int) -> object:
    """The first secure version: ``Listener`` with the program's authkey.

    Kept to show an adapted attack beating it: ``accept()`` runs the handshake with no time
    limit, so a client that connects and answers slowly, or not at all, holds the one
    connection this server serves.
    """
    with Listener(("127.0.0.1", port), authkey=current_process().authkey) as listener:
        with listener.accept() as conn:
            return conn.recv()


def receive_one_password_first_try(port: int) -> object:
    """A first fix written without ``authkey``: the client's first message must be the key.

    Kept to show an adapted attack beating it: the same bytes prove the same thing every
    time, so one recorded session is a password for ever.
    """
    with Listener(("127.0.0.1", port)) as listener:  # nosec PSB701 - deliberately insecure: demonstration of PSB-MULTIPROCESSING-LISTENER
        with listener.accept() as conn:
            if not secrets.compare_digest(conn.recv_bytes(256), bytes(current_process().authkey)):
                raise AuthenticationError("wrong password")
            return conn.recv()


#: The key of the short-key first fix: four digits, easy to type into two configurations.
PIN_KEY = b"2580"


def receive_one_short_key_first_try(port: int) -> object:
    """A first fix with an ``authkey`` someone chose: four digits.

    Kept to show an adapted attack beating it: one recorded handshake is enough to test every
    four-digit key offline, in a fraction of a second.
    """
    with Listener(("127.0.0.1", port), authkey=PIN_KEY) as listener:
        with listener.accept() as conn:
            return conn.recv()


def receive_one_configured_key_first_try(port: int) -> object:
    """A first fix that reads the key from the configuration, empty when it is not set.

    Kept to show an adapted attack beating it: an empty ``authkey`` is no key. On Python
    3.11 ``Listener`` skips the handshake altogether (it tests the key for truth); where it
    does run one, everybody knows the empty key.
    """
    key = os.environ.get("PSB_APP_KEY", "").encode()
    with Listener(("127.0.0.1", port), authkey=key) as listener:
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


#: The server child: the loader snippet, with the program's key set from the environment
#: (as processes started by multiprocessing inherit it).
SERVER_SNIPPET = """\
import multiprocessing, os
if os.environ.get("PSB_AUTHKEY"):
    multiprocessing.current_process().authkey = bytes.fromhex(os.environ["PSB_AUTHKEY"])
""" + LOADER_SNIPPET


@contextlib.contextmanager
def serving_once(func: Callable[..., object], key: bytes,
                 timeout: float = 10) -> Iterator[tuple[int, dict[str, Completed]]]:
    """Run ``func(port)`` in a child interpreter whose program key is ``key``; yield the port
    and a box that holds what the child printed once it has ended (after the block)."""
    with private_tmpdir() as tmp:
        port = _free_port()
        box: dict[str, Completed] = {}

        def serve() -> None:
            box["done"] = run_python(
                SERVER_SNIPPET, cwd=tmp,
                args=[f"{func.__module__}:{func.__qualname__}", "int", str(port)],
                env={"PSB_AUTHKEY": key.hex()}, timeout=timeout)

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        try:
            yield port, box
        finally:
            server.join(timeout + 5)
            box["ran"] = Completed(0, "yes" if (tmp / MARKER).is_file() else "", "")


def _connect(port: int, tries: int = 100) -> socket.socket:
    for _ in range(tries):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            time.sleep(0.05)
    raise ConnectionRefusedError(f"nothing listened on port {port}")


def _server_said(box: dict[str, Completed]) -> str:
    done = box.get("done")
    return (last_line(done.stdout) or last_line(done.stderr) or "nothing") if done else "still running"


def _frames(stream: bytes) -> list[bytes]:
    """Split a recorded byte stream into multiprocessing's messages (4-byte length first)."""
    frames = []
    while len(stream) >= 4:
        size = int.from_bytes(stream[:4], "big", signed=True)
        if size < 0 or len(stream) < 4 + size:
            break
        frames.append(stream[4:4 + size])
        stream = stream[4 + size:]
    return frames


def record_session(func: Callable[..., object], key: bytes,
                   client: Callable[[int], None]) -> tuple[list[bytes], list[bytes]]:
    """Serve ``func`` once, let ``client`` talk to it through a relay that records both
    directions, as Mallory on the network path would; return the messages each side sent
    (server's, client's)."""
    with serving_once(func, key) as (port, _box):
        relay = socket.create_server(("127.0.0.1", 0))
        recorded: dict[str, bytearray] = {"server": bytearray(), "client": bytearray()}

        def pump(src: socket.socket, dst: socket.socket, side: str) -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(65536):
                    recorded[side] += data
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        def run_relay() -> None:
            with relay:
                downstream, _ = relay.accept()
            with downstream, _connect(port) as upstream:
                back = threading.Thread(target=pump, args=(upstream, downstream, "server"))
                back.start()
                pump(downstream, upstream, "client")
                back.join(10)

        relaying = threading.Thread(target=run_relay, daemon=True)
        relaying.start()
        client(relay.getsockname()[1])
        relaying.join(10)
    return _frames(bytes(recorded["server"])), _frames(bytes(recorded["client"]))


def _honest_client(func: Callable[..., object], key: bytes) -> Callable[[int], None]:
    """The program's own client for the server ``func``: it knows the key ``func`` uses."""
    def send_job(port: int) -> None:
        with contextlib.suppress(AuthenticationError, EOFError, OSError):  # a server it does not fit
            if func is receive_one_password_first_try:
                conn = Client(("127.0.0.1", port))  # nosec PSB701 - the first fix's own protocol, shown beaten
                conn.send_bytes(key)
            else:
                conn = Client(("127.0.0.1", port),
                              authkey=PIN_KEY if func is receive_one_short_key_first_try else key)
            with conn:
                conn.send({"job": 42})
    return send_job


def _send_after(port: int, frames: list[bytes], key: bytes | None = None) -> str:
    """Mallory's client: send ``frames`` as they are, or run the handshake with ``key`` if one
    is given, then send the payload. Returns what happened, in a few words."""
    try:
        sock = _connect(port)
        sock.setblocking(True)  # Connection reads the descriptor directly
        conn = Connection(sock.detach())
    except OSError as exc:
        return f"could not connect: {type(exc).__name__}"
    with conn:
        try:
            if key is not None and conn.poll(1):  # the server speaks first: a challenge
                answer_challenge(conn, key)
                deliver_challenge(conn, key)
            for frame in frames:
                conn.send_bytes(frame)
            conn.send(MarkerPayload())
        except (AuthenticationError, EOFError, OSError) as exc:
            return f"refused: {type(exc).__name__}"
        # Wait until the server has read it all and hung up, so the marker is there.
        with contextlib.suppress(EOFError, OSError):
            while conn.poll(3):
                conn.recv_bytes(256)
        return "payload sent"


def attack_replay(func: Callable[..., object]) -> Outcome:
    """Mallory records one session of the program's own client, then opens her own session,
    replays everything the client sent before its message, and sends her pickle."""
    key = secrets.token_bytes(32)
    _server, client = record_session(func, key, _honest_client(func, key))
    with serving_once(func, key) as (port, box):
        sent = _send_after(port, client[:-1])
    ran = box["ran"].stdout == "yes"
    return Outcome(ran, f"replayed {len(client[:-1])} recorded message(s): {sent}; "
                        f"{'the payload ran in the server' if ran else 'no code ran'}; "
                        f"server {_server_said(box)}")


def _candidate_response(challenge: bytes, welcome: bytes, key: bytes) -> bytes:
    """What a client holding ``key`` answers to the recorded ``challenge`` (computed by
    multiprocessing's own client code, on a stand-in for the connection)."""
    class Recorded:
        def __init__(self) -> None:
            self.incoming, self.sent = [challenge, welcome], []

        def recv_bytes(self, maxlength: int | None = None) -> bytes:
            return self.incoming.pop(0)

        def send_bytes(self, data: bytes) -> None:
            self.sent.append(bytes(data))

    stand_in = Recorded()
    with contextlib.suppress(AuthenticationError):
        answer_challenge(stand_in, key)  # type: ignore[arg-type]
    return stand_in.sent[0] if stand_in.sent else b""


#: The keys Mallory tries offline: every four-digit PIN.
PIN_CANDIDATES = tuple(f"{n:04d}".encode() for n in range(10_000))


def attack_short_key(func: Callable[..., object]) -> Outcome:
    """Mallory records one handshake, tests every four-digit key against it offline, and
    connects with the key that answers it."""
    key = secrets.token_bytes(32)
    server, client = record_session(func, key, _honest_client(func, key))
    if len(server) < 2 or not client:
        return Outcome(False, "the recorded session holds no challenge and answer")
    start = time.perf_counter()
    found = next((k for k in PIN_CANDIDATES
                  if _candidate_response(server[0], server[1], k) == client[0]), None)
    seconds = time.perf_counter() - start
    if found is None:
        return Outcome(False, f"none of {len(PIN_CANDIDATES):,} four-digit keys answers the "
                              f"recorded challenge ({seconds:.2f} s offline)")
    with serving_once(func, key) as (port, box):
        sent = _send_after(port, [], key=found)
    ran = box["ran"].stdout == "yes"
    return Outcome(ran, f"key {found.decode()} found offline in {seconds:.2f} s; {sent}; "
                        f"{'the payload ran in the server' if ran else 'no code ran'}")


def attack_empty_key(func: Callable[..., object]) -> Outcome:
    """Mallory bets on a key read from a setting nobody set: she answers any challenge with
    the empty key, and sends her pickle."""
    with serving_once(func, secrets.token_bytes(32)) as (port, box):
        sent = _send_after(port, [], key=b"")
    ran = box["ran"].stdout == "yes"
    return Outcome(ran, f"client with the empty key: {sent}; "
                        f"{'the payload ran in the server' if ran else 'no code ran'}; "
                        f"server {_server_said(box)}")


#: How long the slow client keeps trying: three times the secure server's deadline.
STALL_SECONDS = 3 * HANDSHAKE_SECONDS


def attack_slow_client(func: Callable[..., object]) -> Outcome:
    """Mallory connects and answers one byte every 0.4 s (the length of a 255-byte answer,
    then its bytes), which defeats a timeout on each read. Does the one-connection server
    still hold her connection after three seconds?"""
    with serving_once(func, secrets.token_bytes(32), timeout=STALL_SECONDS + 5) as (port, box):
        with _connect(port) as sock:
            sock.settimeout(0.4)
            drip = iter([b"\x00\x00\x00\xff", *(b"x" for _ in range(255))])
            start = time.monotonic()
            closed = False
            while not closed and time.monotonic() - start < STALL_SECONDS:
                try:
                    closed = not sock.recv(4096)  # a challenge, or the server hanging up
                    continue
                except TimeoutError:
                    pass
                except OSError:
                    closed = True
                    break
                try:
                    sock.sendall(next(drip, b"x")[:4])
                except OSError:
                    closed = True
            held = time.monotonic() - start
    if closed:
        return Outcome(False, f"the server hung up after {held:.1f} s; server {_server_said(box)}")
    return Outcome(True, f"the server still held the connection after {held:.1f} s, serving "
                         "nobody else")


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
        adapted=(
            AdaptedAttack("a client that answers one byte at a time, holding the one connection",
                          "exhaustion", attack_slow_client, beats=receive_one_first_try),
            AdaptedAttack("replay of a recorded session's opening messages, then a pickle",
                          "crypto", attack_replay, beats=receive_one_password_first_try),
            AdaptedAttack("a four-digit key, found offline from one recorded handshake",
                          "crypto", attack_short_key, beats=receive_one_short_key_first_try),
            AdaptedAttack("the empty key, for a key read from a setting nobody set", "crypto",
                          attack_empty_key, beats=receive_one_configured_key_first_try),
        ),
    )
)
