"""TLS without certificate verification talks to anyone.

A client that turns verification off (``ssl._create_unverified_context()``, or
``check_hostname = False`` with ``verify_mode = CERT_NONE``) still encrypts, but to whoever
answers: an impostor with a self-made certificate receives the client's secret. A default
context, trusting the right authority, refuses the impostor during the handshake.

The adapted attacks bring the certificates an attacker can actually get: one from the trusted
authority for a name the attacker owns (which a client with ``check_hostname = False``
accepts), one that has expired or is self-signed, and one signed by the attacker's own
certificate as if it were an authority.
Everything happens on 127.0.0.1 with throw-away certificates made in a private directory.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The name the client means to reach (resolved nowhere: the client connects to 127.0.0.1).
SERVER_NAME = "api.internal.example"

#: What the client sends once connected.
SECRET = b"Authorization: Bearer psb-demo-6a1f0c93\r\n"

TIMEOUT = 5.0


def send_secret_insecure(port: int, cafile: str, secret: bytes) -> bytes:
    """Send ``secret`` to the server over TLS, without verifying its certificate."""
    context = ssl._create_unverified_context()  # nosec B323 - deliberately insecure: demonstration of PSB-TLS-NO-VERIFY
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
            tls.sendall(secret)
            return tls.recv(1024)


def send_secret_secure(port: int, cafile: str, secret: bytes) -> bytes:
    """Send ``secret`` over TLS, trusting only ``cafile`` and checking the server's name.

    ``server_hostname`` is both the name sent in the handshake (SNI, so that a server with
    several certificates picks the right one) and the name the certificate must carry: the
    client connects to an address, and checks the name.

    Assumes: ``cafile`` holds only authorities trusted to vouch for this name (with the
    system's store, that is every public authority); the name is the one the user meant,
    not one taken from the data being sent; and the clock is right, since validity dates are
    checked against it.
    Does not stop: a certificate for the name issued by a trusted authority to someone else
    (a misissued or stolen one; revocation is not checked: ``ssl`` reads no CRL or OCSP
    unless told to); a server that is genuine but compromised; and what TLS does not hide:
    the server's name in the handshake's SNI, and the sizes and timing of the messages.
    """
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
            tls.sendall(secret)
            return tls.recv(1024)


def send_secret_first_try(port: int, cafile: str, secret: bytes) -> bytes:
    """A first fix, as it is often written when a test server's certificate names another
    host: trust the right authority, and turn the name check off.

    Kept to show the adapted attacks beating it: any certificate the trusted authority ever
    issued, to anyone, for any name, now opens the connection.
    """
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
            tls.sendall(secret)
            return tls.recv(1024)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    dns_name: str | None = None,
    names: Sequence[str | ipaddress.IPv4Address] | None = None,
    valid_from: datetime.timedelta = datetime.timedelta(minutes=-5),
    valid_until: datetime.timedelta = datetime.timedelta(hours=1),
) -> x509.Certificate:
    """A certificate for ``subject``, signed by ``issuer_key``; a server certificate names
    ``names`` (DNS names or IP addresses; ``dns_name`` or the subject by default). Validity
    runs from ``valid_from`` to ``valid_until``, both relative to now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid_from)
        .not_valid_after(now + valid_until)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        alt_names = [x509.IPAddress(n) if isinstance(n, ipaddress.IPv4Address) else x509.DNSName(n)
                     for n in (names or [dns_name or subject])]
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alt_names), critical=False
        ).add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, *items: x509.Certificate | ec.EllipticCurvePrivateKey) -> str:
    data = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            data += item.public_bytes(serialization.Encoding.PEM)
        else:
            data += item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
    path.write_bytes(data)
    return str(path)


@dataclass(frozen=True)
class Pki:
    """Throw-away certificates: the CA the client trusts, and the servers' chains."""

    trusted_ca: str
    genuine: str
    impostor: str
    wrong_name: str


#: The trusted authority's name in every demonstration PKI.
TRUSTED_CA = "pysecbook demo trusted CA"


@dataclass(frozen=True)
class Authority:
    """A certificate authority of the demonstration: its name and signing key."""

    name: str
    key: ec.EllipticCurvePrivateKey


