"""A pool task whose exception vanishes: "all sessions revoked", and one was not.

When an employee leaves, every session of every account they had is revoked, in parallel,
on a thread pool. The insecure version submits one task per account and reports success:
the futures, which hold each task's exception, are thrown away. The revocation of Mallory's
admin account fails (its session store times out), nobody hears of it, and her sessions stay
valid. The secure version collects every result and raises when one failed.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from pysecbook.teaching.risks import Outcome, Risk, register


def revoke_all_insecure(pool: ThreadPoolExecutor, accounts: Sequence[str],
                        revoke: Callable[[str], None]) -> str:
    """Revoke the sessions of every account in ``accounts``."""
    for account in accounts:
        pool.submit(revoke, account)  # nosec PSB401 - deliberately insecure: demonstration of PSB-POOL-LOST-EXCEPTION
    return f"revocation of {len(accounts)} accounts started"


def revoke_all_secure(pool: ThreadPoolExecutor, accounts: Sequence[str],
                      revoke: Callable[[str], None]) -> str:
    """Revoke the sessions of every account; raise if any revocation failed."""
    futures = {pool.submit(revoke, account): account for account in accounts}
    failed = {futures[f]: repr(f.exception()) for f in as_completed(futures) if f.exception()}
    if failed:
        raise RuntimeError(f"revocation failed for {failed}")
    return f"sessions of {len(accounts)} accounts revoked"


def attack(revoke_all: object) -> Outcome:
    """Revoke Mallory's three accounts; the store of her admin account times out."""
    sessions = {"mallory": 2, "mallory.dev": 1, "mallory.admin": 3}

    def revoke(account: str) -> None:
        if account.endswith(".admin"):
            raise TimeoutError("admin session store did not answer")
        sessions[account] = 0

    with ThreadPoolExecutor(max_workers=3) as pool:
        try:
            answer = revoke_all(pool, list(sessions), revoke)  # type: ignore[operator]
            reported = False
        except RuntimeError as exc:
            answer, reported = f"error reported: {exc}", True
    live = {a: n for a, n in sessions.items() if n}
    return Outcome(
        attack_succeeded=bool(live) and not reported,
        observed=f"{answer}; sessions still valid: {live or 'none'}",
    )


RISK = register(
    Risk(
        id="PSB-POOL-LOST-EXCEPTION",
        title="A pool task whose exception nobody collects",
        summary="A future thrown away takes the task's exception with it: a failed "
        "revocation is reported as done.",
        cwe=392,
        bandit=(),
        detections=("PSB401",),
        modules=("concurrent.futures",),
        page="practices/concurrency",
        insecure=revoke_all_insecure,
        secure=revoke_all_secure,
        attack=attack,
    )
)
