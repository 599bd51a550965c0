"""``Future.cancel()`` does not stop a running task: the export goes on after it is cancelled.

A support tool exports customer records in a worker thread. The security team sees Mallory's
export of every record to an outside address and cancels it; ``future.cancel()`` returns
``False``, because a task that has started cannot be cancelled, and the export sends the
rest. Threads cannot be stopped from outside in Python; a task stops only if it asks. The
secure version passes the task a ``threading.Event`` and checks it before each record.
The attack pauses the export at the third record until the cancel has been issued, so the
result does not depend on timing. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from pysecbook.teaching.risks import Outcome, Risk, register

RECORDS = tuple(f"customer-{n:03}" for n in range(1, 51))


def export(records: Sequence[str], send: Callable[[str], None]) -> int:
    """Send every record; return how many were sent."""
    for record in records:
        send(record)
    return len(records)


def export_until(records: Sequence[str], send: Callable[[str], None],
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


def start_export_secure(pool: ThreadPoolExecutor, records: Sequence[str],
                        send: Callable[[str], None]) -> Callable[[], bool]:
    """Start an export that checks a stop flag; return the function that stops it."""
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
    )
)