def make_pki(directory: Path) -> Pki:
    """Create, in ``directory``, a trusted CA and three server certificate files.

    ``genuine``: issued by the trusted CA for :data:`SERVER_NAME`. ``impostor``: issued for
    :data:`SERVER_NAME` by the attacker's own CA. ``wrong_name``: issued by the trusted CA,
    but for another name (a certificate the attacker legitimately holds for its own site).
    """
    pki, _ = make_lab(directory)
    return pki


def make_lab(directory: Path) -> tuple[Pki, Authority]:
    """:func:`make_pki`, and the trusted authority's key, for issuing more certificates."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(TRUSTED_CA, ca_key, TRUSTED_CA, ca_key, ca=True)
    evil_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    genuine = _certificate(SERVER_NAME, server_key, TRUSTED_CA, ca_key, ca=False)
    impostor = _certificate(SERVER_NAME, server_key, "impostor CA", evil_key, ca=False)
    wrong = _certificate("attacker.example", server_key, TRUSTED_CA, ca_key, ca=False)
    pki = Pki(
        trusted_ca=_write(directory / "trusted-ca.pem", ca),
        genuine=_write(directory / "genuine.pem", genuine, server_key),
        impostor=_write(directory / "impostor.pem", impostor, server_key),
        wrong_name=_write(directory / "wrong-name.pem", wrong, server_key),
    )
    return pki, Authority(TRUSTED_CA, ca_key)


def issue(directory: Path, label: str, authority: Authority,
          names: Sequence[str | ipaddress.IPv4Address], **validity: datetime.timedelta) -> str:
    """A server certificate for ``names`` from ``authority``, with its key, written to
    ``directory`` as a chain file a server can load; ``validity`` as for
    :func:`_certificate`."""
    key = ec.generate_private_key(ec.SECP256R1())
    first = names[0] if isinstance(names[0], str) else str(names[0])
    subject = first.replace("\x00", "") or "unnamed"
    cert = _certificate(subject, key, authority.name, authority.key, ca=False,
                        names=names, **validity)
    return _write(directory / f"{label}.pem", cert, key)


@dataclass
class OneShotServer:
    """A TLS server on 127.0.0.1 that accepts one connection, records it and stops."""

    chain_file: str
    received: bytes = b""
    error: str = ""
    port: int = 0
    _listener: socket.socket | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> OneShotServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.chain_file)
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(TIMEOUT)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, args=(listener, context), daemon=True)
        self._thread.start()
        return self

    def _serve(self, listener: socket.socket, context: ssl.SSLContext) -> None:
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                with context.wrap_socket(conn, server_side=True) as tls:
                    self.received = tls.recv(1024)
                    tls.sendall(b"HTTP/1.0 200 OK\r\n\r\nthanks")
        except (OSError, ssl.SSLError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.join(TIMEOUT + 1)
        if self._listener is not None:
            self._listener.close()


@dataclass(frozen=True)
class Exchange:
    """One connection attempt: what the client got, and what the server received."""

    client: str
    server_received: bytes


def exchange_with(client: object, chain_file: str, cafile: str) -> Exchange:
    """Run ``client`` against a one-shot server presenting ``chain_file``."""
    with OneShotServer(chain_file) as server:
        try:
            reply = client(server.port, cafile, SECRET)  # type: ignore[operator]
            outcome = f"connected, server replied {reply[:17]!r}"
        except ssl.SSLCertVerificationError as exc:
            outcome = f"refused: {exc.verify_message}"
        except (OSError, ssl.SSLError) as exc:
            outcome = f"failed: {type(exc).__name__}: {exc}"
    return Exchange(outcome, server.received)


def connect(client: object, which: str = "impostor") -> Exchange:
    """Run ``client`` against a one-shot server presenting the certificate ``which``.

    ``which`` is ``genuine``, ``impostor`` or ``wrong_name`` (see :func:`make_pki`).
    """
    with private_tmpdir() as tmp:
        pki = make_pki(tmp)
        return exchange_with(client, getattr(pki, which), pki.trusted_ca)


def attack(func: object) -> Outcome:
    """The impostor answers on the server's address with its own certificate."""
    exchange = connect(func, "impostor")
    got = exchange.server_received
    return Outcome(
        attack_succeeded=SECRET in got,
        observed=f"client {exchange.client}; impostor received {got!r}" if got
        else f"client {exchange.client}; impostor received nothing",
    )


