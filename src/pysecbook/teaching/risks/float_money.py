"""Money held in floats: a ledger that accepts fractions of a cent, and a payout that rounds.

A ``float`` has about 16 significant decimal digits and no notion of a cent. A wallet that
takes the client's amount as a float debits exactly what was asked, ``0.005``, while the
payment provider can only move whole cents, so the payout is rounded: ``round(0.005, 2)`` is
``0.01``, because the float nearest to 0.005 lies a little above it. Every withdrawal pays
out twice what it debits. ``decimal.Decimal``, built from the client's text, holds the amount
exactly, and the secure wallet refuses anything that is not a whole number of cents.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pysecbook.teaching.risks import Outcome, Risk, register

#: The smallest amount the payment provider can move.
CENT = Decimal("0.01")

#: What the attacker's wallet holds before the attack, and what each request asks for.
OPENING_BALANCE = "5.00"
ATTACK_AMOUNT = "0.005"
ATTACK_REQUESTS = 1000


@dataclass
class Wallet:
    """A customer's balance and everything paid out of it."""

    balance: float | Decimal
    paid_out: float | Decimal = 0


def withdraw_insecure(wallet: Wallet, amount: str) -> str:
    """Pay ``amount`` (text sent by the client) out of the wallet, computing in floats."""
    value = float(amount)
    if value <= 0 or value > wallet.balance:
        raise ValueError(f"cannot withdraw {amount}")
    wallet.balance -= value
    paid = round(value, 2)  # the payment provider moves whole cents
    wallet.paid_out += paid
    return f"paid {paid:.2f}"


def withdraw_secure(wallet: Wallet, amount: str) -> str:
    """Pay ``amount`` out of the wallet in Decimal; only whole cents are accepted."""
    try:
        value = Decimal(amount)
        whole_cents = value.is_finite() and value == value.quantize(CENT)
    except InvalidOperation:
        whole_cents = False
    if not whole_cents or value <= 0 or value > wallet.balance:
        raise ValueError(f"cannot withdraw {amount!r}: a positive number of whole cents, "
                         "at most the balance")
    wallet.balance -= value
    wallet.paid_out += value
    return f"paid {value}"


def open_wallet(withdraw: object) -> Wallet:
    """A wallet holding :data:`OPENING_BALANCE`, in the number type ``withdraw`` computes in."""
    balance = float(OPENING_BALANCE) if withdraw is withdraw_insecure else Decimal(OPENING_BALANCE)
    return Wallet(balance=balance, paid_out=type(balance)(0))


def attack(withdraw: object) -> Outcome:
    """Ask for half a cent, a thousand times, from a wallet holding 5.00."""
    wallet = open_wallet(withdraw)
    accepted = refused = 0
    for _ in range(ATTACK_REQUESTS):
        try:
            withdraw(wallet, ATTACK_AMOUNT)  # type: ignore[operator]
        except ValueError:
            refused += 1
        else:
            accepted += 1
    paid = Decimal(str(wallet.paid_out)).quantize(CENT)
    return Outcome(
        attack_succeeded=paid > Decimal(OPENING_BALANCE),
        observed=f"{ATTACK_REQUESTS} withdrawals of {ATTACK_AMOUNT} from a balance of "
                 f"{OPENING_BALANCE}: {accepted} accepted, {refused} refused, {paid} paid out",
    )


RISK = register(
    Risk(
        id="PSB-NUM-FLOAT-MONEY",
        title="Money computed in floats",
        summary="A float ledger debits fractions of a cent that the payout rounds up: each "
        "half-cent withdrawal pays a whole cent.",
        cwe=1339,
        bandit=(),
        no_static_rule="float arithmetic is right for measurements and wrong for money; "
                       "nothing in the code says which of the two a float holds.",
        modules=("decimal", "builtins"),
        page="practices/numbers",
        insecure=withdraw_insecure,
        secure=withdraw_secure,
        attack=attack,
    )
)
