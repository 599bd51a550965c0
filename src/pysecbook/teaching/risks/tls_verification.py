"""TLS without certificate verification talks to anyone.

A client that turns verification off (``ssl._create_unverified_context()``, or
``check_hostname = False`` with ``verify_mode = CERT_NONE``) still encrypts, but to whoever
answers: an impostor with a self-made certificate receives the client's secret. A default
context, trusting the right authority, refuses the impostor during the handshake.
Everything happens on 127.0.0.1 with throw-away certificates made in a private directory.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

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
    """Send ``secret`` over TLS, trusting only ``cafile`` and checking the server's name."""
    context = ssl.create_default_context(cafile=cafile)
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
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
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
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns_name or subject)]), critical=False
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


def make_pki(directory: Path) -> Pki:
    """Create, in ``directory``, a trusted CA and three server certificate files.

    ``genuine``: issued by the trusted CA for :data:`SERVER_NAME`. ``impostor``: issued for
    :data:`SERVER_NAME` by the attacker's own CA. ``wrong_name``: issued by the trusted CA,
    but for another name (a certificate the attacker legitimately holds for its own site).
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("pysecbook demo trusted CA", ca_key, "pysecbook demo trusted CA", ca_key, ca=True)
    evil_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    genuine = _certificate(SERVER_NAME, server_key, "pysecbook demo trusted CA", ca_key, ca=False)
    impostor = _certificate(SERVER_NAME, server_key, "impostor CA", evil_key, ca=False)
    wrong = _certificate("attacker.example", server_key, "pysecbook demo trusted CA", ca_key, ca=False)
    return Pki(
        trusted_ca=_write(directory / "trusted-ca.pem", ca),
        genuine=_write(directory / "genuine.pem", genuine, server_key),
        impostor=_write(directory / "impostor.pem", impostor, server_key),
        wrong_name=_write(directory / "wrong-name.pem", wrong, server_key),
    )


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


def connect(client: object, which: str = "impostor") -> Exchange:
    """Run ``client`` against a one-shot server presenting the certificate ``which``.

    ``which`` is ``genuine``, ``impostor`` or ``wrong_name`` (see :func:`make_pki`).
    """
    with private_tmpdir() as tmp:
        pki = make_pki(tmp)
        with OneShotServer(getattr(pki, which)) as server:
            try:
                reply = client(server.port, pki.trusted_ca, SECRET)  # type: ignore[operator]
                outcome = f"connected, server replied {reply[:17]!r}"
            except ssl.SSLCertVerificationError as exc:
                outcome = f"refused: {exc.verify_message}"
            except (OSError, ssl.SSLError) as exc:
                outcome = f"failed: {type(exc).__name__}: {exc}"
        return Exchange(outcome, server.received)


def attack(func: object) -> Outcome:
    """The impostor answers on the server's address with its own certificate."""
    exchange = connect(func, "impostor")
    got = exchange.server_received
    return Outcome(
        attack_succeeded=SECRET in got,
        observed=f"client {exchange.client}; impostor received {got!r}" if got
        else f"client {exchange.client}; impostor received nothing",
    )


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
    )
)
