"""Check, then act, in two threads: both withdrawals see the same balance and both are paid.

A withdrawal checks the balance, calls the payment provider (a network call that takes
milliseconds), and only then subtracts the amount. Two requests that arrive together both
pass the check before either has subtracted: 100.00 in the account, 200.00 paid out. The GIL
does not help: it makes single bytecodes atomic, not a check and the action after it. The
secure version reserves the amount under a lock before paying, and gives it back if the
payment fails. The attack makes the overlap certain instead of likely: its payment provider
waits until both withdrawals are inside it, or until one of them has finished without
paying. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register

#: How long the attack waits, at most, for the two requests to meet.
MEETING_TIMEOUT = 2.0


class Account:
    """A balance in cents, and the lock that guards it."""

    def __init__(self, balance_cents: int) -> None:
        self.balance_cents = balance_cents
        self.lock = threading.Lock()


def withdraw_insecure(account: Account, cents: int, pay: Callable[[int], None]) -> bool:
    """Pay ``cents`` out of ``account`` through ``pay`` if the balance covers it."""
    if account.balance_cents < cents:
        return False
    pay(cents)
    account.balance_cents -= cents
    return True


def withdraw_secure(account: Account, cents: int, pay: Callable[[int], None]) -> bool:
    """Reserve ``cents`` under the account's lock, then pay; give them back if paying fails."""
    with account.lock:
        if account.balance_cents < cents:
            return False
        account.balance_cents -= cents
    try:
        pay(cents)
    except Exception:
        with account.lock:
            account.balance_cents += cents
        raise
    return True


def attack(withdraw: object) -> Outcome:
    """Two withdrawals of 100.00, at the same moment, from an account holding 100.00."""
    account = Account(10_000)
    paid: list[int] = []
    meeting = threading.Barrier(2)

    def provider(cents: int) -> None:
        try:
            meeting.wait(timeout=MEETING_TIMEOUT)  # both requests inside the provider
        except threading.BrokenBarrierError:
            pass  # the other request finished without paying
        paid.append(cents)

    results: list[bool] = []

    def request() -> None:
        results.append(withdraw(account, 10_000, provider))  # type: ignore[operator]

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + MEETING_TIMEOUT
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        if len(results) == 1 and not results[0]:
            meeting.abort()  # one request was refused: do not keep the other waiting
        time.sleep(0.001)
    for t in threads:
        t.join()
    total = sum(paid)
    return Outcome(
        attack_succeeded=total > 10_000,
        observed=f"two simultaneous withdrawals of 100.00 from 100.00: {results.count(True)} "
                 f"accepted, {total / 100:.2f} paid out, balance {account.balance_cents / 100:.2f}",
    )


RISK = register(
    Risk(
        id="PSB-RACE-CHECK-THEN-ACT",
        title="A balance checked and spent in two steps, in two threads",
        summary="Two withdrawals that arrive together both pass the balance check before "
        "either subtracts: the money is spent twice.",
        cwe=367,
        bandit=(),
        no_static_rule="whether a check and the action after it can interleave with "
                       "another thread depends on how the function is called, not on its "
                       "text.",
        modules=("threading",),
        page="practices/concurrency",
        insecure=withdraw_insecure,
        secure=withdraw_secure,
        attack=attack,
    )
)
