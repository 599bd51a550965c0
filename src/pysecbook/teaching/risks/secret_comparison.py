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

from pysecbook.teaching.risks import Outcome, Risk, register

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
    """Check an API token with ``hmac.compare_digest``: time independent of the contents."""
    return hmac.compare_digest(presented, expected)


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
    )
)
