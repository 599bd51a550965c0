"""A pool task whose exception vanishes: "all sessions revoked", and one was not.

When an employee leaves, every session of every account they had is revoked, in parallel,
on a thread pool. The insecure version submits one task per account and reports success:
the futures, which hold each task's exception, are thrown away. The revocation of Mallory's
admin account fails (its session store times out), nobody hears of it, and her sessions stay
valid. The secure version collects every result and raises when one failed.

The first fix (kept as :func:`revoke_all_first_try`) waited for every future without a time
limit and tested each exception for truth. A session store that never answers then holds
the whole offboarding for ever, and an exception class that defines ``__len__`` (a batch
error with an empty list of failures) is false. The secure version waits a bounded time,
counts an unfinished revocation as failed, and tests ``is not None``.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: How long the secure version waits for all revocations before it reports the rest failed.
REVOKE_TIMEOUT = 0.5

#: How long the attacker's hanging store holds the caller before the attack calls it a stall.
STALL_LIMIT = 2.0


def revoke_all_insecure(pool: ThreadPoolExecutor, accounts: Sequence[str],
                        revoke: Callable[[str], None]) -> str:
    """Revoke the sessions of every account in ``accounts``."""
    for account in accounts:
        pool.submit(revoke, account)  # nosec PSB401 - deliberately insecure: demonstration of PSB-POOL-LOST-EXCEPTION
    return f"revocation of {len(accounts)} accounts started"


def revoke_all_first_try(pool: ThreadPoolExecutor, accounts: Sequence[str],
                         revoke: Callable[[str], None]) -> str:
    """A first fix: revoke every account; raise if any revocation failed.

    Kept to show the adapted attacks beating it: it waits without a limit, and it takes a
    false exception for no exception.
    """
    futures = {pool.submit(revoke, account): account for account in accounts}
    failed = {futures[f]: repr(f.exception()) for f in as_completed(futures) if f.exception()}
    if failed:
        raise RuntimeError(f"revocation failed for {failed}")
    return f"sessions of {len(accounts)} accounts revoked"


def revoke_all_secure(pool: ThreadPoolExecutor, accounts: Sequence[str],
                      revoke: Callable[[str], None], timeout: float = REVOKE_TIMEOUT) -> str:
    """Revoke the sessions of every account; raise if any failed or did not finish in time.

    Assumes: ``revoke`` raises when it could not revoke (a failure returned as a value is
    not seen), and the caller acts on the ``RuntimeError``, which lists every account whose
    sessions may still be valid.
    Does not stop: a revocation that was still running at the deadline and goes on (or
    hangs) in its worker afterwards: it is reported as failed, but its thread stays busy
    until the store answers; and sessions created again after their revocation.
    """
    futures = {pool.submit(revoke, account): account for account in accounts}
    done, pending = wait(futures, timeout=timeout)
    failed = {futures[f]: repr(f.exception()) for f in done if f.exception() is not None}
    for future in pending:
        future.cancel()  # those not started yet will not start
        failed[futures[future]] = f"no answer within {timeout} s"
    if failed:
        raise RuntimeError(f"revocation failed for {failed}")
    return f"sessions of {len(accounts)} accounts revoked"


SESSIONS = {"mallory": 2, "mallory.dev": 1, "mallory.admin": 3}


def _offboard(revoke_all: object, revoke: Callable[[str], None], sessions: dict[str, int],
              limit: float = STALL_LIMIT) -> Outcome:
    """Run ``revoke_all`` in a thread; the attacker wins if a session is still valid and the
    caller has heard nothing of it within ``limit`` seconds."""
    answers: list[tuple[str, bool]] = []

    def call(pool: ThreadPoolExecutor) -> None:
        try:
            answers.append((revoke_all(pool, list(sessions), revoke), False))  # type: ignore[operator]
        except RuntimeError as exc:
            answers.append((f"error reported: {exc}", True))

    with ThreadPoolExecutor(max_workers=3) as pool:
        caller = threading.Thread(target=call, args=(pool,))
        caller.start()
        caller.join(timeout=limit)
        answer, reported = answers[0] if answers else (f"no answer after {limit} s", False)
        if isinstance(revoke, _HangingRevoke):
            revoke.release.set()  # the store answers at last, so the pool can shut down
        caller.join()
    live = {a: n for a, n in sessions.items() if n}
    return Outcome(attack_succeeded=bool(live) and not reported,
                   observed=f"{answer}; sessions still valid: {live or 'none'}")


def attack(revoke_all: object) -> Outcome:
    """Revoke Mallory's three accounts; the store of her admin account times out."""
    sessions = dict(SESSIONS)

    def revoke(account: str) -> None:
        if account.endswith(".admin"):
            raise TimeoutError("admin session store did not answer")
        sessions[account] = 0

    return _offboard(revoke_all, revoke, sessions)


class BatchError(Exception):
    """A session store's error that carries the list of sessions it failed to delete.

    Like a list, it is false when that list is empty (here: the store gave up before it
    listed anything).
    """

    def __init__(self, message: str, failures: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.failures = list(failures)

    def __len__(self) -> int:
        return len(self.failures)


def attack_falsy_exception(revoke_all: object) -> Outcome:
    """The admin store fails with an exception that is false: a batch error whose list of
    failed sessions is empty."""
    sessions = dict(SESSIONS)

    def revoke(account: str) -> None:
        if account.endswith(".admin"):
            raise BatchError("admin session store gave up before listing sessions")
        sessions[account] = 0

    return _offboard(revoke_all, revoke, sessions)


class _HangingRevoke:
    """A revocation whose admin store never answers, until the attack releases it."""

    def __init__(self, sessions: dict[str, int]) -> None:
        self.sessions = sessions
        self.release = threading.Event()

    def __call__(self, account: str) -> None:
        if account.endswith(".admin"):
            self.release.wait(timeout=10)
            return
        self.sessions[account] = 0


def attack_hanging_store(revoke_all: object) -> Outcome:
    """The admin store neither fails nor answers: it holds the connection open. Mallory's
    admin sessions stay valid while the offboarding waits."""
    sessions = dict(SESSIONS)
    return _offboard(revoke_all, _HangingRevoke(sessions), sessions)


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
        adapted=(
            AdaptedAttack("an exception that is false (a batch error with an empty list)",
                          "type-confusion", attack_falsy_exception, beats=revoke_all_first_try),
            AdaptedAttack("a session store that never answers instead of failing",
                          "exhaustion", attack_hanging_store, beats=revoke_all_first_try),
        ),
    )
)
