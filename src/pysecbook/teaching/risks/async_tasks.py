"""A fire-and-forget ``asyncio`` task: the payment is accepted, its audit record never written.

``asyncio.create_task(write_audit(payment))`` starts the audit write and returns at once;
the request answers "accepted". If the write raises, the exception stays in the task object,
which nobody awaits: asyncio only logs "Task exception was never retrieved" when the task is
garbage-collected, if ever, and the event loop keeps only a weak reference to running tasks,
so one can even be collected before it finishes. The secure version awaits the write as part
of the request: no record, no payment. The attack captures asyncio's log instead of letting
it reach the console.

The first fix (kept as :func:`handle_payment_first_try`) awaited the write and took "it did
not raise" for "it was written". An audit client that swallows a cancellation (a bare
``except``), or reports a failure as a return value, returns normally without writing. The
secure version accepts the payment only against the store's receipt.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Writes one audit record; returns the store's receipt for it (a non-empty string).
AuditWriter = Callable[[dict[str, object]], Awaitable[object]]


class AuditNotConfirmed(RuntimeError):
    """The audit store did not confirm the record: the payment is refused."""


async def handle_payment_insecure(payment: dict[str, object], write_audit: AuditWriter) -> str:
    """Accept a payment and write its audit record in the background."""
    asyncio.create_task(write_audit(payment))  # nosec PSB401 - deliberately insecure: demonstration of PSB-ASYNC-TASK-LOST
    return "accepted"


async def handle_payment_first_try(payment: dict[str, object], write_audit: AuditWriter) -> str:
    """A first fix: await the audit write before accepting.

    Kept to show the adapted attacks beating it: a write that returns without raising is
    taken for a write that happened.
    """
    await write_audit(payment)
    return "accepted"


async def handle_payment_secure(payment: dict[str, object], write_audit: AuditWriter) -> str:
    """Accept a payment only once the audit store has confirmed its record with a receipt.

    Awaiting the write makes its failure the request's failure; asking for the receipt makes
    a write that returned without writing (a swallowed cancellation, a failure reported as a
    value) a failure too.

    Assumes: ``write_audit`` returns a non-empty receipt string only after the record is
    stored, and the payment itself happens after this function returns, in the same request.
    Does not stop: a request cancelled after the record is written and before the payment is
    made (an audit record for a payment that never happened, which is the safe side); an
    audit store that hangs, which holds the request until the server's own timeout; and
    records lost later by the store itself.
    """
    receipt = await write_audit(payment)
    if not isinstance(receipt, str) or not receipt:
        raise AuditNotConfirmed(f"no receipt for payment {payment.get('id')!r}: got {receipt!r}")
    return "accepted"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_in_fresh_loop(main: Callable[[], Coroutine[Any, Any, str]]) -> tuple[str, list[str]]:
    """Run ``main()`` with ``asyncio.run`` in a thread of its own; return its answer and what
    asyncio logged.

    A fresh event loop in a thread: the caller may be running one already (a notebook kernel
    does). ``asyncio.run`` cancels the tasks still pending when ``main`` returns, as a server
    that stops does. asyncio's log is captured instead of reaching the console.
    """
    logger = logging.getLogger("asyncio")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    answers: list[str] = []

    def run() -> None:
        try:
            answers.append(asyncio.run(main()))
        except Exception as exc:  # the request failed: say how
            answers.append(f"refused ({type(exc).__name__}: {exc})")

    try:
        runner = threading.Thread(target=run)
        runner.start()
        runner.join(timeout=10)
        gc.collect()  # a finished task is collected here, and asyncio logs its exception
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    return (answers[0] if answers else "no answer"), capture.messages


PAYMENT = {"id": 9, "to": "mallory", "amount": "4999.00", "memo": "x" * 500}


def attack(handle: object) -> Outcome:
    """Pay with a memo too long for the audit store, and count the audit records."""
    audit: list[dict[str, object]] = []

    async def write_audit(payment: dict[str, object]) -> str:
        if len(str(payment["memo"])) > 64:
            raise ValueError("memo too long for the audit store")
        audit.append(payment)
        return f"audit-{len(audit)}"

    async def main() -> str:
        try:
            answer = await handle(dict(PAYMENT), write_audit)  # type: ignore[operator]
        except ValueError as exc:
            answer = f"refused ({exc})"
        await asyncio.sleep(0)  # let a background task run
        return str(answer)

    answer, messages = run_in_fresh_loop(main)
    first = messages[0].splitlines()[0] if messages else ""
    logged = f"; asyncio logged only {first!r}" if first else ""
    return Outcome(
        attack_succeeded=answer == "accepted" and not audit,
        observed=f"payment of 4999.00 to mallory: {answer}; audit records: {len(audit)}{logged}",
    )


def _lost(answer: str, audit: list[object], what: str) -> Outcome:
    return Outcome(answer == "accepted" and not audit,
                   f"{what}: {answer}; audit records: {len(audit)}")


def attack_stop_after_answer(handle: object) -> Outcome:
    """Nothing fails: the audit store is only slower than the answer, and the server stops
    (a deploy, a restart) right after answering. The pending write is cancelled."""
    audit: list[object] = []

    async def write_audit(payment: dict[str, object]) -> str:
        for _ in range(3):  # the store's round trip: a few turns of the event loop
            await asyncio.sleep(0)
        audit.append(payment)
        return "audit-1"

    async def main() -> str:
        return str(await handle(dict(PAYMENT, memo="rent"), write_audit))  # type: ignore[operator]

    answer, _ = run_in_fresh_loop(main)
    return _lost(answer, audit, "payment answered, then the server stopped")


def attack_cancel_swallowed(handle: object) -> Outcome:
    """Mallory disconnects while the audit record is being written; the server cancels her
    request, and the audit client's bare ``except`` swallows the cancellation and returns."""
    audit: list[object] = []

    async def main() -> str:
        writing = asyncio.Event()

        async def write_audit(payment: dict[str, object]) -> None:
            try:
                writing.set()
                await asyncio.Event().wait()  # the store's answer, which never comes
                audit.append(payment)
            except BaseException:  # noqa: BLE001 - the audit client's bug, on purpose
                return None  # "best effort": carry on

        request = asyncio.create_task(handle(dict(PAYMENT, memo="rent"), write_audit))  # type: ignore[operator]
        async with asyncio.timeout(5):
            await writing.wait()
        request.cancel()  # the client has gone
        try:
            return str(await request)
        except asyncio.CancelledError:
            return "cancelled"
        except AuditNotConfirmed as exc:
            return f"refused ({exc})"

    answer, _ = run_in_fresh_loop(main)
    return _lost(answer, audit, "request cancelled during the audit write")


