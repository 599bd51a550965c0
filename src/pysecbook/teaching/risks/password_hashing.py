"""Password storage: what a stolen table costs the attacker, per guess and per word list.

A leaked table of unsalted MD5 (or SHA-256) password hashes falls to a word list at
microseconds per guess, one computation per word for every user at once, and two users with
the same password have the same hash. A slow, salted hash (Argon2id, scrypt) buys time per
guess, and every guess must be repeated for every salt; it does not make a listed password
safe, since the attacker still tries the list, only slower. What keeps listed passwords out
of the table is refusing them when they are set: the secure version checks a list of
breached passwords first (NIST SP 800-63B asks for that), then stores Argon2id.
Book page: ``book/practices/passwords``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import argon2

from pysecbook.teaching.risks import Outcome, Risk, register

#: The accounts of the demonstration, and the (weak, but not top-ten) passwords they want.
#: Alice and Carol chose the same password.
USERS: dict[str, str] = {
    "alice": "sunshine2019",
    "bob": "dragon!!",
    "carol": "sunshine2019",
}

_BASE_WORDS = ("password", "qwerty", "dragon", "monkey", "sunshine", "football")
_SUFFIXES = ("", "1", "!!", "2019")


def word_list() -> list[str]:
    """The attacker's candidates: common words with common suffixes (24 guesses).

    The users' passwords are in it, but not first. Real lists have millions of entries in
    the same spirit; this one is small so that the slow hashes can be run to the end here.
    """
    return [w + s for s, w in itertools.product(_SUFFIXES, _BASE_WORDS)]


def breached_passwords() -> frozenset[str]:
    """The passwords the secure version refuses. A real service checks a breach corpus,
    such as Have I Been Pwned's Pwned Passwords (downloadable, or queried with only the first
    five hex digits of the password's SHA-1), whose entries are what attackers' lists are
    made of; the demonstration uses the attacker's own list."""
    return frozenset(word_list())


class BreachedPassword(ValueError):
    """The password appears in a list of breached passwords: choose another."""


def hash_password_insecure(password: str) -> str:
    """Store a password as its MD5 hex digest: unsalted, and fast to compute."""
    return hashlib.md5(password.encode()).hexdigest()  # nosec B324 - deliberately insecure: demonstration of PSB-PASSWORD-FAST-HASH


def hash_password_sha256(password: str) -> str:
    """Store a password as its SHA-256 hex digest: a strong hash, used the same wrong way."""
    return hashlib.sha256(password.encode()).hexdigest()


def hash_password_scrypt(password: str) -> str:
    """Store a password with scrypt from the standard library (16 MiB, random salt)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"$scrypt$n=16384,r=8,p=1${salt.hex()}${digest.hex()}"


def hash_password_argon2(password: str) -> str:
    """Store a password with Argon2id: a random salt per password, a deliberate cost.

    The parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane);
    ``argon2.PasswordHasher()`` without arguments is stronger still (64 MiB, 3 passes).
    """
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
    return hasher.hash(password)


def hash_password_secure(password: str) -> str:
    """Refuse a password found in a breach corpus, then store it with Argon2id."""
    if password in breached_passwords():
        raise BreachedPassword("this password appears in a list of breached passwords")
    return hash_password_argon2(password)


def checksum(data: bytes) -> str:
    """A cache key, not a security control: MD5, declared so with ``usedforsecurity=False``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_for_security_refused() -> str | None:
    """Why ``hashlib.md5()`` without ``usedforsecurity=False`` fails here (an OpenSSL in
    FIPS mode refuses it), or None when it works."""
    try:
        hashlib.md5(b"probe")  # nosec B324 - probes whether this OpenSSL refuses MD5 for security use
    except ValueError as exc:
        return str(exc)
    return None


def verify_password_secure(stored: str, password: str) -> bool:
    """Check a login against an Argon2 hash; the salt and parameters are read from ``stored``."""
    try:
        return argon2.PasswordHasher().verify(stored, password)
    except argon2.exceptions.VerificationError:
        return False


def _salted(stored: str) -> bool:
    return stored.startswith("$")


