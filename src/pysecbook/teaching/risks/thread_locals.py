"""A thread-local reused by the next request on the same worker: Alice's identity, for Mallory.

A web service keeps the signed-in user in a ``threading.local()`` so that deep helpers can
read it. The handler sets it when the request carries a valid token, and forgets that a pool
reuses its threads: the next request served by the same worker, unauthenticated, finds the
previous user still there, and reads her inbox. ``ThreadPoolExecutor``'s ``initializer``
runs once per thread, not once per task, so it does not help. The secure version sets the
value for every request, and clears it in ``finally``. Book page:
``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Valid session tokens, and whose they are.
TOKENS: Mapping[str, str] = {"t-alice-8f2c": "alice", "t-bob-77aa": "bob"}

INBOXES: Mapping[str, str] = {"alice": "payslip November: 4,210.00", "bob": "dentist, Tuesday"}

_CURRENT = threading.local()


def read_inbox() -> str:
    """A helper deep in the application: it reads the request's user from the thread-local."""
    user = getattr(_CURRENT, "user", None)
    if user is None:
        return "401 sign in first"
    return f"200 {user}'s inbox: {INBOXES[user]}"


def handle_insecure(request: Mapping[str, str]) -> str:
    """Serve one request in a pool worker; the signed-in user goes into a thread-local."""
    token = request.get("token")
    if token in TOKENS:
        _CURRENT.user = TOKENS[token]
    return read_inbox()


def handle_secure(request: Mapping[str, str]) -> str:
    """Serve one request; the thread-local is set for every request and cleared after it.

    Assumes: one request at a time per thread, from its first line to its last: a thread
    pool or a threaded server, not an ``asyncio`` handler or a generator that is suspended
    between setting the user and reading it (use a ``contextvars.ContextVar`` there), and
    no helper that hands the work to another thread and reads the user there.
    Does not stop: code that copies the user somewhere longer-lived (a cache, a global, a
    closure kept after the request); and a nested call of the handler inside a request,
    which clears the outer request's user (so the outer one answers 401, the safe side).
    """
    _CURRENT.user = TOKENS.get(request.get("token", ""))
    try:
        return read_inbox()
    finally:
        _CURRENT.user = None


def attack(handle: object) -> Outcome:
    """Alice's request, then Mallory's without a token, on a pool of one worker."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="web") as pool:
        alice = pool.submit(handle, {"token": "t-alice-8f2c"}).result()  # type: ignore[arg-type]
        mallory = pool.submit(handle, {}).result()  # type: ignore[arg-type]
    return Outcome(
        attack_succeeded="alice's inbox" in mallory,
        observed=f"alice: {alice}; then mallory, no token, same worker: {mallory}",
    )


def attack_background_job(handle: object) -> Outcome:
    """Not a request at all: a background job (a mail digest) runs on the same worker after
    Alice's request and calls the same deep helper."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="web") as pool:
        pool.submit(handle, {"token": "t-alice-8f2c"}).result()  # type: ignore[arg-type]
        digest = pool.submit(read_inbox).result()
    return Outcome(attack_succeeded="alice's inbox" in digest,
                   observed=f"after alice's request, the digest job on the same worker read: "
                            f"{digest}")


#: Workers in the busy-server attack.
BUSY_WORKERS = 8


def attack_every_worker(handle: object) -> Outcome:
    """A busy server: eight workers, each of which has just served Alice or Bob, then eight
    requests from Mallory without a token, one per worker."""
    served = threading.Barrier(BUSY_WORKERS, timeout=5)

    def signed_in(n: int) -> str:
        answer = handle({"token": ("t-alice-8f2c", "t-bob-77aa")[n % 2]})  # type: ignore[operator]
        served.wait()  # each worker keeps its request until all eight are served
        return str(answer)

    def anonymous() -> str:
        answer = str(handle({}))  # type: ignore[operator]
        served.wait()  # one anonymous request per worker
        return answer

    with ThreadPoolExecutor(max_workers=BUSY_WORKERS, thread_name_prefix="web") as pool:
        list(pool.map(signed_in, range(BUSY_WORKERS)))
        served.reset()
        answers = [f.result() for f in [pool.submit(anonymous) for _ in range(BUSY_WORKERS)]]
    leaked = [a for a in answers if not a.startswith("401")]
    return Outcome(attack_succeeded=bool(leaked),
                   observed=f"{BUSY_WORKERS} anonymous requests, one per worker: {len(leaked)} "
                            f"read another user's inbox"
                            + (f" (first: {leaked[0]})" if leaked else ""))


RISK = register(
    Risk(
        id="PSB-THREADLOCAL-REUSE",
        title="A thread-local that outlives its request",
        summary="A pool reuses threads: a thread-local set for one request is still there "
        "for the next, unauthenticated one.",
        cwe=665,
        bandit=(),
        no_static_rule="a thread-local set on one path looks like any attribute assignment; "
                       "whether every request resets it depends on every path that serves one.",
        modules=("threading", "concurrent.futures", "contextvars"),
        page="practices/concurrency",
        insecure=handle_insecure,
        secure=handle_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a background job, not a request, on a worker that served Alice",
                          "variant", attack_background_job),
            AdaptedAttack("eight workers that served Alice or Bob, then eight anonymous "
                          "requests", "links-races", attack_every_worker),
        ),
    )
)
