"""Binding every interface: a development server reachable from the network.

A socket bound to the unspecified address (all IPv4 interfaces) accepts connections on
every address the host has, including the one on its local network or the internet. A
service meant for the machine itself should bind the loopback address.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

from pysecbook.risks import Outcome, Risk, register

_SIOCGIFADDR = 0x8915  # Linux ioctl: the IPv4 address of an interface


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


def _interface_addresses() -> list[str]:
    """IPv4 addresses of this host's interfaces, read locally (Linux ioctl)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
            except OSError:
                continue  # interface without an IPv4 address
            found.append(socket.inet_ntoa(reply[20:24]))
    return found


def non_loopback_address() -> str | None:
    """One IPv4 address of this host that is not a loopback address, or ``None``.

    Read from the interfaces, without sending a packet anywhere.
    """
    try:
        candidates = _interface_addresses()
    except OSError:
        candidates = []
    for address in candidates:
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def reachable(address: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``address:port`` is accepted."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def attack(impl: object) -> Outcome:
    """Connect to the service through this host's non-loopback address.

    Another machine on the network would use that address; the connection here never
    leaves the host. If the host has no such address, the attack reports what the socket
    is bound to instead.
    """
    sock = impl(0)  # type: ignore[operator]
    try:
        host, port = sock.getsockname()
        address = non_loopback_address()
        if address is None:
            exposed = not ipaddress.ip_address(host).is_loopback
            return Outcome(exposed, f"bound to {host}:{port}; this host has no non-loopback "
                                    f"address to try, so only the binding is shown")
        accepted = reachable(address, port)
        verdict = "connection accepted" if accepted else "connection refused"
        return Outcome(accepted, f"bound to {host}:{port}; via this host's network address "
                                 f"{address}:{port}: {verdict}")
    finally:
        sock.close()


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