#: Names the attacker can get a certificate for from the trusted authority, because they own
#: the domain (or, for the address, because an authority issues certificates for addresses).
ATTACKER_NAMES: dict[str, list[str | ipaddress.IPv4Address]] = {
    "its own site": ["attacker.example"],
    "the server's name as a subdomain": [f"{SERVER_NAME}.attacker.example"],
    "a wildcard of its own domain": ["*.attacker.example"],
    "a look-alike": [SERVER_NAME.replace(".", "-", 1)],
    "the server's name, a NUL byte, its own domain": [f"{SERVER_NAME}\x00.attacker.example"],
    "the address the client dials": [ipaddress.IPv4Address("127.0.0.1")],
}


def _leaks(client: object, chains: dict[str, str], cafile: str) -> Outcome:
    """Serve each chain in turn; name the ones that got the secret."""
    got, results = [], []
    for label, chain in chains.items():
        exchange = exchange_with(client, chain, cafile)
        results.append(f"{label}: {exchange.client.split(',')[0]}")
        if SECRET in exchange.server_received:
            got.append(label)
    if got:
        return Outcome(True, f"the secret was sent to the attacker's server with: {'; '.join(got)}")
    return Outcome(False, "; ".join(results))


def attack_other_names(client: object) -> Outcome:
    """Answer with a certificate that the trusted authority really issued, to the attacker,
    for a name the attacker owns: its own site, the server's name as its subdomain, a
    wildcard, a look-alike, a NUL byte, the IP address the client connects to."""
    with private_tmpdir() as tmp:
        pki, authority = make_lab(tmp)
        chains = {label: issue(tmp, f"name-{i}", authority, names)
                  for i, (label, names) in enumerate(ATTACKER_NAMES.items())}
        return _leaks(client, chains, pki.trusted_ca)


def attack_bad_dates_or_issuer(client: object) -> Outcome:
    """Answer with a certificate for the right name that is wrong in time or in issuer: the
    trusted authority's, expired (a retired server's key that leaked) or not yet valid, and
    one the attacker signed itself."""
    day = datetime.timedelta(days=1)
    with private_tmpdir() as tmp:
        pki, authority = make_lab(tmp)
        key = ec.generate_private_key(ec.SECP256R1())
        self_signed = _certificate(SERVER_NAME, key, SERVER_NAME, key, ca=False)
        chains = {
            "expired": issue(tmp, "expired", authority, [SERVER_NAME],
                             valid_from=-30 * day, valid_until=-day),
            "not yet valid": issue(tmp, "future", authority, [SERVER_NAME],
                                   valid_from=day, valid_until=30 * day),
            "self-signed": _write(tmp / "self-signed.pem", self_signed, key),
        }
        return _leaks(client, chains, pki.trusted_ca)


def attack_leaf_as_authority(client: object) -> Outcome:
    """Use the certificate the trusted authority issued for the attacker's own site as if it
    were an authority: sign a certificate for the server's name with its key, and send both."""
    with private_tmpdir() as tmp:
        pki, authority = make_lab(tmp)
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate("attacker.example", leaf_key, authority.name, authority.key, ca=False)
        key = ec.generate_private_key(ec.SECP256R1())
        forged = _certificate(SERVER_NAME, key, "attacker.example", leaf_key, ca=False)
        chain = _write(tmp / "leaf-as-ca.pem", forged, leaf, key)
        return _leaks(client, {"a chain through the attacker's own certificate": chain},
                      pki.trusted_ca)


RISK = register(
    Risk(
        id="PSB-TLS-NO-VERIFY",
        title="TLS without certificate verification",
        summary=(
            "An unverified TLS context encrypts to whoever answers, impostors included; keep "
            "ssl.create_default_context() and give it the CA to trust."
        ),
        cwe=295,
        bandit=("B323",),
        modules=("ssl",),
        page="practices/sensitive-data",
        insecure=send_secret_insecure,
        secure=send_secret_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("certificates from the trusted authority for names the attacker "
                          "owns: its site, a subdomain, a wildcard, a look-alike, a NUL byte, "
                          "the IP address", "variant", attack_other_names,
                          beats=send_secret_first_try),
            AdaptedAttack("the right name, but expired, not yet valid, or self-signed",
                          "crypto", attack_bad_dates_or_issuer),
            AdaptedAttack("a certificate for the right name signed with the attacker's own "
                          "site certificate, as if it were an authority", "variant",
                          attack_leaf_as_authority),
        ),
    )
)
