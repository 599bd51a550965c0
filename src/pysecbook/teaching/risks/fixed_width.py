"""Fixed-width integers wrap around: a ``ctypes.c_int32`` total that passes a balance check.

Python's ``int`` never overflows, but the moment a value is stored in a fixed-width field
(``ctypes`` for a C library or a binary record, a numpy ``int32`` array) it is reduced modulo
2**32, silently. An order of about two million items at 19.99 costs some 43 million, which
does not fit in a signed 32-bit field: stored there, it becomes a few cents, and a balance
check on the stored value lets the order through. The secure version computes in Python
``int``, refuses totals outside the field's range, and only then stores the value.
``struct.pack`` and ``array`` raise instead of wrapping.

The wrap has a second direction: a total just past 2**31 is stored as a negative number, and
debiting a negative total credits the account. A negative quantity does the same without any
wrap. The secure version's range checks (a quantity of 1 to :data:`MAX_QUANTITY`, a total
that fits) refuse both. Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The range of the payment record's signed 32-bit amount field, in cents.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: The most items one order line may hold (secure version).
MAX_QUANTITY = 10_000

#: The attacker's order: a quantity chosen so that the total wraps to a few cents.
UNIT_PRICE_CENTS = 1999
ATTACK_QUANTITY = -(-(2**32) // UNIT_PRICE_CENTS)  # ceil(2**32 / 1999): just past 2**32 cents


@dataclass
class Account:
    """A customer account: its balance in cents and the items shipped to it."""

    balance_cents: int
    shipped: int = 0


def charge_order_insecure(account: Account, quantity: int, unit_price_cents: int) -> int:
    """Charge an order; the total is kept in the payment record's 32-bit field."""
    total = ctypes.c_int32(quantity * unit_price_cents).value  # nosec PSB101 - deliberately insecure: demonstration of PSB-NUM-FIXED-WIDTH
    if total > account.balance_cents:
        raise ValueError("insufficient funds")
    account.balance_cents -= total
    account.shipped += quantity
    return total


def charge_order_secure(account: Account, quantity: int, unit_price_cents: int) -> int:
    """Charge an order; quantity and total are checked before the total is stored.

    Assumes: quantity and unit price are Python ``int`` (a numpy ``int32`` quantity would be
    multiplied in 32 bits, and wrap, before the check); one order at a time per account, or
    the check and the debit inside one transaction.
    Does not stop: an order of several lines whose totals fit one by one but whose sum does
    not (check the sum before it is stored too); two orders racing on one balance.
    """
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be 1 to {MAX_QUANTITY}")
    total = quantity * unit_price_cents
    if not 0 <= total <= INT32_MAX:
        raise ValueError("order total does not fit the payment record")
    if total > account.balance_cents:
        raise ValueError("insufficient funds")
    record = ctypes.c_int32(total)  # fits: checked above
    account.balance_cents -= record.value
    account.shipped += quantity
    return record.value


def attack(charge: object) -> Outcome:
    """Order just over 2**32 cents' worth of items at 19.99, with 100.00 in the account."""
    account = Account(balance_cents=10_000)
    try:
        charged = charge(account, ATTACK_QUANTITY, UNIT_PRICE_CENTS)  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"order of {ATTACK_QUANTITY:,} items refused: {exc}")
    worth = ATTACK_QUANTITY * UNIT_PRICE_CENTS
    return Outcome(
        attack_succeeded=charged < worth,
        observed=f"{account.shipped:,} items worth {worth / 100:,.2f} shipped for "
                 f"{charged / 100:,.2f}; balance left {account.balance_cents / 100:,.2f}",
    )


def _order(charge: object, quantity: int) -> Outcome:
    """Order ``quantity`` items at 19.99 from an account holding 100.00."""
    account = Account(balance_cents=10_000)
    try:
        charged = charge(account, quantity, UNIT_PRICE_CENTS)  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"order of {quantity:,} items refused: {exc}")
    return Outcome(
        attack_succeeded=account.balance_cents > 10_000,
        observed=f"order of {quantity:,} items charged {charged / 100:,.2f}: the balance went "
                 f"from 100.00 to {account.balance_cents / 100:,.2f}, {account.shipped:,} items "
                 "shipped",
    )


#: Just past 2**31 cents' worth: the total wraps to a large negative number.
NEGATIVE_WRAP_QUANTITY = -(-(2**31) // UNIT_PRICE_CENTS)


def attack_negative_wrap(charge: object) -> Outcome:
    """Order just over 2**31 cents' worth, which the signed field stores as a negative total:
    does the order credit the account?"""
    return _order(charge, NEGATIVE_WRAP_QUANTITY)


def attack_negative_quantity(charge: object) -> Outcome:
    """Order -1000 items: a negative total, no wrap needed. Does the order credit the account?"""
    return _order(charge, -1000)


RISK = register(
    Risk(
        id="PSB-NUM-FIXED-WIDTH",
        title="A total stored in a fixed-width integer wraps around",
        summary="ctypes (and numpy arrays) reduce a value modulo 2**32 without a word; a "
        "huge order's total wraps to a few cents and passes the balance check.",
        cwe=190,
        bandit=(),
        detections=("PSB101",),
        modules=("ctypes", "struct", "array"),
        page="practices/numbers",
        insecure=charge_order_insecure,
        secure=charge_order_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a total just past 2**31, stored as a negative number", "variant",
                          attack_negative_wrap),
            AdaptedAttack("a negative quantity", "type-confusion", attack_negative_quantity),
        ),
    )
)
