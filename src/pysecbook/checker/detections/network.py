"""Detections of the network and processes family (PSB7xx), for risks Bandit has no rule for.

A ``multiprocessing`` connection without an authkey, and standard-library network calls
without a timeout (Bandit's B113 covers ``requests`` and ``httpx`` only).
Book pages: ``book/practices/deserialization``, ``book/practices/network``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import constant, keyword

UNAUTHENTICATED_CONNECTION = Detection(
    id="PSB701",
    title="A multiprocessing Listener or Client without an authkey",
    cwe=306,
    severity="HIGH",
    confidence="HIGH",
    fix="Pass authkey= (a secret both ends know, such as current_process().authkey).",
    flags=(
        "from multiprocessing.connection import Listener\n"
        "with Listener(('127.0.0.1', 6000)) as listener:\n    conn = listener.accept()\n",
        "import multiprocessing.connection as mc\nconn = mc.Client(('127.0.0.1', 6000))\n",
        "def receive(port):\n    with Listener(('127.0.0.1', port)) as listener:\n"
        "        return listener.accept().recv()\n",
    ),
    passes=(
        "from multiprocessing.connection import Listener\n"
        "with Listener(('127.0.0.1', 6000), authkey=key) as listener:\n"
        "    conn = listener.accept()\n",
        "from multiprocessing.connection import Client\n"
        "conn = Client(('127.0.0.1', 6000), 'AF_INET', key)\n",
        "from chat.events import Listener\nlistener = Listener(('127.0.0.1', 6000))\n",
    ),
)

#: Where ``authkey`` sits among the positional parameters.
_AUTHKEY_POSITION = {
    "multiprocessing.connection.Listener": 3,
    "multiprocessing.connection.Client": 2,
}


@UNAUTHENTICATED_CONNECTION.checks("Call")
def pysecbook_unauthenticated_connection(context):  # type: ignore[no-untyped-def]
    """Without an authkey, whoever connects first sends pickles that the other end loads."""
    name = context.call_function_name_qual
    call = context.node
    if name in ("Listener", "Client") and call.args and isinstance(call.args[0], ast.Tuple):
        # Not imported in what Bandit sees (one function's source, say): an (host, port)
        # address is the multiprocessing signature.
        name = f"multiprocessing.connection.{name}"
    position = _AUTHKEY_POSITION.get(name)
    if position is None:
        return None
    authkey = keyword(call, "authkey")
    if authkey is None and len(call.args) > position:
        authkey = call.args[position]
    if authkey is not None and constant(authkey) is not None:
        return None
    return UNAUTHENTICATED_CONNECTION.issue(
        f"{name.rsplit('.', 1)[1]}() without authkey= accepts any peer, and "
        "Connection.recv() unpickles what that peer sends.")


NO_TIMEOUT = Detection(
    id="PSB702",
    title="A standard-library network call without a timeout",
    cwe=1088,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Pass timeout= (seconds of silence after which the call gives up).",
    flags=(
        "import http.client\nconn = http.client.HTTPConnection(host, port)\n",
        "import urllib.request\nbody = urllib.request.urlopen(url).read()\n",
        "import socket\nsock = socket.create_connection((host, port))\n",
    ),
    passes=(
        "import http.client\nconn = http.client.HTTPConnection(host, port, timeout=5)\n",
        "import urllib.request\nbody = urllib.request.urlopen(url, None, 5).read()\n",
        "import socket\nsock = socket.create_connection((host, port), 5)\n",
    ),
)

#: Where ``timeout`` sits among the positional parameters (None: keyword only).
_TIMEOUT_POSITION = {
    "http.client.HTTPConnection": 2,
    "http.client.HTTPSConnection": None,
    "urllib.request.urlopen": 2,
    "socket.create_connection": 1,
}


@NO_TIMEOUT.checks("Call")
def pysecbook_no_timeout(context):  # type: ignore[no-untyped-def]
    """Without a timeout, a peer that accepts and then says nothing holds the caller forever."""
    name = context.call_function_name_qual
    if name not in _TIMEOUT_POSITION:
        return None
    call = context.node
    if any(k.arg is None for k in call.keywords):
        return None  # **kwargs may carry it
    position = _TIMEOUT_POSITION[name]
    timeout = keyword(call, "timeout")
    if timeout is None and position is not None and len(call.args) > position:
        timeout = call.args[position]
    if timeout is not None and constant(timeout) is not None:
        return None
    return NO_TIMEOUT.issue(f"{name}() without a timeout waits for as long as the peer likes.")
