"""Key sizes: an RSA modulus small enough to factor gives away the private key.

The strength of an RSA key is the difficulty of factoring its public modulus: from the two
prime factors anyone computes the private exponent. The attack here is that break, run for
real: read the public key, factor its modulus with Pollard's rho within a fixed number of
steps, derive the private exponent and read a message encrypted to the key. It succeeds on
the insecure key, a 64-bit modulus (the scale a page can factor in milliseconds, standing in
for the 512-bit keys of old devices and the 1024-bit keys retired since 2014), and gets
nowhere with a real key: an RSA-2048 modulus, or an Ed25519 key, which has no modulus at all.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Security strength, in bits, that NIST SP 800-57 Part 1 gives to RSA and DSA moduli.
_RSA_DSA_STRENGTH = ((15360, 256), (7680, 192), (3072, 128), (2048, 112), (1024, 80))

#: Minimum strength NIST SP 800-131A accepts for new signatures since 2014.
MINIMUM_BITS = 112

#: Size of the insecure key's modulus: small enough for a page to factor.
WEAK_BITS = 64

#: The demonstration attacker's patience: Pollard-rho steps, and seconds, before giving up.
#: A 64-bit modulus needs about 2**16 steps; a 2048-bit one about 2**512.
RHO_STEPS = 2**22
RHO_SECONDS = 10.0

PrivateKey = rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


#: The odd primes below 2000, tried as divisors before Miller-Rabin (a speed-up only).
_SMALL_PRIMES = tuple(p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2)))


def _is_probable_prime(n: int, rounds: int = 32) -> bool:
    """Trial division by small primes, then Miller-Rabin with random bases."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits: int) -> int:
    """A random prime of exactly ``bits`` bits."""
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _is_probable_prime(candidate):
            return candidate


