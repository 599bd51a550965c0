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
import re
import secrets
import statistics
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import argon2

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def normalised_password(password: str) -> str:
    """The password as it is checked and hashed: a ``str``, in Unicode normalisation form NFKC.

    Two spellings of one password (``é`` as one code point or as ``e`` and a combining accent,
    full-width ``ｓ`` or ``s``) give one string, so a user who signs up on one keyboard can log
    in on another; NIST SP 800-63B asks verifiers to normalise this way. Anything but ``str``
    (bytes from a raw form field, ``None``) is refused with ``TypeError``: it would be
    compared with a list of strings and hashed as something else.
    """
    if not isinstance(password, str):
        raise TypeError(f"a password is a str, not {type(password).__name__}")
    return unicodedata.normalize("NFKC", password)


#: OWASP's minimum for scrypt (Password Storage Cheat Sheet): N=2**17, r=8, p=1, 128 MiB.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
#: Every scrypt parameter set this service has issued, and so accepts back. To raise the
#: cost, add the new set here, make it the current one above, and re-hash at login.
SCRYPT_ISSUED: frozenset[tuple[int, int, int]] = frozenset({(SCRYPT_N, SCRYPT_R, SCRYPT_P)})
_SCRYPT_FORMAT = re.compile(r"\$scrypt\$n=([0-9]{1,8}),r=([0-9]{1,3}),p=([0-9]{1,3})"
                            r"\$([0-9a-f]{32})\$([0-9a-f]{64})")


def scrypt_maxmem(n: int, r: int, p: int) -> int:
    """The memory, in bytes, that ``hashlib.scrypt`` must be allowed for these parameters.

    OpenSSL counts 128·r·(N + p + 2) bytes (the N blocks scrypt is about, plus its working
    buffers) and refuses anything above ``maxmem``, whose default is 32 MiB: N=2**15 already
    needs more. For OWASP's minimum, 134,220,800 bytes (128 MiB and 3 KiB). Python refuses a
    ``maxmem`` of 2**31 - 1 or more, so N stays below 2**21 at r=8.
    """
    return 128 * r * (n + p + 2)


def hash_password_scrypt(password: str) -> str:
    """Store a password with scrypt from the standard library: OWASP's minimum cost (N=2**17,
    r=8, p=1, 128 MiB), a random 16-byte salt, and the parameters written into the result so
    that they can be raised later (``$scrypt$n=131072,r=8,p=1$salt$digest``, both in hex)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(normalised_password(password).encode("utf-8"), salt=salt,
                            n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=scrypt_maxmem(SCRYPT_N, SCRYPT_R, SCRYPT_P), dklen=32)
    return f"$scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password_scrypt(stored: str, password: str) -> bool:
    """Check a login against a hash from :func:`hash_password_scrypt`.

    The parameters are read from ``stored`` but not trusted: only a set this service issued
    (:data:`SCRYPT_ISSUED`), a 16-byte salt and a 32-byte digest are accepted, so a row
    rewritten to cheap parameters, to ruinous ones or to a shortened digest verifies nothing.
    The digests are compared with ``hmac.compare_digest``.
    """
    match = _SCRYPT_FORMAT.fullmatch(stored)
    if not match:
        return False
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    if (n, r, p) not in SCRYPT_ISSUED:
        return False
    candidate = hashlib.scrypt(normalised_password(password).encode("utf-8"),
                               salt=bytes.fromhex(match.group(4)), n=n, r=r, p=p,
                               maxmem=scrypt_maxmem(n, r, p), dklen=32)
    return hmac.compare_digest(candidate, bytes.fromhex(match.group(5)))


def scrypt_needs_rehash(stored: str) -> bool:
    """Whether a stored scrypt hash was made with other than the current parameters."""
    match = _SCRYPT_FORMAT.fullmatch(stored)
    return not match or tuple(int(match.group(i)) for i in (1, 2, 3)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def hash_password_scrypt_first_try(password: str) -> str:
    """scrypt as this book first stored it: N=2**14 (16 MiB), an eighth of OWASP's minimum,
    chosen because it runs without ``maxmem``. Kept to show the weak-parameter attack."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"$scrypt$n=16384,r=8,p=1${salt.hex()}${digest.hex()}"


#: The Argon2id parameters this service issues: OWASP's minimum (19 MiB, 2 passes, 1 lane).
ARGON2_PARAMETERS = argon2.Parameters(type=argon2.Type.ID, version=19, salt_len=16,
                                      hash_len=32, time_cost=2, memory_cost=19_456,
                                      parallelism=1)
#: Every Argon2 parameter set this service has issued, and so accepts back.
ARGON2_ISSUED: tuple[argon2.Parameters, ...] = (ARGON2_PARAMETERS,)
_ARGON2 = argon2.PasswordHasher.from_parameters(ARGON2_PARAMETERS)


def hash_password_argon2(password: str) -> str:
    """Store a password with Argon2id: a random salt per password, a deliberate cost.

    The parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane);
    ``argon2.PasswordHasher()`` without arguments is stronger still (64 MiB, 3 passes,
    4 lanes). The password is normalised first (:func:`normalised_password`).
    """
    return _ARGON2.hash(normalised_password(password))


