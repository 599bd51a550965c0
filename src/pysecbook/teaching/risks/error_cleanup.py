"""Clean-up skipped by an exception: elevated rights that outlive the task that failed.

A support console lets staff run a few maintenance tasks with elevated rights: the session
is elevated, the task runs, the session is dropped back. Written as three statements, the
drop never happens when the task raises, and Mallory can make a task raise with a malformed
argument. Her session stays elevated, and the next thing she asks for, deleting the audit
log, is allowed. The secure version gives the task an elevated copy of the session, which
nothing else sees, and drops its rights in ``finally``.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


@dataclass
class Session:
    """A logged-in member of staff; ``elevated`` while a maintenance task runs."""

    user: str
    elevated: bool = False


#: The console's audit trail, as UTF-8 lines (what a log file or a database column holds).
AUDIT: list[bytes] = []


def audit(line: str) -> None:
    """Append one line to the audit trail; a line that is not valid text raises."""
    AUDIT.append(line.encode("utf-8"))


def rebuild_index(session: Session, name: str) -> str:
    """A maintenance task; refuses names that are not plain identifiers."""
    if not name.isidentifier():
        raise ValueError(f"bad index name {name!r}")
    return f"index {name} rebuilt"


def vacuum(session: Session, *argv: str) -> str:
    """A maintenance task with command-line options, parsed by ``argparse``.

    On a bad option ``argparse`` prints its usage and raises ``SystemExit``, which is a
    ``BaseException``, not an ``Exception``.
    """
    parser = argparse.ArgumentParser(prog="vacuum")
    parser.add_argument("table")
    parser.add_argument("--full", action="store_true")
    options = parser.parse_args(argv)
    return f"table {options.table} vacuumed{' (full)' if options.full else ''}"


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


def run_as_admin_first_try(session: Session, task: Callable[..., str], *args: str) -> str:
    """A first fix: drop the rights in an ``except Exception`` handler too, and re-raise.

    Kept to show an adapted attack beating it: ``SystemExit``, ``KeyboardInterrupt`` and
    ``asyncio.CancelledError`` are not ``Exception`` s, and they leave the session elevated.
    """
    session.elevated = True  # nosec PSB303 - deliberately insecure: a first fix, demonstration of PSB-CLEANUP-ON-ERROR
    try:
        result = task(session, *args)
    except Exception:
        session.elevated = False
        raise
    session.elevated = False
    return result


def run_as_admin_audited_first_try(session: Session, task: Callable[..., str],
                                   *args: str) -> str:
    """A first fix with ``finally``, which also records the task before dropping the rights.

    Kept to show two adapted attacks beating it: when the audit line cannot be written, the
    exception leaves the ``finally`` block before its last statement; and while the task runs,
    the session every other request of the same user carries is elevated.
    """
    session.elevated = True
    try:
        return task(session, *args)
    finally:
        audit(f"{session.user} ran {task.__name__} {' '.join(args)}")
        session.elevated = False


def run_as_admin_secure(session: Session, task: Callable[..., str], *args: str) -> str:
    """Run one maintenance task with elevated rights that end with it, however it ends.

    The task gets an elevated copy of the session: the session that the user's other
    requests carry is never elevated. ``finally`` drops the copy's rights on every way out,
    an exception that is not an ``Exception`` (``SystemExit``, ``KeyboardInterrupt``) included,
    so a reference the task kept loses them too; it does nothing that could fail first.

    Assumes: the rights live in the ``elevated`` flag that each protected operation checks
    on the session it is given, and a task acts only through the session it receives.
    Does not stop: what a task does while it is elevated; a task that copies the session
    again, or starts work that runs on after it returns with its own copy; rights held
    anywhere else than the session (a database role, a file opened while elevated).
    """
    elevated = dataclasses.replace(session, elevated=True)
    try:
        return task(elevated, *args)
    finally:
        elevated.elevated = False


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


def _delete_afterwards(session: Session, failed: str) -> Outcome:
    try:
        answer = delete_audit_log(session)
    except PermissionError as exc:
        answer = f"refused ({exc})"
    return Outcome(answer == "audit log deleted",
                   f"{failed}; afterwards, delete_audit_log: {answer}")


def attack_base_exception(run_as_admin: Callable[..., str]) -> Outcome:
    """Give ``vacuum`` an option it does not know: ``argparse`` raises ``SystemExit``, which
    an ``except Exception`` clean-up does not see; the console survives it, the session too."""
    session = Session("mallory")
    with contextlib.redirect_stderr(io.StringIO()):  # argparse prints its usage there
        try:
            run_as_admin(session, vacuum, "orders", "--frobnicate")
        except SystemExit as exc:  # the console keeps running whatever a task does
            failed = f"the task raised SystemExit({exc.code})"
        else:
            failed = "the task ran"
    return _delete_afterwards(session, failed)


def attack_error_in_cleanup(run_as_admin: Callable[..., str]) -> Outcome:
    """Pass an argument that is not valid text (a byte decoded with ``surrogateescape``, as
    Python decodes command lines and file names): anything in the clean-up that writes it
    raises, and the statements after it in ``finally`` do not run."""
    session = Session("mallory")
    try:
        run_as_admin(session, rebuild_index, "orders\udcff")
    except Exception as exc:  # the console reports a failed task and carries on
        failed = f"the task failed ({type(exc).__name__})"
    else:
        failed = "the task ran"
    return _delete_afterwards(session, failed)


def attack_concurrent_request(run_as_admin: Callable[..., str]) -> Outcome:
    """Start a slow task, and while it runs send a second request on the same session. (The
    slow task waits for an event the attack sets, so the order is certain, not likely.)"""
    session = Session("mallory")
    started, finish = threading.Event(), threading.Event()
    answers: list[str] = []

    def slow_task(task_session: Session, name: str) -> str:
        started.set()
        finish.wait(5)
        return f"index {name} rebuilt"

    worker = threading.Thread(target=lambda: answers.append(
        run_as_admin(session, slow_task, "orders")), name="slow-task")
    worker.start()
    try:
        if not started.wait(5):
            return Outcome(False, "the slow task never started")
        try:
            answer = delete_audit_log(session)
        except PermissionError as exc:
            answer = f"refused ({exc})"
    finally:
        finish.set()
        worker.join(5)
    return Outcome(answer == "audit log deleted",
                   f"while the task ran, a second request on mallory's session: "
                   f"delete_audit_log: {answer}")


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
        adapted=(
            AdaptedAttack("a bad option: argparse raises SystemExit, which is not an Exception",
                          "variant", attack_base_exception, beats=run_as_admin_first_try),
            AdaptedAttack("an argument that is not valid text, so the clean-up itself raises",
                          "encoding", attack_error_in_cleanup,
                          beats=run_as_admin_audited_first_try),
            AdaptedAttack("a second request on the same session while a slow task runs",
                          "links-races", attack_concurrent_request,
                          beats=run_as_admin_audited_first_try),
        ),
    )
)
