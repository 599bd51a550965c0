"""A shared worker pool that one client can fill: everybody else's request waits behind it.

A report service runs jobs on a pool of four threads, shared by all clients. Mallory submits
four slow reports; Alice's quick one queues behind them and misses its deadline. A bigger
pool only raises the number of requests the attack needs. The secure version gives each
client at most two of the four workers and refuses the rest at once (HTTP 429), so a worker
is always free for somebody else. Mallory's slow jobs wait on an event the attack releases
as soon as Alice's answer is measured, so nothing sleeps.

The first fix (kept as :func:`submit_first_try`) gave each client a semaphore of two, created
on first sight and kept for ever, whatever the size of the pool: in a pool of two workers,
one client's share is the whole pool, and a flood of made-up client names grows the table of
semaphores without end. The secure version counts running jobs per client under one lock,
forgets a client whose jobs are all done, and never lets one client have every worker.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

WORKERS = 4
PER_CLIENT = 2

#: How long Alice's client waits for its report.
DEADLINE = 0.1


class TooManyRequests(RuntimeError):
    """The client already has its share of the workers (HTTP 429)."""


class ReportService:
    """A pool of workers, shared by every client, and what the submit functions keep."""

    def __init__(self, workers: int = WORKERS) -> None:
        if workers < 2:
            raise ValueError("a pool shared by several clients needs at least two workers")
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reports")
        self.guard = threading.Lock()
        #: The first fix's semaphores, one per client ever seen.
        self.shares: dict[str, threading.BoundedSemaphore] = {}
        #: The secure version's count of running or queued jobs, per client with any.
        self.running: dict[str, int] = {}

    def tracked_clients(self) -> int:
        """How many clients the service keeps state for."""
        return len(self.shares) + len(self.running)


def submit_insecure(service: ReportService, client: str, job: Callable[[], str]) -> Future[str]:
    """Queue a report job on the shared pool."""
    return service.pool.submit(job)


def submit_first_try(service: ReportService, client: str, job: Callable[[], str]) -> Future[str]:
    """A first fix: a semaphore of two per client; a client holding both is refused (429).

    Kept to show the adapted attacks beating it: two is the whole of a pool of two, and a
    semaphore is kept for every client name ever seen.
    """
    with service.guard:
        share = service.shares.setdefault(client, threading.BoundedSemaphore(PER_CLIENT))
    if not share.acquire(blocking=False):
        raise TooManyRequests(f"{client} already has {PER_CLIENT} reports running")
    future = service.pool.submit(job)
    future.add_done_callback(lambda _: share.release())
    return future


def submit_secure(service: ReportService, client: str, job: Callable[[], str]) -> Future[str]:
    """Queue a report job; a client holding its share of the workers is refused (429).

    A client's share is ``PER_CLIENT`` workers, and never more than all of them but one. Its
    count is checked and raised under one lock, so simultaneous requests cannot all pass, and
    the client is forgotten when its last job is done.

    Assumes: ``client`` is an authenticated identity that the attacker cannot multiply at
    will, and jobs end (each has its own time limit); the service has at least two workers.
    Does not stop: as many clients as there are workers, each within its share (several
    accounts of one person, or many people at once), filling the pool together; jobs queued
    without bound behind a full pool; and slow jobs that never end, which keep their
    worker.
    """
    limit = min(PER_CLIENT, service.workers - 1)
    with service.guard:
        running = service.running.get(client, 0)
        if running >= limit:
            raise TooManyRequests(f"{client} already has {running} reports running")
        service.running[client] = running + 1

    def finished(_: object) -> None:
        with service.guard:
            left = service.running[client] - 1
            if left:
                service.running[client] = left
            else:
                del service.running[client]

    try:
        future = service.pool.submit(job)
    except BaseException:
        finished(None)
        raise
    future.add_done_callback(finished)
    return future


def starve(submit: Callable[..., Future[str]], workers: int = WORKERS,
           slow_jobs: int = WORKERS, clients: tuple[str, ...] = ("mallory",)) -> tuple[str, int]:
    """Submit ``slow_jobs`` slow reports (spread over ``clients``), then Alice's quick one.

    Returns what Alice got within :data:`DEADLINE` and how many slow jobs were refused.
    """
    service = ReportService(workers)
    release = threading.Event()

    def slow_report() -> str:
        release.wait(timeout=5)
        return "mallory's report"

    refused = 0
    try:
        for n in range(slow_jobs):
            try:
                submit(service, clients[n % len(clients)], slow_report)
            except TooManyRequests:
                refused += 1
        alice = submit(service, "alice", lambda: "alice's report")
        try:
            answer = f"served: {alice.result(timeout=DEADLINE)}"
        except FutureTimeout:
            answer = f"no answer within {DEADLINE} s (timed out)"
    finally:
        release.set()
        service.pool.shutdown(wait=True)
    return answer, refused


def attack(submit: object) -> Outcome:
    """Mallory submits four slow reports; then Alice asks for a quick one."""
    answer, refused = starve(submit)  # type: ignore[arg-type]
    return Outcome(
        attack_succeeded=answer.startswith("no answer"),
        observed=f"mallory's 4 slow reports: {WORKERS - refused} queued, {refused} refused "
                 f"(429); alice's report: {answer}",
    )


def attack_small_pool(submit: object) -> Outcome:
    """The same service deployed with a pool of two workers (a small container): is the
    per-client share still less than the pool?"""
    answer, refused = starve(submit, workers=2, slow_jobs=2)  # type: ignore[arg-type]
    return Outcome(
        attack_succeeded=answer.startswith("no answer"),
        observed=f"pool of 2, mallory's 2 slow reports: {2 - refused} queued, {refused} "
                 f"refused (429); alice's report: {answer}",
    )


#: How many made-up client names the flood uses.
FLOOD = 2_000


def attack_name_flood(submit: object) -> Outcome:
    """Mallory sends one quick report under each of thousands of made-up client names: does
    the service keep something for every name it has ever seen?"""
    service = ReportService()
    try:
        for n in range(FLOOD):
            submit(service, f"mallory-{n}", lambda: "ok")  # type: ignore[operator]
    finally:
        service.pool.shutdown(wait=True)  # every job done, every callback run
    kept = service.tracked_clients()
    return Outcome(
        attack_succeeded=kept >= FLOOD,
        observed=f"{FLOOD} client names, every job finished: the service still tracks {kept} "
                 "client(s)",
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
        adapted=(
            AdaptedAttack("the same attack against a pool of two workers", "exhaustion",
                          attack_small_pool, beats=submit_first_try),
            AdaptedAttack("one quick job under each of 2,000 made-up client names",
                          "exhaustion", attack_name_flood, beats=submit_first_try),
        ),
    )
)
