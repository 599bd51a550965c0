"""NaN passes every limit check: each comparison with it is False.

``float("nan")`` (and ``json.loads``, which accepts the bare literal ``NaN``) gives a value for
which ``x <= 0``, ``x > limit`` and ``x > balance`` are all False, so a validation written as
"refuse if too small, refuse if too large" lets it through. Once it reaches the balance the
balance is NaN too, and from then on the insufficient-funds check never fires. The secure
version refuses any amount that is not finite (``math.isfinite``) before comparing.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pysecbook.teaching.risks import Outcome, Risk, register

#: The most one transfer may move.
TRANSFER_LIMIT = 1000.0


@dataclass
class Account:
    """An account: its balance and the transfers that left it."""

    balance: float
    sent: list[float] = field(default_factory=list)


def transfer_insecure(account: Account, amount: str) -> str:
    """Send ``amount`` (text from the client) if it is positive, within the limit and covered."""
    value = float(amount)
    if value <= 0:
        raise ValueError("the amount must be positive")
    if value > TRANSFER_LIMIT:
        raise ValueError(f"at most {TRANSFER_LIMIT:.2f} per transfer")
    if value > account.balance:
        raise ValueError("insufficient funds")
    account.balance -= value
    account.sent.append(value)
    return f"sent {value:.2f}"


def transfer_secure(account: Account, amount: str) -> str:
    """Send ``amount``; it must be a finite number before any limit is compared."""
    value = float(amount)
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {amount!r}")
    if value <= 0:
        raise ValueError("the amount must be positive")
    if value > TRANSFER_LIMIT:
        raise ValueError(f"at most {TRANSFER_LIMIT:.2f} per transfer")
    if value > account.balance:
        raise ValueError("insufficient funds")
    account.balance -= value
    account.sent.append(value)
    return f"sent {value:.2f}"


def attack(transfer: object) -> Outcome:
    """From an account holding 100.00: one transfer of "nan", then five of 1000."""
    account = Account(balance=100.0)
    answers = []
    for amount in ("nan", *["1000"] * 5):
        try:
            answers.append(transfer(account, amount))  # type: ignore[operator]
        except ValueError as exc:
            answers.append(f"refused ({exc})")
    moved = sum(v for v in account.sent if math.isfinite(v))
    return Outcome(
        attack_succeeded=moved > 100.0,
        observed=f"'nan': {answers[0]}; then 5 x 1000: {answers.count('sent 1000.00')} sent; "
                 f"{moved:,.2f} left an account that held 100.00, balance now {account.balance}",
    )


RISK = register(
    Risk(
        id="PSB-NUM-NAN-LIMIT",
        title="NaN passes a limit check",
        summary="Every comparison with NaN is False, so 'refuse if too large' lets it "
        "through, and a NaN balance disables the funds check.",
        cwe=1287,
        bandit=(),
        no_static_rule="whether a float can be NaN depends on where it came from; the "
                       "comparisons look the same either way.",
        modules=("math", "json", "builtins"),
        page="practices/numbers",
        insecure=transfer_insecure,
        secure=transfer_secure,
        attack=attack,
    )
)
