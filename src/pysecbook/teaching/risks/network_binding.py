"""Binding every interface: a development server reachable from the network.

A socket bound to the unspecified address (all IPv4 interfaces) accepts connections on
every address the host has, including the one on its local network or the internet. A
service meant for the machine itself should bind the loopback address.

The address usually comes from configuration (``HOST=...``), so the secure listener takes it
as a parameter and accepts only a literal loopback address. A first fix that refuses the
spellings of "every interface" it knows (``0.0.0.0``, ``""``, ``::``) is beaten by the ones
it does not: the C library reads ``0`` and ``0x0`` as ``0.0.0.0``, ``::0`` is ``::``, and the
IPv4-mapped ``::ffff:0.0.0.0`` on a dual-stack socket accepts IPv4 connections on every
interface.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import ipaddress
import socket

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


def open_listener_insecure(port: int = 0) -> socket.socket:
    """A TCP listening socket for a local service, bound to every interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", port))  # nosec B104 - deliberately insecure: demonstration of PSB-NET-BIND-ALL
    sock.listen()
    return sock


#: The spellings of "every interface" the first fix knows, the ones this book's page names.
WILDCARD_SPELLINGS = frozenset({"0.0.0.0", "", "::"})  # nosec B104 - a denylist, never bound: demonstration of PSB-NET-BIND-ALL