def _guess_matches(stored: str, guess: str) -> bool:
    """The attacker recognises the storage format, as cracking tools do, and tests a guess."""
    if stored.startswith("$argon2"):
        return verify_password_secure(stored, guess)
    if stored.startswith("$scrypt$"):
        _, _, _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(guess.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
        return hmac.compare_digest(candidate.hex(), digest)
    if len(stored) == 64:
        return hashlib.sha256(guess.encode()).hexdigest() == stored
    return hashlib.md5(guess.encode()).hexdigest() == stored  # nosec B324 - deliberately insecure: the attacker recomputes the leaked MD5 hashes of PSB-PASSWORD-FAST-HASH


def leaked_table(hash_password: Callable[[str], str]) -> dict[str, str]:
    """The users table as an attacker would dump it: user name to stored hash.

    Each user signs up with the password they want; when the service refuses it, they let
    a password manager generate one instead.
    """
    table = {}
    for user, password in USERS.items():
        try:
            table[user] = hash_password(password)
        except BreachedPassword:
            table[user] = hash_password(secrets.token_urlsafe(12))
    return table


@dataclass(frozen=True)
class CrackResult:
    """What a word-list attack on a leaked table got, run to the end of the list."""

    recovered: dict[str, str]
    guesses: int
    seconds: float
    shared_hashes: list[tuple[str, ...]]
    #: True when every word was tried against every hash that was not recovered.
    exhausted: bool

    @property
    def seconds_per_guess(self) -> float:
        return self.seconds / self.guesses if self.guesses else float("nan")


def crack(table: dict[str, str], words: Sequence[str]) -> CrackResult:
    """Try the word list against every stored hash until each is recovered or the list ends.

    A guess is one hash computation. Unsalted hashes need one computation per word for the
    whole table; a salted hash needs one per word and per stored hash.
    """
    by_hash: dict[str, list[str]] = {}
    for user, stored in table.items():
        by_hash.setdefault(stored, []).append(user)
    shared = [tuple(users) for users in by_hash.values() if len(users) > 1]
    recovered: dict[str, str] = {}
    guesses = 0
    start = time.perf_counter()
    for stored, users in by_hash.items():
        if not _salted(stored):
            continue  # done below, once per word for all unsalted hashes
        for word in words:
            guesses += 1
            if _guess_matches(stored, word):
                recovered.update(dict.fromkeys(users, word))
                break
    unsalted = {stored: users for stored, users in by_hash.items() if not _salted(stored)}
    for word in words:
        if not unsalted:
            break
        guesses += 1
        for stored in [s for s in unsalted if _guess_matches(s, word)]:
            recovered.update(dict.fromkeys(unsalted.pop(stored), word))
    seconds = time.perf_counter() - start
    return CrackResult(recovered, guesses, seconds, shared, len(recovered) < len(table))


def seconds_per_hash(hash_password: Callable[[str], str], repeats: int = 5) -> float:
    """The measured cost of one hash (the median of ``repeats``) on the interpreter running."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        hash_password(f"candidate{i}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attack(func: Callable[[str], str]) -> Outcome:
    """Dump the users table after sign-up, then run the whole word list against it."""
    table = leaked_table(func)
    result = crack(table, word_list())
    shared = ", ".join("=".join(s) for s in result.shared_hashes) or "none"
    found = ", ".join(f"{u}:{p}" for u, p in sorted(result.recovered.items())) or "nothing"
    list_end = "the list exhausted" if result.exhausted else "every user recovered"
    return Outcome(
        attack_succeeded=bool(result.recovered),
        observed=(
            f"{result.guesses} guesses in {result.seconds:.2f} s "
            f"({result.seconds_per_guess * 1e6:,.0f} µs each), {list_end}; "
            f"users sharing a hash: {shared}; recovered: {found}"
        ),
    )


@dataclass(frozen=True)
class Cost:
    """What one storage scheme costs the attacker, from one measured hash."""

    scheme: str
    seconds_per_guess: float
    list_length: int

    @property
    def seconds_for_list(self) -> float:
        """Time to run this word list against one stored hash."""
        return self.seconds_per_guess * self.list_length

    def seconds_for(self, words: int) -> float:
        return self.seconds_per_guess * words


def costs() -> list[Cost]:
    """Cost per guess of each scheme on the interpreter running, measured now."""
    schemes = (("MD5", hash_password_insecure), ("SHA-256", hash_password_sha256),
               ("scrypt (16 MiB)", hash_password_scrypt), ("Argon2id (19 MiB, t=2)", hash_password_argon2))
    return [Cost(name, seconds_per_hash(func), len(word_list())) for name, func in schemes]


RISK = register(
    Risk(
        id="PSB-PASSWORD-FAST-HASH",
        title="Passwords stored as a fast unsalted hash",
        summary=(
            "MD5 or SHA-256 of a password is cracked from a word list at millions of guesses "
            "per second, and equal passwords give equal hashes; refuse breached passwords and "
            "store Argon2id or scrypt."
        ),
        cwe=916,
        bandit=("B324",),
        modules=("hashlib", "argon2"),
        page="practices/passwords",
        insecure=hash_password_insecure,
        secure=hash_password_secure,
        attack=attack,
    )
)
