"""Comparing secrets with ``==`` leaks, through timing, how much of a guess was right.

``bytes == bytes`` stops at the first differing byte, so a guess that shares a longer prefix
with the secret takes longer to reject. ``hmac.compare_digest`` takes a time that depends on
the length of its inputs, not on where they differ.
Book page: ``book/practices/passwords``.
"""

from __future__ import annotations

import hmac
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Length of the demonstration's secret. Deliberately long (256 KiB), so that the timing
#: difference is microseconds and shows up reliably on a busy machine in a fraction of a
#: second. With a 32-byte token the difference is a few nanoseconds and an attacker needs
#: many more measurements; the leak is the same.
SECRET_BYTES = 256 * 1024

#: Candidate prefixes the attacker tries, and timed calls per candidate.
CANDIDATES = 4
REPETITIONS = 101

#: How much slower (ratio of medians) the slowest candidate must be than the next one for
#: the attacker to trust the signal.
MARGIN = 3.0


def token_matches_insecure(presented: bytes, expected: bytes) -> bool:
    """Check an API token with ``==``: returns as soon as one byte differs."""
    return presented == expected


def token_matches_secure(presented: bytes, expected: bytes) -> bool:
    """Check an API token with ``hmac.compare_digest``: time independent of the contents.

    Assumes: both arguments are ``bytes`` (or both ASCII-only ``str``; ``compare_digest``
    raises ``TypeError`` for anything else, which the caller must treat as a refusal), and
    ``expected`` is a secret of fixed length, such as a random token or an HMAC digest.
    Does not stop: what the lengths show. The time depends on the length of ``expected``
    (CPython's loop runs over the second argument), so the secret's length is not hidden
    from someone who can time many calls; and the comparison is only one step: a token sent
    over an unencrypted connection, logged, or guessable does not need a timing attack.
    """
    return hmac.compare_digest(presented, expected)


def token_matches_first_try(presented: bytes, expected: bytes) -> bool:
    """A hand-written "constant-time" comparison, as it is often written: XOR every pair of
    bytes and accept if no bit differed. ``zip`` stops at the shorter input, so it compares
    only as many bytes as the guess has, and takes as long as the shorter of the two."""
    difference = 0
    for x, y in zip(presented, expected):
        difference |= x ^ y
    return difference == 0


@dataclass(frozen=True)
class TimingProbe:
    """Median time, in nanoseconds, to reject each candidate guess."""

    medians_ns: list[float]
    true_index: int

    @property
    def slowest(self) -> int:
        return max(range(len(self.medians_ns)), key=self.medians_ns.__getitem__)

    @property
    def margin(self) -> float:
        ordered = sorted(self.medians_ns, reverse=True)
        return ordered[0] / max(ordered[1], 1.0)


def probe(check: Callable[[bytes, bytes], bool], repetitions: int = REPETITIONS) -> TimingProbe:
    """Time ``check`` on guesses whose first half is one of several candidates.

    One candidate is the secret's real first half (its position is chosen at random); the
    others are random. The second half of every guess is random, so no guess is accepted.
    Calls are interleaved, so that a burst of load on the machine hits every candidate alike,
    and each candidate's median is kept.
    """
    secret = secrets.token_bytes(SECRET_BYTES)
    half = SECRET_BYTES // 2
    true_index = secrets.randbelow(CANDIDATES)
    guesses = []
    for i in range(CANDIDATES):
        first = secret[:half] if i == true_index else secrets.token_bytes(half)
        guesses.append(first + secrets.token_bytes(SECRET_BYTES - half))
    samples: list[list[int]] = [[] for _ in guesses]
    clock = time.perf_counter_ns
    for _ in range(repetitions):
        for i, guess in enumerate(guesses):
            start = clock()
            accepted = check(guess, secret)
            samples[i].append(clock() - start)
            if accepted:  # pragma: no cover - the random second half never matches
                raise AssertionError("a random guess was accepted")
    return TimingProbe([statistics.median(s) for s in samples], true_index)


def attack(func: Callable[[bytes, bytes], bool]) -> Outcome:
    """Which candidate is the secret's first half? Pick the slowest to reject, if it stands out."""
    result = probe(func)
    medians = ", ".join(f"{m / 1000:.1f}" for m in result.medians_ns)
    stands_out = result.margin >= MARGIN
    succeeded = stands_out and result.slowest == result.true_index
    if succeeded:
        verdict = f"candidate {result.slowest} stands out ({result.margin:.1f}x): it is the secret's first half"
    else:
        verdict = f"no candidate stands out ({result.margin:.2f}x): the timings tell nothing"
    return Outcome(
        attack_succeeded=succeeded,
        observed=f"median µs to reject each candidate: [{medians}]; {verdict}",
    )


#: Tokens an attacker sends: no bytes at all, an empty text string (which a handler that
#: forgot to encode passes on), and the values a JSON body can hold where a string is
#: expected (an empty list, a list of zeros, an empty object).
ODD_TOKENS: tuple[object, ...] = (b"", "", [], [0], {})