def open_listener_first_try(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A first fix: bind the configured host, but refuse the known spellings of every interface.

    Kept to show the adapted attacks beating it: the denylist is a list of strings, and the
    resolver that ``bind`` uses has more spellings for the same address than the list.
    """
    if host in WILDCARD_SPELLINGS:
        raise ValueError(f"refusing to bind every interface ({host!r})")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, port))
    sock.listen()
    return sock


def loopback_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``host`` as a loopback address, or ``ValueError``.

    Only a literal address in its standard form is read (``ipaddress`` refuses ``""``,
    ``"0"``, ``"0x0"``, leading zeros and host names), an IPv6 zone (``%lo``) is refused, an
    IPv4-mapped IPv6 address is judged by the IPv4 address inside it, and the result must be
    loopback: ``127.0.0.0/8`` or ``::1``.
    """
    if not isinstance(host, str):
        raise ValueError(f"the address must be a string, not {type(host).__name__}")
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            raise ValueError(f"{host!r} names a zone; a loopback address needs none")
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
    if not address.is_loopback:
        raise ValueError(f"{host!r} is not a loopback address; refusing to bind it")
    return address


def open_listener_secure(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A TCP listening socket for a local service, bound to a loopback address only.

    ``host`` may come from configuration; it is bound only if :func:`loopback_address` reads
    it as a loopback address, and what is bound is that parsed address, not the string.

    Assumes: the service is meant for this machine only, and whatever must reach it from
    elsewhere (a reverse proxy, an SSH tunnel) runs on this machine and does its own
    authentication.
    Does not stop: any local user or process, including a browser page that a local user
    opens (DNS rebinding, requests to ``http://127.0.0.1:PORT``), from connecting; a
    container or VM port mapping that forwards outside traffic to the loopback address
    inside it; a service that must be reachable from the network, which needs a chosen
    interface, authentication and TLS instead.
    """
    address = loopback_address(host)
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((str(address), port))
    sock.listen()
    return sock


#: Run in a child interpreter: bind with one implementation inside a private network
#: namespace, then try to connect through another address of the (namespaced) host. The
#: hosts to ask for come as JSON (``null``: the implementation's default).
_PROBE = """
import json, socket, sys
from pysecbook.teaching.sandbox import enter_private_network
from pysecbook.teaching.risks import network_binding as nb

impl = getattr(nb, sys.argv[1])
hosts = json.loads(sys.argv[2]) if len(sys.argv) > 2 else [None]

def listen(host):
    return impl(0) if host is None else impl(0, host)

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
    tried = []
    for host in hosts:
        try:
            sock = listen(host)
        except (ValueError, TypeError, OSError) as refusal:
            tried.append({"asked": host, "refused": str(refusal)})
            continue
        tried.append({"asked": host, "host": sock.getsockname()[0]})
        sock.close()
    print(json.dumps({"isolated": False, "why": str(exc), "host": tried[0].get("host", "?"),
                      "tried": tried}))
    raise SystemExit
tried = []
for host in hosts:
    try:
        sock = listen(host)
    except (ValueError, TypeError, OSError) as refusal:
        tried.append({"asked": host, "refused": str(refusal)})
        continue
    bound, port = sock.getsockname()[:2]
    tried.append({"asked": host, "host": bound, "port": port,
                  "accepted": nb.reachable(nb.OTHER_ADDRESS, port)})
    sock.close()
first = tried[0]
print(json.dumps({"isolated": True, "host": first.get("host", "?"), "port": first.get("port"),
                  "accepted": first.get("accepted", False), "tried": tried}))
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


def probe(impl: object, hosts: tuple[str, ...] | None = None) -> dict[str, object]:
    """Run one implementation in a child interpreter inside a private network namespace.

    The returned dict says whether the namespace could be made (``isolated``), where the
    listener was bound (``host``) and, when isolated, whether a connection through
    :data:`OTHER_ADDRESS` was ``accepted``. With ``hosts``, the implementation is asked to
    bind each of them in turn, and ``tried`` lists what happened to each.
    """
    import json

    from pysecbook.lab.child import last_line, private_tmpdir, run_python

    args = [impl.__name__]  # type: ignore[attr-defined]
    if hosts is not None:
        args.append(json.dumps(list(hosts)))
    with private_tmpdir() as tmp:
        done = run_python(_PROBE, cwd=tmp, args=args, timeout=20)
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
        exposed = host != "?" and exposes(host)
        return Outcome(exposed, f"asked to bind {host} (no private network namespace here: "
                                f"{result.get('why')}; nothing was bound)")
    accepted = bool(result.get("accepted"))
    verdict = "connection accepted" if accepted else "connection refused"
    return Outcome(accepted, f"bound to {host}:{result.get('port')}; via {OTHER_ADDRESS}, "
                             f"another address of the host: {verdict}")


def exposes(host: str) -> bool:
    """Whether asking to bind ``host`` listens beyond loopback, as the C library reads it."""
    if host in ("", "<broadcast>"):
        return True
    try:
        info = socket.getaddrinfo(host, 0, 0, socket.SOCK_STREAM, 0,
                                  socket.AI_NUMERICHOST | socket.AI_PASSIVE)
    except socket.gaierror:
        return True  # a name: whatever it resolves to, it is not a checked loopback literal
    address = ipaddress.ip_address(str(info[0][4][0]).partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_loopback


def _hosts_outcome(impl: object, hosts: tuple[str, ...]) -> Outcome:
    """Ask ``impl`` to bind each of ``hosts``; did any of them take connections from elsewhere?"""
    result = probe(impl, hosts)
    tried = result.get("tried") or []
    if not result.get("isolated"):
        exposed = [t for t in tried if "host" in t and exposes(str(t["host"]))]  # type: ignore[union-attr]
        if exposed:
            return Outcome(True, "asked to bind " + ", ".join(
                f"{t['asked']!r} -> {t['host']}" for t in exposed)  # type: ignore[index]
                + f" (no private network namespace here: {result.get('why')}; nothing was bound)")
        return Outcome(False, f"every address refused or loopback ({len(tried)} tried; no "
                              f"private network namespace here, nothing was bound)")
    reached = [t for t in tried if t.get("accepted")]  # type: ignore[union-attr]
    if reached:
        return Outcome(True, "connection through " + OTHER_ADDRESS + " accepted by " + ", ".join(
            f"{t['asked']!r} (bound {t['host']})" for t in reached))  # type: ignore[index]
    refused = [t for t in tried if "refused" in t]  # type: ignore[operator]
    said = f" ({refused[0]['refused']})" if refused else ""  # type: ignore[index]
    return Outcome(False, f"{len(refused)} of {len(tried)} addresses refused before binding"
                          f"{said}; none took a connection through {OTHER_ADDRESS}")


#: Other spellings of 0.0.0.0 that the C library's address parser (``inet_aton``) accepts.
IPV4_SPELLINGS = ("0", "0x0", "0.0", "000.000.000.000")
#: Other spellings of the IPv6 unspecified address ``::``.
IPV6_SPELLINGS = ("::0", "0::", "0:0:0:0:0:0:0:0")
#: The IPv4 wildcard written as an IPv4-mapped IPv6 address.
MAPPED_SPELLINGS = ("::ffff:0.0.0.0", "::ffff:0:0")


def attack_ipv4_spellings(impl: object) -> Outcome:
    """Configure the host as another spelling of 0.0.0.0 (``0``, ``0x0``, ``0.0``): the string
    is not on the denylist, and the resolver reads it as every interface."""
    return _hosts_outcome(impl, IPV4_SPELLINGS)


def attack_ipv6_spellings(impl: object) -> Outcome:
    """Configure the host as another spelling of ``::`` (``::0``, ``0::``); on Linux an IPv6
    wildcard socket also takes IPv4 connections unless ``IPV6_V6ONLY`` is set."""
    return _hosts_outcome(impl, IPV6_SPELLINGS)


def attack_ipv4_mapped(impl: object) -> Outcome:
    """Configure the host as ``::ffff:0.0.0.0``, the IPv4 wildcard inside an IPv6 address, which
    a dual-stack socket binds as every IPv4 interface."""
    return _hosts_outcome(impl, MAPPED_SPELLINGS)


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
        adapted=(
            AdaptedAttack("another spelling of 0.0.0.0: '0', '0x0', '0.0', '000.000.000.000'",
                          "encoding", attack_ipv4_spellings, beats=open_listener_first_try),
            AdaptedAttack("another spelling of '::': '::0', '0::', the long form",
                          "encoding", attack_ipv6_spellings, beats=open_listener_first_try),
            AdaptedAttack("the IPv4 wildcard as an IPv4-mapped IPv6 address, '::ffff:0.0.0.0'",
                          "variant", attack_ipv4_mapped, beats=open_listener_first_try),
        ),
    )
)
