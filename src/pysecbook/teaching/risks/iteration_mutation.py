"""A list changed while a ``for`` loop walks it: revoking sessions skips every second one.

A ``for`` loop over a list keeps an index. Removing the current element moves the next one
into its place, and the loop's next step skips it. Revoking "every session of Mallory" that
way, when her laptop and phone sessions sit next to each other in the list, removes one and
leaves the other valid. (A dict or set changed during iteration raises ``RuntimeError``; a
list does not.) The secure version builds the new list and assigns it in place.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pysecbook.teaching.risks import Outcome, Risk, register


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


def revoke_sessions_secure(sessions: list[Session], user: str) -> int:
    """Remove every session of ``user`` from ``sessions``; return how many were removed."""
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
    )
)