def attack_empty_and_odd_tokens(check: Callable[[bytes, bytes], bool]) -> Outcome:
    """Send an empty token, as bytes or as text, an empty list, ``[0]`` or ``{}`` where the
    token should be: is any of them accepted? (A refusal, or ``TypeError``, is the same to
    the attacker: no.)"""
    secret = secrets.token_bytes(32)
    accepted, refused = [], []
    for token in ODD_TOKENS:
        try:
            ok = check(token, secret)  # type: ignore[arg-type]
        except TypeError as exc:
            refused.append(f"{token!r} ({type(exc).__name__})")
            continue
        (accepted if ok else refused).append(repr(token))
    if accepted:
        return Outcome(True, f"accepted without knowing the secret: {', '.join(accepted)}")
    return Outcome(False, f"all refused: {', '.join(refused)}")


#: The secret lengths the length-timing attack is tried on, and the guess lengths it sends.
LENGTH_SECRETS = (2048, 3072, 4096)
LENGTH_PROBES = tuple(range(1024, 6145, 1024))
#: Timed calls per guess length in one round, and rounds: the attacker reads a length off
#: each round and keeps the one most rounds agree on.
LENGTH_REPETITIONS = 31
LENGTH_ROUNDS = 5
#: The slowest guess must be this many times slower than the fastest for a signal.
LENGTH_SIGNAL = 1.5


def length_timings(check: Callable[[bytes, bytes], bool], secret: bytes,
                   repetitions: int = LENGTH_REPETITIONS) -> list[float]:
    """The lower quartile of nanoseconds to reject a random guess of each length in
    :data:`LENGTH_PROBES`. The lengths are tried in a new random order in every round, so
    that load on the machine hits every length alike, and the lower quartile keeps the
    rounds that load did not slow down."""
    guesses = [secrets.token_bytes(n) for n in LENGTH_PROBES]
    samples: list[list[int]] = [[] for _ in guesses]
    order = list(range(len(guesses)))
    shuffle = secrets.SystemRandom().shuffle
    clock = time.perf_counter_ns
    for _ in range(repetitions):
        shuffle(order)
        for i in order:
            start = clock()
            check(guesses[i], secret)
            samples[i].append(clock() - start)
    return [statistics.quantiles(s, n=4)[0] for s in samples]


def infer_length(timings: list[float]) -> int | None:
    """The secret's length as the attacker reads it off the timings: the guess length ``L``
    for which "time grows with the guess up to ``L``, then stays flat" fits the timings best
    (least squares); None when the timings do not grow at all."""
    if max(timings) < LENGTH_SIGNAL * max(min(timings), 1.0):
        return None
    best, best_error = None, float("inf")
    for knee in LENGTH_PROBES:
        xs = [min(p, knee) for p in LENGTH_PROBES]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(timings)
        spread = sum((x - mean_x) ** 2 for x in xs)
        slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, timings)) / spread
                 if spread else 0.0)
        error = sum((mean_y + slope * (x - mean_x) - y) ** 2 for x, y in zip(xs, timings))
        if error < best_error:
            best, best_error = knee, error
    return best


def attack_length_by_timing(check: Callable[[bytes, bytes], bool]) -> Outcome:
    """Send random guesses of growing length and time each rejection: where the time stops
    growing, the guess is as long as the secret. Repeated in rounds; the attacker keeps the
    length most rounds agree on."""
    length = LENGTH_SECRETS[secrets.randbelow(len(LENGTH_SECRETS))]
    secret = secrets.token_bytes(length)
    rounds = [length_timings(check, secret) for _ in range(LENGTH_ROUNDS)]
    votes = [infer_length(timings) for timings in rounds]
    inferred, count = max(((v, votes.count(v)) for v in set(votes)),
                          key=lambda vc: (vc[1], vc[0] is not None))
    if count <= LENGTH_ROUNDS // 2:
        inferred = None
    shown = ", ".join(f"{m / 1000:.1f}" for m in rounds[0])
    verdict = ("no growth: the timings tell nothing" if inferred is None
               else f"inferred length {inferred} ({count} of {LENGTH_ROUNDS} rounds), "
                    f"real length {length}")
    return Outcome(inferred == length,
                   f"µs to reject guesses of {LENGTH_PROBES[0]}..{LENGTH_PROBES[-1]} bytes "
                   f"(lower quartile, first round): [{shown}]; {verdict}")


RISK = register(
    Risk(
        id="PSB-SECRET-COMPARE-TIMING",
        title="Secrets compared with ==",
        summary=(
            "== stops at the first differing byte, so its timing tells an attacker how much of "
            "a guessed token is right; compare secrets with hmac.compare_digest."
        ),
        cwe=208,
        bandit=(),
        no_static_rule="== is right for almost every comparison; only the meaning of the "
                       "operands (a secret) makes it a timing leak, and their names need not "
                       "say so.",
        modules=("hmac", "secrets"),
        page="practices/passwords",
        insecure=token_matches_insecure,
        secure=token_matches_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("an empty token (bytes or str), an empty list, [0] or {} in place of "
                          "the token",
                          "type-confusion", attack_empty_and_odd_tokens,
                          beats=token_matches_first_try),
            AdaptedAttack("the secret's length, from the time to reject guesses of growing "
                          "length", "crypto", attack_length_by_timing,
                          beats=token_matches_first_try),
        ),
    )
)