def hash_password_secure(password: str) -> str:
    """Refuse a password found in a breach corpus, then store it with Argon2id.

    The password is normalised (NFKC) before it is checked, so the check and the hash see
    the same string, and anything but a ``str`` is refused. Verify logins with
    :func:`verify_password_secure`.

    Assumes: the breach corpus is large and current (a service checks Have I Been Pwned's
    Pwned Passwords or a copy of it, not a list of 24 words); logins are checked with
    :func:`verify_password_secure`, which normalises the same way and accepts only the
    parameters issued here; logins are rate-limited; and whoever can write the table is
    trusted, since they can store a hash of a password they know.
    Does not stop: a weak password that is in no corpus, which falls to a word list at about
    40 ms per guess per salt on one core (faster on a GPU, slowed by the memory cost); online
    guessing at the login form; a table that leaks together with its Argon2 parameters, which
    are no secret (a pepper kept outside the database would make it useless alone). Hashes
    made before normalisation was added do not match a password whose NFKC form differs.
    """
    prepared = normalised_password(password)
    if prepared in breached_passwords():
        raise BreachedPassword("this password appears in a list of breached passwords")
    return _ARGON2.hash(prepared)


def hash_password_first_try(password: str) -> str:
    """The secure version as this book first wrote it: the breach check on whatever was
    passed, then Argon2id. Kept to show the adapted attacks beating it: ``bytes`` are never
    ``in`` a set of ``str``, and its verifier (:func:`verify_password_first_try`) lets the
    stored hash choose its own cost."""
    if password in breached_passwords():
        raise BreachedPassword("this password appears in a list of breached passwords")
    return argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(password)


def verify_password_first_try(stored: str, password: str) -> bool:
    """Check a login against an Argon2 hash, with whatever parameters ``stored`` names."""
    try:
        return argon2.PasswordHasher().verify(stored, password)
    except argon2.exceptions.VerificationError:
        return False


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
    """Check a login against an Argon2 hash from :func:`hash_password_secure`.

    The salt and parameters are read from ``stored``, but only a parameter set this service
    issued (:data:`ARGON2_ISSUED`) is accepted: a stored hash is data, and a verifier that
    lets it choose its own cost can be made to spend seconds and hundreds of MiB on one login
    (or, the other way, to accept a hash cheap enough to crack at MD5 speed). The password is
    normalised as at sign-up; Argon2's own comparison is constant-time.
    """
    try:
        parameters = argon2.extract_parameters(stored)
    except argon2.exceptions.InvalidHashError:
        return False
    if parameters not in ARGON2_ISSUED:
        return False
    try:
        return _ARGON2.verify(stored, normalised_password(password))
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


#: Each hashing function and the login check that goes with it.
VERIFIERS: dict[Callable[[str], str], Callable[[str, str], bool]] = {
    hash_password_secure: verify_password_secure,
    hash_password_argon2: verify_password_secure,
    hash_password_scrypt: verify_password_scrypt,
    hash_password_first_try: verify_password_first_try,
}


def _salted(stored: str) -> bool:
    return stored.startswith("$")


