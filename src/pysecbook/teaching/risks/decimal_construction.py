"""A ``Decimal`` built from a float keeps the float's error: a 1.5 % fee that rounds the wrong way.

``Decimal(0.015)`` is not 0.015 but the float nearest to it, written out in full:
``0.01499999999999999944488848768742172978818416595458984375``. On a 1.00 payment the fee is
then a hair below half a cent, and rounding half up gives 0.01 instead of 0.02: a customer who
pays in 1.00 parts pays half the fee the tariff says. ``Decimal("0.015")``, built from the
text, is exact. Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pysecbook.teaching.risks import Outcome, Risk, register

CENT = Decimal("0.01")

#: The tariff as published: 1.5 % of each payment, rounded half up to the cent.
TARIFF = "0.015"

#: The attacker's payments.
ATTACK_PAYMENTS = 100
ATTACK_AMOUNT = Decimal("1.00")


def fee_insecure(amount: Decimal) -> Decimal:
    """The 1.5 % fee of one payment, rounded half up to the cent."""
    return (amount * Decimal(0.015)).quantize(CENT, rounding=ROUND_HALF_UP)  # nosec PSB103 - deliberately insecure: demonstration of PSB-NUM-DECIMAL-FLOAT


def fee_secure(amount: Decimal) -> Decimal:
    """The 1.5 % fee of one payment, rounded half up; the rate is built from its text."""
    return (amount * Decimal("0.015")).quantize(CENT, rounding=ROUND_HALF_UP)


def attack(fee: object) -> Outcome:
    """Pay 100.00 as a hundred payments of 1.00 and compare the fees with the tariff."""
    charged = sum(fee(ATTACK_AMOUNT) for _ in range(ATTACK_PAYMENTS))  # type: ignore[operator]
    due = ATTACK_PAYMENTS * (ATTACK_AMOUNT * Decimal(TARIFF)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Outcome(
        attack_succeeded=charged < due,
        observed=f"{ATTACK_PAYMENTS} payments of {ATTACK_AMOUNT}: fees charged {charged}, "
                 f"the tariff ({TARIFF} of each, half up) says {due}",
    )


RISK = register(
    Risk(
        id="PSB-NUM-DECIMAL-FLOAT",
        title="A Decimal built from a float",
        summary="Decimal(0.015) holds the float's binary error, so a fee at an exact half "
        "cent rounds down; build Decimals from strings.",
        cwe=681,
        bandit=(),
        detections=("PSB103",),
        modules=("decimal",),
        page="practices/numbers",
        insecure=fee_insecure,
        secure=fee_secure,
        attack=attack,
    )
)
