"""Binding every interface: a development server reachable from the network.

A socket bound to the unspecified address (all IPv4 interfaces) accepts connections on
every address the host has, including the one on its local network or the internet. A
service meant for the machine itself should bind the loopback address.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import ipaddress
import socket

from pysecbook.teaching.risks import Outcome, Risk, register

def open_listener_insecure(port: int = 0) -> socket.socket:
    """A TCP listening socket for a local service, bound to every interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", port))  # nosec B104 - deliberately insecure: demonstration of PSB-NET-BIND-ALL
    sock.listen()
    return sock


def open_listener_secure(port: int = 0) -> socket.socket:
    """A TCP listening socket for a local service, bound to the loopback address only."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


#: Run in a child interpreter: bind with one implementation inside a private network
#: namespace, then try to connect through another address of the (namespaced) host.
_PROBE = """
import json, socket, sys
from pysecbook.teaching.sandbox import enter_private_network
from pysecbook.teaching.risks import network_binding as nb

impl = getattr(nb, sys.argv[1])
try:
    enter_private_network()
except OSError as exc:
    # No namespace: never bind for real. Record what the code asks the kernel for instead.
    class Recorder(socket.socket):
        def bind(self, address):
            self.asked = address
        def listen(self, *args):
            pass
        def getsockname(self):
            return self.asked
    socket.socket = Recorder
    sock = impl(0)
    host, port = sock.getsockname()
    sock.close()
    print(json.dumps({"isolated": False, "why": str(exc), "host": host}))
    raise SystemExit
sock = impl(0)
host, port = sock.getsockname()
accepted = nb.reachable(nb.OTHER_ADDRESS, port)
sock.close()
print(json.dumps({"isolated": True, "host": host, "port": port, "accepted": accepted}))
"""

#: Another address of the host. Linux answers for the whole of 127.0.0.0/8 on loopback, so
#: inside the private namespace this stands for the host's network-facing address.
OTHER_ADDRESS = "127.0.0.2"


def reachable(address: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``address:port`` is accepted."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def probe(impl: object) -> dict[str, object]:
    """Run one implementation in a child interpreter inside a private network namespace.

    The returned dict says whether the namespace could be made (``isolated``), where the
    listener was bound (``host``) and, when isolated, whether a connection through
    :data:`OTHER_ADDRESS` was ``accepted``.
    """
    import json

    from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

    with private_tmpdir() as tmp:
        done = run_python(_PROBE, cwd=tmp, args=[impl.__name__], timeout=20)  # type: ignore[attr-defined]
    try:
        return dict(json.loads(last_line(done.stdout)))
    except ValueError:
        return {"isolated": False, "why": last_line(done.stderr) or "probe failed", "host": "?"}


def attack(impl: object) -> Outcome:
    """Connect to the service through another address of the host, as a neighbour would.

    The listener lives in a private network namespace of a child interpreter, so binding
    every interface there exposes nothing; the connection never leaves that namespace.
    Where the kernel refuses to make a namespace, nothing is bound: the child records the
    address the code asks for, and the outcome says so.
    """
    result = probe(impl)
    host = str(result.get("host"))
    if not result.get("isolated"):
        exposed = host != "?" and not ipaddress.ip_address(host).is_loopback
        return Outcome(exposed, f"asked to bind {host} (no private network namespace here: "
                                f"{result.get('why')}; nothing was bound)")
    accepted = bool(result.get("accepted"))
    verdict = "connection accepted" if accepted else "connection refused"
    return Outcome(accepted, f"bound to {host}:{result.get('port')}; via {OTHER_ADDRESS}, "
                             f"another address of the host: {verdict}")


register(
    Risk(
        id="PSB-NET-BIND-ALL",
        title="A local service bound to every interface",
        summary="Binding 0.0.0.0 exposes a service on every address of the host; bind "
        "127.0.0.1 for anything meant for the machine itself.",
        cwe=1327,
        bandit=("B104",),
        modules=("socket", "http.server"),
        page="practices/network",
        insecure=open_listener_insecure,
        secure=open_listener_secure,
        attack=attack,
    )
)