def _guess_matches(stored: str, guess: str) -> bool:
    """The attacker recognises the storage format, as cracking tools do, and tests a guess
    with whatever parameters the stored hash names."""
    if stored.startswith("$argon2"):
        try:
            return argon2.PasswordHasher().verify(stored, guess)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
    if stored.startswith("$scrypt$"):
        _, _, params, salt, digest = stored.split("$")
        n, r, p = (int(part.split("=")[1]) for part in params.split(","))
        candidate = hashlib.scrypt(guess.encode(), salt=bytes.fromhex(salt), n=n, r=r, p=p,
                                   maxmem=scrypt_maxmem(n, r, p), dklen=len(digest) // 2)
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


def attack_bytes_password(hash_password: Callable[[str], str]) -> Outcome:
    """Bob's sign-up goes through an API that hands the hasher the raw form field, as bytes
    (``b"dragon!!"``). A list of ``str`` never contains ``bytes``: is the listed password
    stored, and then recovered from the leaked table with the word list?"""
    try:
        stored = hash_password(USERS["bob"].encode())  # type: ignore[arg-type]
    except (BreachedPassword, TypeError, AttributeError, ValueError) as exc:
        return Outcome(False, f"sign-up with bytes refused ({type(exc).__name__}: {exc}); "
                              "nothing stored")
    result = crack({"bob": stored}, word_list())
    if result.recovered:
        return Outcome(True, f"the listed password was stored; the word list recovered "
                             f"bob:{result.recovered['bob']} in {result.guesses} guesses")
    return Outcome(False, f"stored, but not recovered in {result.guesses} guesses")


#: The longest one login's password check may take before the service counts as stalled.
LOGIN_SECONDS = 1.0
#: How long the attack lets one login run before it kills it (the child's start-up counts
#: against this limit, not against the budget, which is measured inside the child).
KILL_SECONDS = 6.0
#: The cost an attacker writes into a stored Argon2 hash: 256 MiB and 8 passes (about three
#: seconds on the machine that builds the book, against 40 ms for the issued parameters).
COSTLY_ARGON2 = "m=262144,t=8,p=1"
#: The same for a stored scrypt hash: N=2**20 (1 GiB).
COSTLY_SCRYPT = "n=1048576,r=8,p=1"


def with_parameters(stored: str, parameters: str) -> str | None:
    """``stored`` with its cost parameters replaced, as someone who can write the row (or
    hand a hash to an account import) would; None when it names no parameters."""
    parts = stored.split("$")
    if stored.startswith("$argon2") and len(parts) == 6:
        parts[3] = parameters
    elif stored.startswith("$scrypt$") and len(parts) == 5:
        parts[2] = parameters
    else:
        return None
    return "$".join(parts)


def attack_costly_stored_hash(hash_password: Callable[[str], str]) -> Outcome:
    """Rewrite the cost parameters of a stored hash (256 MiB and 8 passes for Argon2, 1 GiB
    for scrypt), as a row writer or an account import could, then log in: does one password
    check take longer than the login's budget? Run in a child with a time limit."""
    phrase = "correct horse battery staple"
    stored = hash_password(phrase)
    costly = with_parameters(stored, COSTLY_ARGON2 if stored.startswith("$argon2")
                             else COSTLY_SCRYPT)
    verify = VERIFIERS.get(hash_password)
    if costly is None or verify is None:
        return Outcome(False, f"the stored hash names no cost to raise ({stored[:20]}...)")
    timed = timed_call(verify, costly, phrase, timeout=KILL_SECONDS)
    if timed.timed_out:
        return Outcome(True, f"one login against the rewritten hash was still computing when "
                             f"killed after {KILL_SECONDS:.0f} s (budget {LOGIN_SECONDS:.0f} s): "
                             "each such login stalls a worker")
    seconds = timed.seconds if timed.seconds is not None else 0.0
    stalled = seconds > LOGIN_SECONDS
    return Outcome(stalled, f"one login against the rewritten hash {timed}; budget "
                            f"{LOGIN_SECONDS:.0f} s")


#: OWASP's equivalent minimum configurations (Password Storage Cheat Sheet): for Argon2id,
#: the least memory in KiB for a number of passes (with one lane); for scrypt at r=8, the
#: least parallelism for a cost N.
OWASP_ARGON2ID = {1: 47_104, 2: 19_456, 3: 12_288, 4: 9_216, 5: 7_168}
OWASP_SCRYPT = {2**17: 1, 2**16: 2, 2**15: 3, 2**14: 5, 2**13: 10}


def below_minimum(stored: str) -> str | None:
    """Why a stored hash costs an attacker less per guess than OWASP's minimum, read from its
    own parameters as a cracking tool reads them; None when it costs at least that."""
    if stored.startswith("$argon2"):
        p = argon2.extract_parameters(stored)
        if p.type is not argon2.Type.ID:
            return f"Argon2 variant {p.type.name}, not Argon2id"
        need = OWASP_ARGON2ID[min(p.time_cost, 5)]
        if p.memory_cost < need:
            return (f"Argon2id m={p.memory_cost} KiB with t={p.time_cost}: OWASP asks for at "
                    f"least {need} KiB with that many passes")
        return None
    if stored.startswith("$scrypt$"):
        n, r, p_ = (int(part.split("=")[1]) for part in stored.split("$")[2].split(","))
        effective = n * r // 8
        need_p = next((lanes for cost, lanes in sorted(OWASP_SCRYPT.items(), reverse=True)
                       if effective >= cost), None)
        mib = 128 * r * n / 2**20
        if need_p is None or p_ < need_p:
            return (f"scrypt N={n}, r={r}, p={p_}: {mib:.0f} MiB per guess; OWASP asks for "
                    f"N=2**17 (128 MiB) with p=1, or more lanes for a smaller N")
        return None
    return "no cost parameter at all: one fast hash per guess"


def attack_weak_parameters(hash_password: Callable[[str], str]) -> Outcome:
    """Read the cost parameters of a stored hash, as cracking tools do: does each guess cost
    the attacker less than OWASP's minimum for that scheme?"""
    stored = hash_password("correct horse battery staple")
    reason = below_minimum(stored)
    shown = stored if len(stored) < 40 else stored[:stored.rfind("$")] + "$..."
    if reason:
        return Outcome(True, f"stored {shown}: {reason}")
    return Outcome(False, f"stored {shown}: at or above OWASP's minimum cost")


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
               ("scrypt (128 MiB)", hash_password_scrypt), ("Argon2id (19 MiB, t=2)", hash_password_argon2))
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
        adapted=(
            AdaptedAttack("a listed password passed as bytes, which a breach list of str never "
                          "contains", "type-confusion", attack_bytes_password,
                          beats=hash_password_first_try),
            AdaptedAttack("a stored hash rewritten to 256 MiB and 8 passes, then one login",
                          "exhaustion", attack_costly_stored_hash,
                          beats=hash_password_first_try),
            AdaptedAttack("the stored hash's own cost parameters, against OWASP's minimum",
                          "crypto", attack_weak_parameters, beats=hash_password_scrypt_first_try),
        ),
    )
)
