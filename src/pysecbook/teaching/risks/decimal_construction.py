"""A ``Decimal`` built from a float keeps the float's error: a 1.5 % fee that rounds the wrong way.

``Decimal(0.015)`` is not 0.015 but the float nearest to it, written out in full:
``0.01499999999999999944488848768742172978818416595458984375``. On a 1.00 payment the fee is
then a hair below half a cent, and rounding half up gives 0.01 instead of 0.02: a customer who
pays in 1.00 parts pays half the fee the tariff says. ``Decimal("0.015")``, built from the
text, is exact.

The rounding mode is part of the tariff too: ``quantize`` without ``rounding=`` uses the
context's, half to even, so a fee of exactly 0.045 becomes 0.04. And a fee function that
multiplies whatever it is given returns a negative fee for a negative amount and NaN for NaN:
the secure version refuses anything but a positive, finite Decimal. Last, a Decimal product is
rounded to the precision of the thread's context before ``quantize`` sees it, and a context is
shared by everything on the thread: one that an earlier request narrowed to six digits turns a
fee of 1234.545 into 1234.54. The secure version multiplies in a fresh context of its own and
refuses a product that is not exact.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, localcontext

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

CENT = Decimal("0.01")

#: The tariff as published: 1.5 % of each payment, rounded half up to the cent.
TARIFF = "0.015"

#: The attacker's payments.
ATTACK_PAYMENTS = 100
ATTACK_AMOUNT = Decimal("1.00")


def fee_insecure(amount: Decimal) -> Decimal:
    """The 1.5 % fee of one payment, rounded half up to the cent."""
    return (amount * Decimal(0.015)).quantize(CENT, rounding=ROUND_HALF_UP)  # nosec PSB103 - deliberately insecure: demonstration of PSB-NUM-DECIMAL-FLOAT


def fee_first_try(amount: Decimal) -> Decimal:
    """A first fix: the rate is built from its text, and the rounding is left to the default.

    Kept to show the adapted attack beating it: ``quantize`` without ``rounding=`` rounds half
    to even, which the tariff does not say.
    """
    return (amount * Decimal("0.015")).quantize(CENT)


def fee_secure(amount: Decimal) -> Decimal:
    """The 1.5 % fee of one payment, rounded half up; the rate is built from its text.

    Assumes: the amount is a Decimal built from text (``Decimal("19.99")``, or JSON read with
    ``parse_float=Decimal``), never from a float.
    Does not stop: a payment split into parts whose fee is under half a cent (0.33 pays no
    fee under this half-up tariff; PSB-NUM-TRUNCATED-FEE rounds fees up instead); a caller
    that turns the fee back into a float to store or display it.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValueError(f"an amount is a positive, finite Decimal, not {amount!r}")
    with localcontext(Context(prec=40)) as ctx:  # not the thread's context, which may be narrowed
        product = amount * Decimal("0.015")
        if ctx.flags[Inexact]:
            raise ValueError(f"too many digits for an exact fee: {amount!r}")
        return product.quantize(CENT, rounding=ROUND_HALF_UP)


def attack(fee: object) -> Outcome:
    """Pay 100.00 as a hundred payments of 1.00 and compare the fees with the tariff."""
    charged = sum(fee(ATTACK_AMOUNT) for _ in range(ATTACK_PAYMENTS))  # type: ignore[operator]
    due = ATTACK_PAYMENTS * (ATTACK_AMOUNT * Decimal(TARIFF)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Outcome(
        attack_succeeded=charged < due,
        observed=f"{ATTACK_PAYMENTS} payments of {ATTACK_AMOUNT}: fees charged {charged}, "
                 f"the tariff ({TARIFF} of each, half up) says {due}",
    )


def attack_even_cents(fee: object) -> Outcome:
    """Pay 300.00 as a hundred payments of 3.00, whose fee (0.045) is exactly half a cent
    above an even cent, and compare the fees with the tariff."""
    amount = Decimal("3.00")
    charged = sum(fee(amount) for _ in range(ATTACK_PAYMENTS))  # type: ignore[operator]
    due = ATTACK_PAYMENTS * (amount * Decimal(TARIFF)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Outcome(
        attack_succeeded=charged < due,
        observed=f"{ATTACK_PAYMENTS} payments of {amount}: fees charged {charged}, the tariff "
                 f"says {due}",
    )


#: Amounts that are not payments: a refund sent through the payment call, a negative zero,
#: NaN and infinity, and a float from JSON read without ``parse_float=Decimal``.
SPECIAL_AMOUNTS: tuple[object, ...] = (Decimal("-1.00"), Decimal("-0.00"), Decimal("NaN"),
                                      Decimal("Infinity"), 1.0)


def attack_special_amounts(fee: object) -> Outcome:
    """Ask for the fee of each of :data:`SPECIAL_AMOUNTS`: does one come back negative, or
    not a number (a fee nobody can collect)?"""
    answers, won = [], []
    for amount in SPECIAL_AMOUNTS:
        try:
            charged = fee(amount)  # type: ignore[operator]
        except (ValueError, ArithmeticError, TypeError) as exc:
            answers.append(f"{amount!r}: refused ({type(exc).__name__})")
            continue
        answers.append(f"{amount!r}: fee {charged}")
        if not charged.is_finite() or charged < 0:
            won.append(f"{amount!r} -> {charged}")
    return Outcome(
        attack_succeeded=bool(won),
        observed=(f"fees the shop pays out or cannot collect: {', '.join(won)}; " if won else
                  "no negative or non-numeric fee; ") + "; ".join(answers),
    )


#: A payment whose fee (1234.545) needs seven digits, and the precision an earlier request on
#: the same thread left in its decimal context.
NARROW_PRECISION = 6
NARROW_AMOUNT = Decimal("82303.00")


def attack_narrowed_context(fee: object) -> Outcome:
    """Pay 82,303.00, whose fee 1234.545 has seven digits, on a thread whose decimal context an
    earlier request narrowed to six (``getcontext().prec = 6``) and did not restore."""
    with localcontext() as ctx:
        ctx.prec = NARROW_PRECISION
        try:
            charged = fee(NARROW_AMOUNT)  # type: ignore[operator]
        except ArithmeticError as exc:
            return Outcome(False, f"refused under precision 6: {type(exc).__name__}")
    due = (NARROW_AMOUNT * Decimal(TARIFF)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Outcome(
        attack_succeeded=charged < due,
        observed=f"a payment of {NARROW_AMOUNT} under context precision {NARROW_PRECISION}: fee "
                 f"charged {charged}, the tariff says {due}",
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
        adapted=(
            AdaptedAttack("payments of 3.00, whose fee 0.045 the default rounding (half to "
                          "even) takes down", "variant", attack_even_cents, beats=fee_first_try),
            AdaptedAttack("a negative amount, -0.00, NaN, Infinity and a float", "type-confusion",
                          attack_special_amounts),
            AdaptedAttack("a payment on a thread whose decimal context an earlier request "
                          "narrowed to six digits", "variant", attack_narrowed_context),
        ),
    )
)
