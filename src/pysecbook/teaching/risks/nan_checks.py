"""NaN passes every limit check: each comparison with it is False.

``float("nan")`` (and ``json.loads``, which accepts the bare literal ``NaN``) gives a value for
which ``x <= 0``, ``x > limit`` and ``x > balance`` are all False, so a validation written as
"refuse if too small, refuse if too large" lets it through. Once it reaches the balance the
balance is NaN too, and from then on the insufficient-funds check never fires. The secure
version refuses any amount that is not finite (``math.isfinite``) before comparing, and writes
every check so that passing it needs a comparison to be True (``if not value <= balance``):
a NaN that arrives by another route, a balance poisoned elsewhere, is then refused as well.
A first fix that refuses the text ``nan`` is beaten by ``-nan``, which ``float()`` also reads.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


#: The spellings of NaN and infinity a first fix refuses, as text.
NON_FINITE_WORDS = frozenset({"nan", "inf", "-inf", "infinity", "-infinity"})


def transfer_first_try(account: Account, amount: str) -> str:
    """A first fix: refuse the words for NaN and infinity before converting the text.

    Kept to show the adapted attack beating it: the list has ``nan`` but ``float()`` also
    reads ``-nan`` and ``+NaN``, and the comparisons after it still let NaN through.
    """
    if amount.strip().lower() in NON_FINITE_WORDS:
        raise ValueError(f"not a finite amount: {amount!r}")
    return transfer_insecure(account, amount)


def transfer_secure(account: Account, amount: str) -> str:
    """Send ``amount``; it must be a finite number, and every check must pass by a True
    comparison, so that NaN anywhere (the amount or the balance) is refused.

    Assumes: one transfer at a time per account (the check and the debit are two steps: a
    real ledger does both in one transaction); amounts are floats here to show the limit
    checks, where money belongs in Decimal or whole cents.
    Does not stop: fractions of a cent (0.001 is sent as it is; see PSB-NUM-FLOAT-MONEY);
    the float rounding of a balance after many transfers; two transfers racing between the
    check and the debit.
    """
    value = float(amount)
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {amount!r}")
    if not 0 < value:
        raise ValueError("the amount must be positive")
    if not value <= TRANSFER_LIMIT:
        raise ValueError(f"at most {TRANSFER_LIMIT:.2f} per transfer")
    if not value <= account.balance:  # False for a NaN balance too: refused
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


def _drain(transfer: object, account: Account, first: object) -> Outcome:
    """Send ``first``, then five transfers of 1000, from ``account`` (which held 100.00)."""
    answers = []
    for amount in (first, *["1000"] * 5):
        try:
            answers.append(transfer(account, amount))  # type: ignore[operator]
        except (ValueError, TypeError, AttributeError) as exc:
            answers.append(f"refused ({exc})")
    moved = sum(v for v in account.sent if math.isfinite(v))
    return Outcome(
        attack_succeeded=moved > 100.0,
        observed=f"{first!r}: {answers[0]}; then 5 x 1000: {answers.count('sent 1000.00')} "
                 f"sent; {moved:,.2f} left an account that held 100.00",
    )


def attack_other_spellings(transfer: object) -> Outcome:
    """Send NaN spelt ``-nan`` (a word list has ``nan``; ``float()`` reads both), then drain
    the account."""
    return _drain(transfer, Account(balance=100.0), "-nan")


def attack_json_number(transfer: object) -> Outcome:
    """Send NaN as a JSON number (``json.loads`` reads the bare literal ``NaN`` as a float,
    even with ``parse_float=Decimal``) instead of text, then drain the account."""
    import json
    from decimal import Decimal

    amount = json.loads('{"amount": NaN}', parse_float=Decimal)["amount"]
    return _drain(transfer, Account(balance=100.0), amount)


def attack_poisoned_balance(transfer: object) -> Outcome:
    """The account's balance is already NaN, written by another route (a deposit endpoint
    without the check, a record loaded with ``json.loads``); the account held 100.00 before
    that. Transfer 1000 five times."""
    account = Account(balance=float("nan"))
    return _drain(transfer, account, "50")


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
        adapted=(
            AdaptedAttack("NaN spelt '-nan', which a list of forbidden words does not have",
                          "encoding", attack_other_spellings, beats=transfer_first_try),
            AdaptedAttack("NaN as a JSON number rather than text", "type-confusion",
                          attack_json_number),
            AdaptedAttack("a balance that is already NaN, written by another route", "variant",
                          attack_poisoned_balance),
        ),
    )
)
