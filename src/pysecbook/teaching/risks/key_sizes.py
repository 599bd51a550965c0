"""Key sizes: an RSA key of 1024 bits is below every current minimum.

Nobody is shown breaking RSA-1024 here. What is shown: the audit an attacker (or an
assessor) runs first, reading the public key and rating it against NIST SP 800-57's
security-strength table, and, at toy scale, why modulus size is the whole defence: the
private key of an RSA key follows from the factors of its public modulus.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from pysecbook.teaching.risks import Outcome, Risk, register

#: Security strength, in bits, that NIST SP 800-57 Part 1 gives to RSA and DSA moduli.
_RSA_DSA_STRENGTH = ((15360, 256), (7680, 192), (3072, 128), (2048, 112), (1024, 80))

#: Minimum strength NIST SP 800-131A accepts for new signatures since 2014.
MINIMUM_BITS = 112

PrivateKey = rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def generate_signing_key_insecure() -> rsa.RSAPrivateKey:
    """A signing key: RSA with a 1024-bit modulus."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # nosec B505 - deliberately insecure: demonstration of PSB-CRYPTO-WEAK-KEY


def generate_signing_key_secure() -> ed25519.Ed25519PrivateKey:
    """A signing key: Ed25519 (about 128-bit security, small and fast). RSA-3072 also fits."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()


def security_strength(public_key: object) -> tuple[str, int]:
    """The key's algorithm and size, and its security strength in bits (SP 800-57 Part 1)."""
    if isinstance(public_key, (rsa.RSAPublicKey, dsa.DSAPublicKey)):
        name = "RSA" if isinstance(public_key, rsa.RSAPublicKey) else "DSA"
        size = public_key.key_size
        strength = next((s for bits, s in _RSA_DSA_STRENGTH if size >= bits), 0)
        return f"{name}-{size}", strength
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"ECDSA {public_key.curve.name}", public_key.curve.key_size // 2
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 128
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 224
    raise TypeError(f"unrated key type {type(public_key).__name__}")


def attack(func: Callable[[], PrivateKey]) -> Outcome:
    """Rate the public key the way an audit does: is it under the 112-bit minimum?"""
    label, strength = security_strength(func().public_key())
    weak = strength < MINIMUM_BITS
    verdict = (
        f"below the {MINIMUM_BITS}-bit minimum (public factoring records: RSA-768 in 2009, "
        "the 829-bit RSA-250 in 2020)"
        if weak
        else f"meets the {MINIMUM_BITS}-bit minimum"
    )
    return Outcome(
        attack_succeeded=weak,
        observed=f"public key {label}: about {strength}-bit security, {verdict}",
    )


@dataclass(frozen=True)
class ToyBreak:
    """A toy RSA key recovered from its public modulus alone."""

    modulus_bits: int
    n: int
    p: int
    q: int
    d: int
    seconds: float
    message: int
    recovered_message: int


def _pollard_rho(n: int) -> int:
    """A non-trivial factor of the odd composite ``n`` (Pollard's rho, Brent's variant)."""
    for c in range(1, 100):
        y, r, q, g = 2, 1, 1, 1
        x = ys = y
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(128, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += 128
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    raise ArithmeticError(f"no factor found for {n}")


#: Pairs of primes for toy moduli of 40, 56 and 64 bits.
TOY_PRIMES = {
    40: (1048573, 1048571),
    56: (268435399, 268435367),
    64: (4294967291, 4294967279),
}


def break_toy_key(bits: int = 64, message: int = 42) -> ToyBreak:
    """Factor a toy RSA modulus and decrypt with the private exponent derived from it."""
    p, q = TOY_PRIMES[bits]
    n, e = p * q, 65537
    ciphertext = pow(message, e, n)
    start = time.perf_counter()
    f = _pollard_rho(n)
    g = n // f
    d = pow(e, -1, (f - 1) * (g - 1))
    seconds = time.perf_counter() - start
    return ToyBreak(n.bit_length(), n, min(f, g), max(f, g), d, seconds, message, pow(ciphertext, d, n))


RISK = register(
    Risk(
        id="PSB-CRYPTO-WEAK-KEY",
        title="RSA key of 1024 bits",
        summary=(
            "A 1024-bit RSA (or DSA) key gives about 80-bit security, below the 112-bit "
            "minimum; use Ed25519, or RSA of 3072 bits."
        ),
        cwe=326,
        bandit=("B505",),
        modules=("cryptography",),
        page="practices/sensitive-data",
        insecure=generate_signing_key_insecure,
        secure=generate_signing_key_secure,
        attack=attack,
    )
)
