"""A fire-and-forget ``asyncio`` task: the payment is accepted, its audit record never written.

``asyncio.create_task(write_audit(payment))`` starts the audit write and returns at once;
the request answers "accepted". If the write raises, the exception stays in the task object,
which nobody awaits: asyncio only logs "Task exception was never retrieved" when the task is
garbage-collected, if ever, and the event loop keeps only a weak reference to running tasks,
so one can even be collected before it finishes. The secure version awaits the write as part
of the request: no record, no payment. The attack captures asyncio's log instead of letting
it reach the console. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Awaitable, Callable

from pysecbook.teaching.risks import Outcome, Risk, register

AuditWriter = Callable[[dict[str, object]], Awaitable[None]]


async def handle_payment_insecure(payment: dict[str, object], write_audit: AuditWriter) -> str:
    """Accept a payment and write its audit record in the background."""
    asyncio.create_task(write_audit(payment))  # nosec PSB401 - deliberately insecure: demonstration of PSB-ASYNC-TASK-LOST
    return "accepted"


async def handle_payment_secure(payment: dict[str, object], write_audit: AuditWriter) -> str:
    """Accept a payment only once its audit record has been written."""
    await write_audit(payment)
    return "accepted"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _scenario(handle: object, audit: list[dict[str, object]]) -> str:
    async def write_audit(payment: dict[str, object]) -> None:
        if len(str(payment["memo"])) > 64:
            raise ValueError("memo too long for the audit store")
        audit.append(payment)

    payment = {"id": 9, "to": "mallory", "amount": "4999.00", "memo": "x" * 500}
    try:
        answer = await handle(payment, write_audit)  # type: ignore[operator]
    except ValueError as exc:
        answer = f"refused ({exc})"
    await asyncio.sleep(0)  # let a background task run
    return answer


def attack(handle: object) -> Outcome:
    """Pay with a memo too long for the audit store, and count the audit records."""
    audit: list[dict[str, object]] = []
    logger = logging.getLogger("asyncio")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    answers: list[str] = []
    try:
        # A fresh event loop in a thread of its own: the caller may be running one already
        # (a notebook kernel does).
        runner = threading.Thread(
            target=lambda: answers.append(asyncio.run(_scenario(handle, audit))))
        runner.start()
        runner.join(timeout=10)
        gc.collect()  # the finished task is collected here, and asyncio logs its exception
        answer = answers[0] if answers else "no answer"
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    first = capture.messages[0].splitlines()[0] if capture.messages else ""
    logged = f"; asyncio logged only {first!r}" if first else ""
    return Outcome(
        attack_succeeded=answer == "accepted" and not audit,
        observed=f"payment of 4999.00 to mallory: {answer}; audit records: {len(audit)}{logged}",
    )


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
    )
)
