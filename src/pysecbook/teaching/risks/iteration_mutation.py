"""A list changed while a ``for`` loop walks it: revoking sessions skips every second one.

A ``for`` loop over a list keeps an index. Removing the current element moves the next one
into its place, and the loop's next step skips it. Revoking "every session of Mallory" that
way, when her laptop and phone sessions sit next to each other in the list, removes one and
leaves the other valid. (A dict or set changed during iteration raises ``RuntimeError``; a
list does not.) The secure version builds the new list and assigns it in place.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

import importlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


@dataclass(frozen=True)
class Session:
    user: str
    device: str


def revoke_sessions_insecure(sessions: list[Session], user: str) -> int:
    """Remove every session of ``user`` from ``sessions``; return how many were removed."""
    removed = 0
    for session in sessions:
        if session.user == user:
            sessions.remove(session)  # nosec PSB502 - deliberately insecure: demonstration of PSB-LOOP-MUTATION
            removed += 1
    return removed


def revoke_sessions_first_try(sessions: list[Session], user: str) -> int:
    """A first fix: walk a copy of the list, and remove from the original.

    Kept to show an adapted attack beating it: it is correct, and quadratic. Each
    ``remove`` searches the list from its start and shifts everything after the match, so
    an attacker who opened many sessions makes her own revocation run for minutes.
    """
    removed = 0
    for session in list(sessions):
        if session.user == user:
            sessions.remove(session)
            removed += 1
    return removed


def revoke_sessions_rebound_first_try(sessions: list[Session], user: str) -> int:
    """A first fix: build the filtered list, and assign it to the parameter's name.

    Kept to show an adapted attack beating it: ``sessions = ...`` rebinds a local name; the
    list the server holds is unchanged, and the count returned says otherwise.
    """
    kept = [s for s in sessions if s.user != user]
    removed = len(sessions) - len(kept)
    sessions = kept
    return removed


def revoke_sessions_secure(sessions: list[Session], user: str) -> int:
    """Remove every session of ``user`` from ``sessions``; return how many were removed.

    The list is filtered once, in linear time, and the result assigned in place with
    ``sessions[:] = ...``, so every reference to the list (the server's session table) sees
    the change.

    Assumes: no other thread changes ``sessions`` during the call (a session added while the
    filtered list is built is lost when it is assigned; hold the table's lock), and ``user``
    is spelled as the sessions store it.
    Does not stop: a new session opened after the revocation (lock the account as well);
    copies of the session list or of a session kept elsewhere (a cache, another process).
    """
    before = len(sessions)
    sessions[:] = [s for s in sessions if s.user != user]
    return before - len(sessions)


def attack(revoke_sessions: object) -> Outcome:
    """Revoke Mallory's sessions; two of her three are next to each other in the list."""
    sessions = [Session("alice", "laptop"), Session("mallory", "laptop"),
                Session("mallory", "phone"), Session("bob", "phone"), Session("mallory", "tablet")]
    removed = revoke_sessions(sessions, "mallory")  # type: ignore[operator]
    left = [s.device for s in sessions if s.user == "mallory"]
    return Outcome(
        attack_succeeded=bool(left),
        observed=f"'revoke all of mallory's sessions' removed {removed}; still valid: "
                 f"{left or 'none'}",
    )


#: Mallory's sessions behind other people's, and the time a revocation may take.
OTHERS, MINE, TIME_LIMIT = 10_000, 10_000, 1.0


class _Stalled(Exception):
    """Raised by the timer in :func:`revocation_seconds` when the limit has passed."""


def revocation_seconds(impl_ref: str, others: int, mine: int, limit: float) -> float | None:
    """Run in a child interpreter: revoke Mallory's ``mine`` sessions, listed after
    ``others`` sessions of other users; the seconds it took, or ``None`` when a timer stopped
    it at ``limit`` seconds."""
    module_name, _, name = impl_ref.partition(":")
    revoke = getattr(importlib.import_module(module_name), name)
    sessions = [Session(f"user{i}", "laptop") for i in range(others)]
    sessions += [Session("mallory", f"device{i}") for i in range(mine)]

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stalled

    signal.signal(signal.SIGALRM, stop)
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        revoke(sessions, "mallory")
    except _Stalled:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - start


def attack_many_sessions(revoke_sessions: Callable[..., object]) -> Outcome:
    """Open 10,000 sessions before the account is revoked, behind 10,000 of other users: a
    revocation with a cost per session that grows with the list stalls the request (run in a
    child, stopped after one second)."""
    ref = f"{revoke_sessions.__module__}:{revoke_sessions.__qualname__}"
    timed = timed_call(revocation_seconds, ref, OTHERS, MINE, TIME_LIMIT, timeout=30)
    if timed.raised or timed.returned is None:
        return Outcome(False, f"the child failed: {timed}")
    if timed.value is None:
        return Outcome(True, f"revoking {MINE:,} of {OTHERS + MINE:,} sessions was still "
                             f"running when the {TIME_LIMIT:g} s limit stopped it")
    return Outcome(False, f"revoking {MINE:,} of {OTHERS + MINE:,} sessions took "
                          f"{timed.value:.4f} s")


def attack_check_the_table(revoke_sessions: Callable[..., object]) -> Outcome:
    """After a revocation that reports all her sessions removed, Mallory tries each one
    against the server's own session table (the list object it holds)."""
    table = [Session("mallory", "laptop"), Session("mallory", "phone"),
             Session("mallory", "tablet"), Session("alice", "laptop")]
    reported = revoke_sessions(table, "mallory")
    valid = [s.device for s in table if s.user == "mallory"]
    return Outcome(bool(valid), f"revocation reported {reported} removed; still valid in the "
                                f"server's table: {valid or 'none'}")


RISK = register(
    Risk(
        id="PSB-LOOP-MUTATION",
        title="A list changed while a loop walks it",
        summary="Removing the current element shifts the next one under the loop's index: "
        "adjacent sessions survive their revocation.",
        cwe=1095,
        bandit=(),
        detections=("PSB502",),
        modules=("builtins",),
        page="practices/code",
        insecure=revoke_sessions_insecure,
        secure=revoke_sessions_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("10,000 sessions of hers behind 10,000 others: a quadratic "
                          "revocation stalls", "exhaustion", attack_many_sessions,
                          beats=revoke_sessions_first_try),
            AdaptedAttack("after a revocation that reports success, try the server's own table",
                          "variant", attack_check_the_table,
                          beats=revoke_sessions_rebound_first_try),
        ),
    )
)
