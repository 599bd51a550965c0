"""Clean-up skipped by an exception: elevated rights that outlive the task that failed.

A support console lets staff run a few maintenance tasks with elevated rights: the session
is elevated, the task runs, the session is dropped back. Written as three statements, the
drop never happens when the task raises, and Mallory can make a task raise with a malformed
argument. Her session stays elevated, and the next thing she asks for, deleting the audit
log, is allowed. The secure version drops the rights in ``finally``.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pysecbook.teaching.risks import Outcome, Risk, register


@dataclass
class Session:
    """A logged-in member of staff; ``elevated`` while a maintenance task runs."""

    user: str
    elevated: bool = False


def rebuild_index(session: Session, name: str) -> str:
    """A maintenance task; refuses names that are not plain identifiers."""
    if not name.isidentifier():
        raise ValueError(f"bad index name {name!r}")
    return f"index {name} rebuilt"


def delete_audit_log(session: Session) -> str:
    """Only an elevated session may do this."""
    if not session.elevated:
        raise PermissionError(f"{session.user}: not elevated")
    return "audit log deleted"


def run_as_admin_insecure(session: Session, task: Callable[..., str], *args: str) -> str:
    """Run one maintenance task with elevated rights, then drop them."""
    session.elevated = True  # nosec PSB303 - deliberately insecure: demonstration of PSB-CLEANUP-ON-ERROR
    result = task(session, *args)
    session.elevated = False
    return result


def run_as_admin_secure(session: Session, task: Callable[..., str], *args: str) -> str:
    """Run one maintenance task with elevated rights, dropped whatever the task does."""
    session.elevated = True
    try:
        return task(session, *args)
    finally:
        session.elevated = False


def attack(run_as_admin: object) -> Outcome:
    """Make the task fail, then ask for the audit log to be deleted."""
    session = Session("mallory")
    failed = "the task ran"
    try:
        run_as_admin(session, rebuild_index, "orders; drop")  # type: ignore[operator]
    except ValueError as exc:
        failed = f"the task failed ({exc})"
    try:
        answer = delete_audit_log(session)
    except PermissionError as exc:
        answer = f"refused ({exc})"
    return Outcome(
        attack_succeeded=answer == "audit log deleted",
        observed=f"{failed}; afterwards, delete_audit_log: {answer}",
    )


RISK = register(
    Risk(
        id="PSB-CLEANUP-ON-ERROR",
        title="Clean-up skipped when an exception is raised",
        summary="Rights dropped by the statement after a task stay granted when the task "
        "raises; drop them in finally.",
        cwe=460,
        bandit=(),
        detections=("PSB303",),
        modules=("builtins", "contextlib"),
        page="practices/errors",
        insecure=run_as_admin_insecure,
        secure=run_as_admin_secure,
        attack=attack,
    )
)
