"""Check, then act, in two threads: both withdrawals see the same balance and both are paid.

A withdrawal checks the balance, calls the payment provider (a network call that takes
milliseconds), and only then subtracts the amount. Two requests that arrive together both
pass the check before either has subtracted: 100.00 in the account, 200.00 paid out. The GIL
does not help: it makes single bytecodes atomic, not a check and the action after it. The
secure version reserves the amount under a lock before paying. The attack makes the overlap
certain instead of likely: its payment provider waits until every withdrawal is either
inside it or has been refused.

The first fix (kept as :func:`withdraw_first_try`) reserved under the lock and gave the
reservation back whenever paying raised. A provider that times out after it has paid raises
too, so the money went out and came back to the balance, to be spent again. The secure
version gives it back only when the provider says it refused (:class:`PaymentDeclined`), and
it accepts only a positive whole number of cents: a NaN or a negative amount turns the check
into a credit. Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: How long the attack waits, at most, for the requests to meet.
MEETING_TIMEOUT = 2.0

#: What the account holds at the start of every attack: 100.00.
BALANCE = 10_000


class Account:
    """A balance in cents, and the lock that guards it."""

    def __init__(self, balance_cents: int) -> None:
        self.balance_cents = balance_cents
        self.lock = threading.Lock()


class PaymentDeclined(Exception):
    """The provider refused the payment: no money moved."""


def withdraw_insecure(account: Account, cents: int, pay: Callable[[int], None]) -> bool:
    """Pay ``cents`` out of ``account`` through ``pay`` if the balance covers it."""
    if account.balance_cents < cents:
        return False
    pay(cents)
    account.balance_cents -= cents
    return True


def withdraw_first_try(account: Account, cents: int, pay: Callable[[int], None]) -> bool:
    """A first fix: reserve under the lock, then pay; give the amount back if paying raises.

    Kept to show the adapted attacks beating it: "paying raised" is not "nothing was paid"
    (a timeout after the provider paid raises too), and the amount is trusted to be a
    positive number.
    """
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


def withdraw_secure(account: Account, cents: int, pay: Callable[[int], None]) -> bool:
    """Reserve ``cents`` under the account's lock, then pay; give them back only on a refusal.

    Any other error from ``pay`` (a timeout, a lost connection) leaves the amount reserved:
    the provider may have paid, so only a reconciliation with the provider may release it.

    Assumes: the account lives in this process's memory and every change to it goes through
    its lock; ``pay`` raises :class:`PaymentDeclined` only when no money moved, and the
    provider does not pay one request twice (an idempotency key is the provider's side).
    Does not stop: another process that changes the same balance (a second worker, a cron
    job): a ``threading.Lock`` orders the threads of one process only, so a balance kept in
    a file or a database needs that store's own atomic update (a conditional ``UPDATE``, a
    transaction, a file lock); and an amount held after an unclear error stays held until
    somebody reconciles it.
    """
    if type(cents) is not int or cents <= 0:
        raise ValueError(f"a withdrawal is a positive whole number of cents, not {cents!r}")
    with account.lock:
        if account.balance_cents < cents:
            return False
        account.balance_cents -= cents
    try:
        pay(cents)
    except PaymentDeclined:
        with account.lock:
            account.balance_cents += cents
        raise
    return True


class Meeting:
    """Holds every payment until each request is either paying or has been answered.

    A request that reaches the provider waits here; one that is refused (or fails) before
    paying counts as answered. When every request is accounted for, the payments go ahead
    together: the worst interleaving for a check-then-act, made certain. ``timeout`` bounds
    the wait if a request never arrives.
    """

    def __init__(self, requests: int, timeout: float = MEETING_TIMEOUT) -> None:
        self.requests = requests
        self.timeout = timeout
        self.paying = 0
        self.answered = 0
        self.condition = threading.Condition()

    def _all_here(self) -> bool:
        return self.paying + self.answered >= self.requests

    def arrive(self) -> None:
        """Called by the provider: wait until nobody else can still reach the check."""
        with self.condition:
            self.paying += 1
            self.condition.notify_all()
            self.condition.wait_for(self._all_here, timeout=self.timeout)
            self.paying -= 1
            self.answered += 1

    def answered_without_paying(self) -> None:
        with self.condition:
            self.answered += 1
            self.condition.notify_all()


def concurrent_withdrawals(withdraw: Callable[..., bool], account: Account,
                           amounts: Sequence[object],
                           behaviours: Sequence[str] | None = None) -> dict[str, object]:
    """Run one withdrawal per amount, all at once, against ``account``.

    ``behaviours`` says what the provider does for each request: ``"pay"``, ``"decline"``
    (raises :class:`PaymentDeclined`, nothing paid) or ``"timeout"`` (pays, then raises
    ``TimeoutError``). Returns the money that really left, what each request answered, and
    the balance.
    """
    behaviours = behaviours or ["pay"] * len(amounts)
    meeting = Meeting(len(amounts))
    paid: list[object] = []
    answers: list[str] = [""] * len(amounts)
    guard = threading.Lock()

    def request(index: int) -> None:
        arrived = threading.Event()

        def provider(cents: int) -> None:
            arrived.set()
            meeting.arrive()
            if behaviours[index] == "decline":
                raise PaymentDeclined("card blocked")
            with guard:
                paid.append(cents)
            if behaviours[index] == "timeout":
                raise TimeoutError("no answer from the provider after the transfer")

        try:
            answers[index] = "accepted" if withdraw(account, amounts[index], provider) else "refused"
        except Exception as exc:  # the request failed: its answer says how
            answers[index] = type(exc).__name__
        finally:
            if not arrived.is_set():
                meeting.answered_without_paying()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(amounts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    money = sum(p for p in paid if isinstance(p, int) and p > 0)
    return {"paid": money, "answers": answers, "balance": account.balance_cents}


def _euros(cents: object) -> str:
    return f"{cents / 100:.2f}" if isinstance(cents, (int, float)) else repr(cents)


def attack(withdraw: object) -> Outcome:
    """Two withdrawals of 100.00, at the same moment, from an account holding 100.00."""
    account = Account(BALANCE)
    result = concurrent_withdrawals(withdraw, account, [BALANCE, BALANCE])  # type: ignore[arg-type]
    answers: list[str] = result["answers"]  # type: ignore[assignment]
    return Outcome(
        attack_succeeded=result["paid"] > BALANCE,  # type: ignore[operator]
        observed=f"two simultaneous withdrawals of 100.00 from 100.00: "
                 f"{answers.count('accepted')} accepted, {_euros(result['paid'])} paid out, "
                 f"balance {_euros(result['balance'])}",
    )


def attack_many_threads(withdraw: object) -> Outcome:
    """Eight withdrawals of 30.00 at the same instant from 100.00: more requests than the
    balance covers, all racing the same check."""
    account = Account(BALANCE)
    result = concurrent_withdrawals(withdraw, account, [3_000] * 8)  # type: ignore[arg-type]
    answers: list[str] = result["answers"]  # type: ignore[assignment]
    return Outcome(
        attack_succeeded=result["paid"] > BALANCE,  # type: ignore[operator]
        observed=f"8 x 30.00 at once from 100.00: {answers.count('accepted')} accepted, "
                 f"{_euros(result['paid'])} paid out",
    )


def attack_timeout_after_paying(withdraw: object) -> Outcome:
    """The provider pays, then times out: if the timeout gives the reservation back, the
    same 100.00 can be withdrawn again."""
    account = Account(BALANCE)
    first = concurrent_withdrawals(withdraw, account, [BALANCE], ["timeout"])  # type: ignore[arg-type]
    second = concurrent_withdrawals(withdraw, account, [BALANCE])  # type: ignore[arg-type]
    paid = first["paid"] + second["paid"]  # type: ignore[operator]
    return Outcome(
        attack_succeeded=paid > BALANCE,
        observed=f"first withdrawal paid, then timed out ({first['answers'][0]}); "  # type: ignore[index]
                 f"second withdrawal: {second['answers'][0]}; "  # type: ignore[index]
                 f"{_euros(paid)} paid out of 100.00",
    )


#: Amounts that are not a positive whole number of cents, and what they do to a plain check.
ODD_AMOUNTS: tuple[object, ...] = (float("nan"), -BALANCE, float("-inf"))


def attack_odd_amount(withdraw: object) -> Outcome:
    """Withdraw NaN (every later comparison is false, so every later check passes) or a
    negative amount (the subtraction adds), then the whole balance twice."""
    for odd in ODD_AMOUNTS:
        account = Account(BALANCE)
        concurrent_withdrawals(withdraw, account, [odd])  # type: ignore[arg-type]
        after = concurrent_withdrawals(withdraw, account, [BALANCE, BALANCE])  # type: ignore[arg-type]
        if after["paid"] > BALANCE:  # type: ignore[operator]
            return Outcome(True, f"after a withdrawal of {odd!r}, two withdrawals of 100.00 "
                                 f"from 100.00 paid {_euros(after['paid'])}")
    return Outcome(False, f"amounts {', '.join(map(repr, ODD_AMOUNTS))} refused; the balance "
                          "still covered one withdrawal of 100.00 only")


def attack_reentrant_provider(withdraw: object) -> Outcome:
    """The provider calls back into the application before answering (a webhook handled in
    the same thread): a second withdrawal runs inside the first one's payment."""
    account = Account(BALANCE)
    paid: list[int] = []
    depth = [0]

    def provider(cents: int) -> None:
        paid.append(cents)
        if depth[0] == 0:
            depth[0] += 1
            withdraw(account, BALANCE, provider)  # type: ignore[operator]

    outer = withdraw(account, BALANCE, provider)  # type: ignore[operator]
    total = sum(paid)
    return Outcome(
        attack_succeeded=total > BALANCE,
        observed=f"a withdrawal of 100.00 made from inside another (outer {outer}): "
                 f"{_euros(total)} paid out, balance {_euros(account.balance_cents)}",
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
        adapted=(
            AdaptedAttack("eight withdrawals of 30.00 at the same instant from 100.00",
                          "links-races", attack_many_threads),
            AdaptedAttack("a provider that pays and then times out, and a second withdrawal",
                          "variant", attack_timeout_after_paying, beats=withdraw_first_try),
            AdaptedAttack("an amount of NaN, a negative amount or minus infinity first",
                          "type-confusion", attack_odd_amount, beats=withdraw_first_try),
            AdaptedAttack("a second withdrawal from inside the first one's payment "
                          "(reentrancy)", "variant", attack_reentrant_provider),
        ),
    )
)
