"""``Future.cancel()`` does not stop a running task: the export goes on after it is cancelled.

A support tool exports customer records in a worker thread. The security team sees Mallory's
export of every record to an outside address and cancels it; ``future.cancel()`` returns
``False``, because a task that has started cannot be cancelled, and the export sends the
rest. Threads cannot be stopped from outside in Python; a task stops only if it asks. The
secure version passes the task a ``threading.Event`` of its own and checks it before each
record. The attack pauses the export at the third record until the cancel has been issued, so
the result does not depend on timing.

A first fix (kept as :func:`start_export_first_try`) used one stop flag for all exports and
cleared it when an export started, so that exports could run again after a cancel: the next
export to start un-cancelled the one before it. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

RECORDS = tuple(f"customer-{n:03}" for n in range(1, 51))

#: How long the security team's next job may wait for the worker after a cancel.
DEADLINE = 0.5


def export(records: Sequence[str], send: Callable[[str], None]) -> int:
    """Send every record; return how many were sent."""
    for record in records:
        send(record)
    return len(records)


def export_until(records: Iterable[str], send: Callable[[str], None],
                 stop: threading.Event) -> int:
    """Send records until ``stop`` is set; return how many were sent."""
    sent = 0
    for record in records:
        if stop.is_set():
            break
        send(record)
        sent += 1
    return sent


def start_export_insecure(pool: ThreadPoolExecutor, records: Sequence[str],
                          send: Callable[[str], None]) -> Callable[[], bool]:
    """Start an export in ``pool``; return the function that cancels it."""
    future = pool.submit(export, records, send)
    return future.cancel


#: The first fix's one stop flag, shared by every export.
_STOP_EXPORTS = threading.Event()


def start_export_first_try(pool: ThreadPoolExecutor, records: Sequence[str],
                           send: Callable[[str], None]) -> Callable[[], bool]:
    """A first fix: exports check a stop flag, cleared when an export starts.

    Kept to show the adapted attacks beating it: the flag is shared, so starting any export
    clears the cancel of every other.
    """
    _STOP_EXPORTS.clear()
    future = pool.submit(export_until, records, send, _STOP_EXPORTS)

    def cancel() -> bool:
        future.cancel()
        _STOP_EXPORTS.set()
        return True

    return cancel


def start_export_secure(pool: ThreadPoolExecutor, records: Sequence[str],
                        send: Callable[[str], None]) -> Callable[[], bool]:
    """Start an export that checks a stop flag of its own; return the function that stops it.

    Assumes: each ``send`` returns in bounded time (it has its own timeout), since the flag is
    read between two records; the caller keeps the returned function and calls it to stop
    the export.
    Does not stop: the record being sent when the cancel arrives, which still goes; a send
    that never returns, which keeps its worker (and, in a pool of one, every later job);
    and ``pool.shutdown(cancel_futures=True)``, which cancels only the tasks not yet started:
    a service that stops must call the function this one returned.
    """
    stop = threading.Event()
    future = pool.submit(export_until, records, send, stop)

    def cancel() -> bool:
        future.cancel()  # enough if it has not started yet
        stop.set()  # and this stops it between two records if it has
        return True

    return cancel


def attack(start_export: object) -> Outcome:
    """Mallory's export is cancelled after its third record; count what was still sent."""
    sent: list[str] = []
    third = threading.Event()
    cancelled = threading.Event()

    def send(record: str) -> None:
        sent.append(record)
        if len(sent) == 3:
            third.set()
            cancelled.wait(timeout=5)  # the export pauses here until the team has cancelled

    with ThreadPoolExecutor(max_workers=1) as pool:
        cancel = start_export(pool, RECORDS, send)  # type: ignore[operator]
        third.wait(timeout=5)
        answer = cancel()
        cancelled.set()
    return Outcome(
        attack_succeeded=len(sent) == len(RECORDS),
        observed=f"cancelled after the 3rd record (cancel() returned {answer}); records sent "
                 f"to mallory's address: {len(sent)} of {len(RECORDS)}",
    )


def attack_second_export(start_export: object) -> Outcome:
    """Right after the team cancels Mallory's export, Mallory (or anybody) starts a small
    second one: if the stop flag is shared, starting it clears the first export's cancel."""
    sent: list[str] = []
    third = threading.Event()
    resume = threading.Event()

    def send(record: str) -> None:
        sent.append(record)
        if len(sent) == 3:
            third.set()
            resume.wait(timeout=5)  # paused until the cancel and the second export are in

    with ThreadPoolExecutor(max_workers=2) as pool:
        cancel = start_export(pool, RECORDS, send)  # type: ignore[operator]
        third.wait(timeout=5)
        cancel()
        start_export(pool, ("customer-001",), lambda record: None)  # type: ignore[operator]
        resume.set()
    return Outcome(
        attack_succeeded=len(sent) > 3,
        observed=f"cancelled after the 3rd record, then a second export started; records of "
                 f"the first still sent: {len(sent)} of {len(RECORDS)}",
    )


def attack_endless_export(start_export: object) -> Outcome:
    """An export of an endless stream of records on a pool of one worker: after the cancel,
    the team's next job (revoking Mallory's access) waits for that worker."""
    finished = threading.Event()
    third = threading.Event()
    cancelled = threading.Event()
    count = [0]

    def records() -> Iterator[str]:
        n = 0
        while not finished.is_set():  # endless, until the attack itself is over
            n += 1
            yield f"customer-{n:06}"

    def send(record: str) -> None:
        count[0] += 1
        if count[0] == 3:
            third.set()
            cancelled.wait(timeout=5)

    with ThreadPoolExecutor(max_workers=1) as pool:
        cancel = start_export(pool, records(), send)  # type: ignore[operator]
        third.wait(timeout=5)
        cancel()
        cancelled.set()
        revoked = pool.submit(lambda: "access revoked")
        try:
            done: str | None = revoked.result(timeout=DEADLINE)
        except FutureTimeout:
            done = None
        finished.set()
    after = count[0] - 3
    return Outcome(
        attack_succeeded=done is None,
        observed=f"after the cancel: {after} more record(s) sent; the revocation queued "
                 f"behind the export {'ran' if done else f'had not run after {DEADLINE} s'}",
    )


RISK = register(
    Risk(
        id="PSB-POOL-CANCEL-IGNORED",
        title="Future.cancel() does not stop a running task",
        summary="cancel() only removes a task that has not started; a running export goes "
        "on unless it checks a stop event.",
        cwe=400,
        bandit=(),
        no_static_rule="whether a long task checks a stop signal is a property of the task's "
                       "loop, which can be written in many ways.",
        modules=("concurrent.futures", "threading"),
        page="practices/concurrency",
        insecure=start_export_insecure,
        secure=start_export_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a second export started right after the cancel", "links-races",
                          attack_second_export, beats=start_export_first_try),
            AdaptedAttack("an endless export holding the only worker of the pool",
                          "exhaustion", attack_endless_export),
        ),
    )
)
