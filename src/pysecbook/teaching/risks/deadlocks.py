"""Two locks taken in opposite orders: two transfers wait for each other for ever.

A transfer locks the source account, writes an audit line, then locks the target account.
Alice pays Bob while Bob pays Alice: the first transfer holds Alice's lock and wants Bob's,
the second holds Bob's and wants Alice's, and neither will ever let go. Every later request
that touches either account queues behind them: a denial of service that any two customers
can cause, on purpose or not. The secure version always takes the locks in one global order
(by account id). The attacks run in a child interpreter, which reports after a third of a
second whether the transfers finished, and exits even if they did not.

The first fix (kept as :func:`transfer_first_try`) sorted the locks but still wrote the audit
line while holding one, and took the same account's lock twice when an account paid itself.
An audit writer has a lock of its own, and a statement job that takes it before an account's
lock closes a cycle through it. The secure version refuses a transfer to the same account and
calls no outside code while it holds a lock. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: How long the child waits for the transfers before it reports them stuck.
PATIENCE = 0.3

#: How long an audit write waits for the other transfers to reach their own (the attack's
#: timing).
MEETING_TIMEOUT = 0.1


class Account:
    """An account: an id that orders locks, a balance and its lock."""

    def __init__(self, account_id: str, balance: int) -> None:
        self.id = account_id
        self.balance = balance
        self.lock = threading.Lock()


def transfer_insecure(source: Account, target: Account, amount: int,
                      audit: Callable[[str], None]) -> None:
    """Move ``amount`` from ``source`` to ``target``, holding both accounts' locks."""
    with source.lock:
        audit(f"debit {source.id} {amount}")
        with target.lock:
            source.balance -= amount
            target.balance += amount


def transfer_first_try(source: Account, target: Account, amount: int,
                       audit: Callable[[str], None]) -> None:
    """A first fix: take the two locks in one global order, by account id.

    Kept to show the adapted attacks beating it: the audit line is written with a lock held,
    and an account that pays itself is locked twice.
    """
    first, second = sorted((source, target), key=lambda account: account.id)
    with first.lock:
        audit(f"debit {source.id} {amount}")
        with second.lock:
            source.balance -= amount
            target.balance += amount


def transfer_secure(source: Account, target: Account, amount: int,
                    audit: Callable[[str], None]) -> None:
    """Move ``amount``, taking the two locks in one global order, and nothing else with them.

    The locks are taken by account id, so two transfers can never each hold a lock the other
    wants; a transfer to the same account is refused (a ``threading.Lock`` taken twice by one
    thread waits for itself); and ``audit`` runs after both locks are released, so a lock it
    takes cannot join a cycle with theirs.

    Assumes: every piece of code that holds more than one account lock takes them by account
    id, and account ids are unique (one ``Account`` object, one lock, per id).
    Does not stop: a cycle through locks this function never sees (code elsewhere that holds
    an account lock and waits for something else); a transfer that is never audited because
    ``audit`` failed after the money moved (the caller must retry the audit, not the
    transfer); and contention, since every transfer of a busy account still queues on its
    lock.
    """
    if source is target or source.id == target.id:
        raise ValueError(f"a transfer needs two different accounts, not {source.id!r} twice")
    first, second = sorted((source, target), key=lambda account: account.id)
    with first.lock, second.lock:
        source.balance -= amount
        target.balance += amount
    audit(f"transfer {source.id} -> {target.id} {amount}")


def _meeting_audit(parties: int) -> Callable[[str], None]:
    """An audit writer that waits until ``parties`` transfers have reached their audit line."""
    meeting = threading.Barrier(parties)

    def audit(line: str) -> None:
        try:
            meeting.wait(timeout=MEETING_TIMEOUT)
        except threading.BrokenBarrierError:
            pass

    return audit


def _run(jobs: list[tuple[Callable[..., None], tuple[object, ...]]],
         accounts: list[Account]) -> dict[str, object]:
    """Start every job in a daemon thread at once; report how many are still stuck."""
    errors: list[str] = []

    def guarded(func: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            func(*args)
        except Exception as exc:  # a refusal, reported rather than printed
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=guarded, args=job, daemon=True) for job in jobs]
    start = time.perf_counter()
    for t in threads:
        t.start()
    deadline = start + PATIENCE
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.perf_counter()))
    stuck = sum(t.is_alive() for t in threads)
    return {"stuck": stuck, "jobs": len(jobs), "seconds": round(time.perf_counter() - start, 3),
            "balances": [a.balance for a in accounts], "errors": errors}


