"""A shared worker pool that one client can fill: everybody else's request waits behind it.

A report service runs jobs on a pool of four threads, shared by all clients. Mallory submits
four slow reports; Alice's quick one queues behind them and misses its deadline. A bigger
pool only raises the number of requests the attack needs. The secure version gives each
client at most two of the four workers and refuses the rest at once (HTTP 429), so a worker
is always free for somebody else. Mallory's slow jobs wait on an event the attack releases
as soon as Alice's answer is measured, so nothing sleeps.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from pysecbook.teaching.risks import Outcome, Risk, register

WORKERS = 4
PER_CLIENT = 2

#: How long Alice's client waits for its report.
DEADLINE = 0.1


class TooManyRequests(RuntimeError):
    """The client already has its share of the workers (HTTP 429)."""


class ReportService:
    """A pool of workers, and one semaphore per client for the secure version."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="reports")
        self.shares: dict[str, threading.BoundedSemaphore] = {}
        self.guard = threading.Lock()


def submit_insecure(service: ReportService, client: str, job: Callable[[], str]) -> Future[str]:
    """Queue a report job on the shared pool."""
    return service.pool.submit(job)


def submit_secure(service: ReportService, client: str, job: Callable[[], str]) -> Future[str]:
    """Queue a report job; a client holding its share of the workers is refused (429)."""
    with service.guard:
        share = service.shares.setdefault(client, threading.BoundedSemaphore(PER_CLIENT))
    if not share.acquire(blocking=False):
        raise TooManyRequests(f"{client} already has {PER_CLIENT} reports running")
    future = service.pool.submit(job)
    future.add_done_callback(lambda _: share.release())
    return future


def attack(submit: object) -> Outcome:
    """Mallory submits four slow reports; then Alice asks for a quick one."""
    service = ReportService()
    release = threading.Event()

    def slow_report() -> str:
        release.wait(timeout=5)
        return "mallory's report"

    refused = 0
    try:
        for _ in range(WORKERS):
            try:
                submit(service, "mallory", slow_report)  # type: ignore[operator]
            except TooManyRequests:
                refused += 1
        alice = submit(service, "alice", lambda: "alice's report")  # type: ignore[operator]
        try:
            answer = f"served: {alice.result(timeout=DEADLINE)}"
        except FutureTimeout:
            answer = f"no answer within {DEADLINE} s (timed out)"
    finally:
        release.set()
        service.pool.shutdown(wait=True)
    return Outcome(
        attack_succeeded=answer.startswith("no answer"),
        observed=f"mallory's 4 slow reports: {WORKERS - refused} queued, {refused} refused "
                 f"(429); alice's report: {answer}",
    )


RISK = register(
    Risk(
        id="PSB-POOL-STARVATION",
        title="A worker pool one client can fill",
        summary="Four slow jobs from one client occupy a four-worker pool, and every other "
        "client's request waits behind them.",
        cwe=410,
        bandit=(),
        no_static_rule="a pool's size and who may fill it are capacity decisions; the "
                       "submit call looks the same either way.",
        modules=("concurrent.futures", "threading"),
        page="practices/concurrency",
        insecure=submit_insecure,
        secure=submit_secure,
        attack=attack,
    )
)