def attack_failure_as_value(handle: object) -> Outcome:
    """The audit store reports a failure by returning ``False`` (or an error object) instead
    of raising; the memo is again too long for it."""
    audit: list[object] = []

    async def write_audit(payment: dict[str, object]) -> object:
        if len(str(payment["memo"])) > 64:
            return False
        audit.append(payment)
        return "audit-1"

    async def main() -> str:
        try:
            return str(await handle(dict(PAYMENT), write_audit))  # type: ignore[operator]
        except AuditNotConfirmed as exc:
            return f"refused ({exc})"

    answer, _ = run_in_fresh_loop(main)
    return _lost(answer, audit, "audit store answered False")


RISK = register(
    Risk(
        id="PSB-ASYNC-TASK-LOST",
        title="A fire-and-forget asyncio task",
        summary="asyncio.create_task() without keeping or awaiting the task: its exception "
        "is only logged at garbage collection, and the audit record is lost.",
        cwe=392,
        bandit=(),
        detections=("PSB401",),
        modules=("asyncio",),
        page="practices/concurrency",
        insecure=handle_payment_insecure,
        secure=handle_payment_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a slow audit store and a server that stops right after answering",
                          "variant", attack_stop_after_answer),
            AdaptedAttack("a cancellation during the audit write that the audit client "
                          "swallows", "links-races", attack_cancel_swallowed,
                          beats=handle_payment_first_try),
            AdaptedAttack("an audit store that reports its failure as a return value",
                          "type-confusion", attack_failure_as_value,
                          beats=handle_payment_first_try),
        ),
    )
)