def rsa_key_from_primes(p: int, q: int, e: int = 65537) -> rsa.RSAPrivateKey:
    """An RSA private key assembled from two primes (cryptography accepts any size this way)."""
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def generate_signing_key_insecure() -> rsa.RSAPrivateKey:
    """A signing key whose RSA modulus is too small: 64 bits, assembled by hand.

    cryptography refuses to *generate* RSA keys under 1024 bits; code that builds its own
    keys, or reads an old one from a device, has no such guard.
    """
    while True:
        p, q = random_prime(WEAK_BITS // 2), random_prime(WEAK_BITS // 2)
        if p != q and (p * q).bit_length() == WEAK_BITS and math.gcd(65537, (p - 1) * (q - 1)) == 1:
            return rsa_key_from_primes(p, q)


def generate_signing_key_secure() -> ed25519.Ed25519PrivateKey:
    """A signing key: Ed25519 (about 128-bit security, small and fast). RSA-3072 also fits.

    Assumes: the operating system's random generator is seeded (``cryptography`` draws the
    32-byte seed from it), and the private key is stored where only its owner can read it.
    Does not stop: theft of the private key, which no key size helps against; and a quantum
    computer large enough to run Shor's algorithm, which would break Ed25519 as it would RSA
    (no such machine is known; post-quantum signatures such as ML-DSA, FIPS 204, are the
    answer there). Ed25519 signs and verifies; it does not encrypt. A key exchange needs
    X25519, and an RSA key, if one is required, needs 3072 bits, e = 65537 and primes made
    by the library, never by hand.
    """
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()


def generate_signing_key_first_try() -> rsa.RSAPrivateKey:
    """A first fix, as a hand-written generator makes it: RSA-2048, the right size, with both
    primes found from one random start (the second is the next prime after the first).

    Kept to show Fermat's method: when the two primes are close, the modulus is close to a
    square and its factors are found in a step. A flaw of this kind shipped in a key
    generation library and in printers' certificates (CVE-2022-26320).
    """
    while True:
        p = random_prime(1024)
        q = p + 2
        while not _is_probable_prime(q):
            q += 2
        if (p * q).bit_length() == 2048 and math.gcd(65537, (p - 1) * (q - 1)) == 1:
            return rsa_key_from_primes(p, q)


def generate_signing_key_small_exponent() -> rsa.RSAPrivateKey:
    """Another first fix: RSA-2048 made by the library, with the public exponent 3 because it
    makes encryption and verification fast. Kept to show the cube-root attack on a short
    message encrypted without padding."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=3, key_size=2048)


def generate_rsa_1024() -> rsa.RSAPrivateKey:
    """What Bandit's B505 does see: the library call, with a literal size under 2048 bits."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # nosec B505 - deliberately insecure: demonstration of PSB-CRYPTO-WEAK-KEY


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


def pollard_rho(n: int, max_steps: int = RHO_STEPS,
                max_seconds: float = RHO_SECONDS) -> tuple[int | None, int]:
    """A non-trivial factor of the odd composite ``n`` (Brent's variant), or None after
    ``max_steps`` squarings or ``max_seconds``; returns the factor and the steps taken."""
    steps = 0
    deadline = time.perf_counter() + max_seconds
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
                if time.perf_counter() > deadline:
                    return None, steps + r + k
            steps += 2 * r
            if steps > max_steps:
                return None, steps
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g, steps
    return None, steps


@dataclass(frozen=True)
class Break:
    """What the factoring attack got from one public key."""

    label: str
    factor: int | None
    steps: int
    seconds: float
    message: int | None = None
    recovered: int | None = None

    @property
    def broken(self) -> bool:
        return self.recovered is not None and self.recovered == self.message


def factor_public_key(public_key: object, message: int = 42, max_steps: int = RHO_STEPS,
                      max_seconds: float = RHO_SECONDS) -> Break:
    """Factor an RSA public key's modulus, derive the private exponent, decrypt ``message``.

    The message is encrypted to the public key first, as a victim would; the attacker
    starts from the public key and that ciphertext only.
    """
    label, _ = security_strength(public_key)
    if not isinstance(public_key, rsa.RSAPublicKey):
        return Break(label, None, 0, 0.0)
    numbers = public_key.public_numbers()
    n, e = numbers.n, numbers.e
    ciphertext = pow(message, e, n)
    start = time.perf_counter()
    p, steps = pollard_rho(n, max_steps, max_seconds)
    seconds = time.perf_counter() - start
    if p is None:
        return Break(label, None, steps, seconds, message)
    d = pow(e, -1, (p - 1) * (n // p - 1))
    return Break(label, p, steps, seconds, message, pow(ciphertext, d, n))


def describe_break(result: Break) -> str:
    """One sentence: what the factoring attack got from a key."""
    if result.broken:
        return (f"public key {result.label}: modulus factored in {result.steps:,} steps "
                f"({result.seconds * 1000:.0f} ms); private exponent derived; "
                f"the encrypted message {result.message} read back as {result.recovered}")
    if result.steps:
        return (f"public key {result.label}: no factor after {result.steps:,} steps "
                f"({result.seconds:.1f} s); the message stays unread")
    return f"public key {result.label}: no modulus to factor; the message stays unread"


def attack(func: Callable[[], PrivateKey]) -> Outcome:
    """Take the public key and a message encrypted to it; factor the modulus and read it."""
    result = factor_public_key(func().public_key())
    return Outcome(attack_succeeded=result.broken, observed=describe_break(result))


#: Steps of Fermat's method the attacker allows (each step is one integer square root).
FERMAT_STEPS = 100_000


def fermat_factor(n: int, max_steps: int = FERMAT_STEPS) -> tuple[int | None, int]:
    """A factor of the odd ``n`` whose two prime factors are close (Fermat's method: find
    ``a`` with ``a*a - n`` a square ``b*b``, then ``n = (a - b)(a + b)``), or None after
    ``max_steps``; returns the factor and the steps taken."""
    a = math.isqrt(n)
    if a * a < n:
        a += 1
    for step in range(1, max_steps + 1):
        b2 = a * a - n
        b = math.isqrt(b2)
        if b * b == b2:
            return (a - b if a - b > 1 else None), step
        a += 1
    return None, max_steps


def attack_close_primes(func: Callable[[], PrivateKey]) -> Outcome:
    """Take the public key and a message encrypted to it; if the modulus's two primes are
    close, Fermat's method factors it in a few steps, whatever its size."""
    public_key = func().public_key()
    label, _ = security_strength(public_key)
    if not isinstance(public_key, rsa.RSAPublicKey):
        return Outcome(False, f"public key {label}: no modulus to factor; the message stays unread")
    numbers = public_key.public_numbers()
    n, e, message = numbers.n, numbers.e, 42
    ciphertext = pow(message, e, n)
    p, steps = fermat_factor(n)
    if p is None:
        return Outcome(False, f"public key {label}: Fermat's method found no factor in {steps:,} "
                              "steps; the message stays unread")
    d = pow(e, -1, (p - 1) * (n // p - 1))
    recovered = pow(ciphertext, d, n)
    return Outcome(recovered == message,
                   f"public key {label}: modulus factored by Fermat's method in {steps} "
                   f"step(s) (the primes differ by {abs(n // p - p)}); the encrypted message "
                   f"{message} read back as {recovered}")


def integer_root(value: int, k: int) -> int:
    """The largest integer ``r`` with ``r**k <= value``."""
    low, high = 0, 1 << (value.bit_length() // k + 1)
    while low < high:
        mid = (low + high + 1) // 2
        if mid**k <= value:
            low = mid
        else:
            high = mid - 1
    return low


def attack_small_exponent(func: Callable[[], PrivateKey]) -> Outcome:
    """Take the public key and a short message encrypted to it without padding: with a small
    exponent, ``m**e`` is smaller than the modulus, so the ciphertext's integer e-th root is
    the message; no factoring needed."""
    public_key = func().public_key()
    label, _ = security_strength(public_key)
    if not isinstance(public_key, rsa.RSAPublicKey):
        return Outcome(False, f"public key {label}: no exponent to exploit; the message stays unread")
    numbers = public_key.public_numbers()
    n, e = numbers.n, numbers.e
    message = int.from_bytes(b"wire 1000 EUR to account 4711", "big")
    ciphertext = pow(message, e, n)
    root = integer_root(ciphertext, e) if e.bit_length() <= 32 else 0
    if root**e == ciphertext:
        text = root.to_bytes((root.bit_length() + 7) // 8, "big").decode(errors="replace")
        return Outcome(root == message,
                       f"public key {label}, e = {e}: m**e is below the modulus, so the "
                       f"ciphertext's integer root is the message: {text!r}")
    return Outcome(False, f"public key {label}, e = {e}: m**e wraps around the modulus; the "
                          "root of the ciphertext is not the message")


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


#: Pairs of primes for toy moduli of 40, 56 and 64 bits.
TOY_PRIMES = {
    40: (1048573, 1048571),
    56: (268435399, 268435367),
    64: (4294967291, 4294967279),
}


def break_toy_key(bits: int = 64, message: int = 42) -> ToyBreak:
    """Factor one of the fixed toy moduli and decrypt with the private exponent derived."""
    p, q = TOY_PRIMES[bits]
    result = factor_public_key(rsa.RSAPublicNumbers(65537, p * q).public_key(), message)
    assert result.factor is not None and result.recovered is not None  # nosec B101 - toy moduli always factor
    f = result.factor
    g = p * q // f
    d = pow(65537, -1, (f - 1) * (g - 1))
    return ToyBreak((p * q).bit_length(), p * q, min(f, g), max(f, g), d, result.seconds, message,
                    result.recovered)


RISK = register(
    Risk(
        id="PSB-CRYPTO-WEAK-KEY",
        title="RSA modulus small enough to factor",
        summary=(
            "The private key of an RSA key follows from the factors of its public modulus; "
            "a small modulus is factored and the key recovered. Use Ed25519, or RSA of 3072 bits."
        ),
        cwe=326,
        bandit=(),
        modules=("cryptography",),
        page="practices/sensitive-data",
        insecure=generate_signing_key_insecure,
        secure=generate_signing_key_secure,
        attack=attack,
        no_static_rule=(
            "The modulus is built from primes the code picked, so its size is a value computed "
            "at run time; Bandit's B505 sees only a literal key_size passed to a key generator."
        ),
        adapted=(
            AdaptedAttack("a 2048-bit modulus whose primes are close together (Fermat's method)",
                          "crypto", attack_close_primes, beats=generate_signing_key_first_try),
            AdaptedAttack("public exponent 3 and a short message without padding (cube root)",
                          "crypto", attack_small_exponent,
                          beats=generate_signing_key_small_exponent),
        ),
    )
)
