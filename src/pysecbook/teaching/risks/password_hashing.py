"""Password storage: a fast unsalted hash against a slow salted one.

A leaked table of unsalted MD5 (or SHA-256) password hashes falls to a word list in
microseconds per guess, and two users with the same password have the same hash. Argon2id,
with a random salt per password and a deliberate cost per guess, turns the same word list,
run for the same time, into a handful of guesses that recover nothing.
Book page: ``book/practices/passwords``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import argon2

from pysecbook.teaching.risks import Outcome, Risk, register

#: The accounts of the demonstration, and their (weak, but not top-ten) passwords.
#: Alice and Carol chose the same password.
USERS: dict[str, str] = {
    "alice": "sunshine2019",
    "bob": "dragon!!",
    "carol": "sunshine2019",
}

_BASE_WORDS = (
    "password", "123456", "qwerty", "letmein", "monkey", "football", "iloveyou", "admin",
    "welcome", "shadow", "master", "princess", "baseball", "superman", "trustno1", "hello",
    "freedom", "whatever", "starwars", "sunshine", "dragon", "pokemon", "secret", "summer",
)
_SUFFIXES = (
    "", "1", "12", "123", "1234", "!", "!!", "?", "01", "007", "69", "99", "2000", "2010",
    "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024", "2025",
)

#: Seconds of attacker work allowed against each implementation: the same for both.
BUDGET_SECONDS = 1.0


def word_list() -> list[str]:
    """The attacker's candidates: common words with common suffixes (600 guesses).

    The users' passwords are in it, but far from the top: a real list has millions of
    entries in the same spirit.
    """
    return [w + s for s, w in itertools.product(_SUFFIXES, _BASE_WORDS)]


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


def checksum(data: bytes) -> str:
    """A cache key, not a security control: MD5, declared so with ``usedforsecurity=False``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def hash_password_secure(password: str) -> str:
    """Store a password with Argon2id: a random salt per password, a deliberate cost.

    The parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane);
    ``argon2.PasswordHasher()`` without arguments is stronger still (64 MiB, 3 passes).
    """
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
    return hasher.hash(password)


def verify_password_secure(stored: str, password: str) -> bool:
    """Check a login against an Argon2 hash; the salt and parameters are read from ``stored``."""
    try:
        return argon2.PasswordHasher().verify(stored, password)
    except argon2.exceptions.VerificationError:
        return False


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


@dataclass(frozen=True)
class CrackResult:
    """What a word-list attack on a leaked table got within its time budget."""

    recovered: dict[str, str]
    guesses: int
    seconds: float
    shared_hashes: list[tuple[str, ...]]

    @property
    def seconds_per_guess(self) -> float:
        return self.seconds / self.guesses if self.guesses else float("nan")


def leaked_table(hash_password: Callable[[str], str]) -> dict[str, str]:
    """The users table as an attacker would dump it: user name to stored hash."""
    return {user: hash_password(password) for user, password in USERS.items()}


def crack(table: dict[str, str], words: Sequence[str], budget: float = BUDGET_SECONDS) -> CrackResult:
    """Try every word against every stored hash, in order, until the time budget runs out.

    Each (guess, stored hash) test counts as one guess. Unsalted hashes would allow one
    computation per word for all users at once; counting per user keeps the comparison
    generous to the fast hash.
    """
    by_hash: dict[str, list[str]] = {}
    for user, stored in table.items():
        by_hash.setdefault(stored, []).append(user)
    shared = [tuple(users) for users in by_hash.values() if len(users) > 1]
    recovered: dict[str, str] = {}
    guesses = 0
    start = time.perf_counter()
    for word in words:
        if time.perf_counter() - start > budget or len(recovered) == len(table):
            break
        for user, stored in table.items():
            if user in recovered:
                continue
            guesses += 1
            if _guess_matches(stored, word):
                recovered[user] = word
    return CrackResult(recovered, guesses, time.perf_counter() - start, shared)


def seconds_per_hash(hash_password: Callable[[str], str], repeats: int = 5) -> float:
    """The measured cost of one hash (the median of ``repeats``), on this machine."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        hash_password(f"candidate{i}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attack(func: Callable[[str], str]) -> Outcome:
    """Dump the table, then run the word list for :data:`BUDGET_SECONDS` of work."""
    result = crack(leaked_table(func), word_list())
    shared = ", ".join("=".join(s) for s in result.shared_hashes) or "none"
    found = ", ".join(f"{u}:{p}" for u, p in sorted(result.recovered.items())) or "nothing"
    return Outcome(
        attack_succeeded=bool(result.recovered),
        observed=(
            f"{result.guesses} guesses in {result.seconds:.2f} s "
            f"({result.seconds_per_guess * 1e6:,.1f} µs each); users sharing a hash: {shared}; "
            f"recovered: {found}"
        ),
    )


RISK = register(
    Risk(
        id="PSB-PASSWORD-FAST-HASH",
        title="Passwords stored as a fast unsalted hash",
        summary=(
            "MD5 or SHA-256 of a password is cracked from a word list at millions of guesses "
            "per second, and equal passwords give equal hashes; use Argon2id or scrypt."
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
