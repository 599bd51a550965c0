"""Two locks taken in opposite orders: two transfers wait for each other for ever.

A transfer locks the source account, writes an audit line, then locks the target account.
Alice pays Bob while Bob pays Alice: the first transfer holds Alice's lock and wants Bob's,
the second holds Bob's and wants Alice's, and neither will ever let go. Every later request
that touches either account queues behind them: a denial of service that any two customers
can cause, on purpose or not. The secure version always takes the locks in one global order
(by account id). The attack runs in a child interpreter, which reports after a third of a second
whether the transfers finished, and exits even if they did not.
Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

#: How long the child waits for the two transfers before it reports them stuck.
PATIENCE = 0.3

#: How long an audit write waits for the other transfer to reach its own (the attack's timing).
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


def transfer_secure(source: Account, target: Account, amount: int,
                    audit: Callable[[str], None]) -> None:
    """Move ``amount``, taking the two locks in one global order: by account id."""
    first, second = sorted((source, target), key=lambda account: account.id)
    with first.lock:
        audit(f"debit {source.id} {amount}")
        with second.lock:
            source.balance -= amount
            target.balance += amount


def opposite_transfers(transfer_ref: str) -> dict[str, object]:
    """Run Alice -> Bob and Bob -> Alice at once (in the child); report what finished."""
    import importlib

    module_name, _, name = transfer_ref.partition(":")
    transfer = getattr(importlib.import_module(module_name), name)
    alice, bob = Account("alice", 100), Account("bob", 100)
    meeting = threading.Barrier(2)

    def audit(line: str) -> None:
        try:
            meeting.wait(timeout=MEETING_TIMEOUT)  # both transfers at their audit line
        except threading.BrokenBarrierError:
            pass

    threads = [threading.Thread(target=transfer, args=args, daemon=True)
               for args in ((alice, bob, 30, audit), (bob, alice, 20, audit))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=PATIENCE)
    stuck = sum(t.is_alive() for t in threads)
    return {"stuck": stuck, "seconds": round(time.perf_counter() - start, 3),
            "balances": [alice.balance, bob.balance]}


_SNIPPET = """\
import json, sys
from pysecbook.teaching.risks.deadlocks import opposite_transfers
print(json.dumps(opposite_transfers(sys.argv[1])), flush=True)
"""


def attack(transfer: object) -> Outcome:
    """Alice pays Bob 30 while Bob pays Alice 20, in a child interpreter."""
    ref = f"{transfer.__module__}:{transfer.__qualname__}"  # type: ignore[attr-defined]
    with private_tmpdir() as tmp:
        done = run_python(_SNIPPET, cwd=tmp, args=[ref], timeout=20)
    try:
        data = json.loads(last_line(done.stdout))
    except ValueError:
        return Outcome(False, f"the child failed: {last_line(done.stderr) or 'no output'}")
    if data["stuck"]:
        observed = (f"{data['stuck']} of 2 transfers still waiting after {PATIENCE} s, each "
                    "holding the lock the other needs: both accounts are frozen")
    else:
        observed = (f"both transfers done in {data['seconds']} s; balances alice "
                    f"{data['balances'][0]}, bob {data['balances'][1]}")
    return Outcome(attack_succeeded=bool(data["stuck"]), observed=observed)


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
    )
)