def _scenario(transfer: Callable[..., None], name: str) -> dict[str, object]:
    alice, bob, carol = Account("alice", 100), Account("bob", 100), Account("carol", 100)
    if name == "opposite":
        audit = _meeting_audit(2)
        return _run([(transfer, (alice, bob, 30, audit)), (transfer, (bob, alice, 20, audit))],
                    [alice, bob])
    if name == "cycle":
        audit = _meeting_audit(3)
        return _run([(transfer, (alice, bob, 30, audit)), (transfer, (bob, carol, 20, audit)),
                     (transfer, (carol, alice, 10, audit))], [alice, bob, carol])
    if name == "self":
        copy = Account("bob", 100)  # bob's account loaded a second time: same id, own lock
        audit = _meeting_audit(2)
        return _run([(transfer, (alice, alice, 5, lambda line: None)),
                     (transfer, (bob, copy, 5, audit)), (transfer, (copy, bob, 5, audit))],
                    [alice, bob, copy])
    if name == "audit-lock":
        log_lock = threading.Lock()
        met = threading.Barrier(2)

        def audit(line: str) -> None:  # the audit log has its own lock
            try:
                met.wait(timeout=MEETING_TIMEOUT)
            except threading.BrokenBarrierError:
                pass
            with log_lock:
                pass

        def statement(account: Account) -> None:  # log first, then the account
            with log_lock:
                try:
                    met.wait(timeout=MEETING_TIMEOUT)
                except threading.BrokenBarrierError:
                    pass
                with account.lock:
                    pass

        return _run([(transfer, (alice, bob, 30, audit)), (statement, (alice,))], [alice, bob])
    raise ValueError(f"unknown scenario {name!r}")


def run_scenario(transfer_ref: str, name: str = "opposite") -> dict[str, object]:
    """Run one scenario of transfers (in the child); report what finished."""
    import importlib

    module_name, _, qualname = transfer_ref.partition(":")
    return _scenario(getattr(importlib.import_module(module_name), qualname), name)


def opposite_transfers(transfer_ref: str) -> dict[str, object]:
    """Run Alice -> Bob and Bob -> Alice at once (in the child); report what finished."""
    return run_scenario(transfer_ref, "opposite")


_SNIPPET = """\
import json, sys
from pysecbook.teaching.risks.deadlocks import run_scenario
print(json.dumps(run_scenario(sys.argv[1], sys.argv[2])), flush=True)
"""


def in_child(transfer: object, scenario: str) -> dict[str, object] | str:
    """Run ``scenario`` with ``transfer`` in a child interpreter; its report, or why it failed."""
    ref = f"{transfer.__module__}:{transfer.__qualname__}"  # type: ignore[attr-defined]
    with private_tmpdir() as tmp:
        done = run_python(_SNIPPET, cwd=tmp, args=[ref, scenario], timeout=20)
    try:
        return dict(json.loads(last_line(done.stdout)))
    except ValueError:
        return f"the child failed: {last_line(done.stderr) or 'no output'}"


def _stuck_outcome(data: dict[str, object] | str, what: str) -> Outcome:
    if isinstance(data, str):
        return Outcome(False, data)
    if data["stuck"]:
        return Outcome(True, f"{what}: {data['stuck']} of {data['jobs']} still waiting after "
                             f"{PATIENCE} s, each holding a lock another needs")
    refused = f"; refused: {'; '.join(data['errors'])}" if data["errors"] else ""  # type: ignore[arg-type]
    return Outcome(False, f"{what}: all {data['jobs']} done in {data['seconds']} s, balances "
                          f"{data['balances']}{refused}")


def attack(transfer: object) -> Outcome:
    """Alice pays Bob 30 while Bob pays Alice 20, in a child interpreter."""
    data = in_child(transfer, "opposite")
    if isinstance(data, str):
        return Outcome(False, data)
    if data["stuck"]:
        observed = (f"{data['stuck']} of 2 transfers still waiting after {PATIENCE} s, each "
                    "holding the lock the other needs: both accounts are frozen")
    else:
        observed = (f"both transfers done in {data['seconds']} s; balances alice "
                    f"{data['balances'][0]}, bob {data['balances'][1]}")  # type: ignore[index]
    return Outcome(attack_succeeded=bool(data["stuck"]), observed=observed)


def attack_three_way_cycle(transfer: object) -> Outcome:
    """Three customers pay each other in a ring (Alice -> Bob -> Carol -> Alice) at once: no
    two transfers are opposite, the cycle has three locks."""
    return _stuck_outcome(in_child(transfer, "cycle"), "alice -> bob -> carol -> alice")


def attack_self_transfer(transfer: object) -> Outcome:
    """An account pays itself: by the same object (one lock taken twice), and by a second copy
    of it loaded elsewhere (same id, so the sort cannot order the two locks)."""
    return _stuck_outcome(in_child(transfer, "self"),
                          "alice pays alice; bob pays bob through a second copy, both ways")


def attack_audit_lock(transfer: object) -> Outcome:
    """A statement job takes the audit log's lock, then the account's, while a transfer holds
    the account's lock and writes to the audit log: a cycle through a lock the transfer does
    not own."""
    return _stuck_outcome(in_child(transfer, "audit-lock"),
                          "a transfer from alice while her statement is written")


RISK = register(
    Risk(
        id="PSB-DEADLOCK-LOCK-ORDER",
        title="Two locks taken in opposite orders",
        summary="Two transfers in opposite directions each hold one account's lock and wait "
        "for the other's: both accounts freeze.",
        cwe=833,
        bandit=(),
        no_static_rule="each function takes its locks in one order; the deadlock is in two "
                       "calls with their arguments swapped.",
        modules=("threading",),
        page="practices/concurrency",
        insecure=transfer_insecure,
        secure=transfer_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("three customers paying each other in a ring, at once", "variant",
                          attack_three_way_cycle),
            AdaptedAttack("an account that pays itself, directly or through a second copy",
                          "type-confusion", attack_self_transfer, beats=transfer_first_try),
            AdaptedAttack("a statement job that takes the audit log's lock, then the "
                          "account's", "variant", attack_audit_lock, beats=transfer_first_try),
        ),
    )
)
