"""A fee truncated by ``int()``: split the payment, and the fee on each part rounds to nothing.

``int()`` drops the fraction of a float, towards zero. A 2.9 % fee on a 34-cent payment is
0.986 cents, and ``int(0.986)`` is 0: whoever splits 100.30 into 295 payments of 0.34 pays no
fee at all, where one payment would pay 2.91. Choosing the rounding is part of the rule: the
secure version rounds every fee up, so that the fees of the parts always add up to at least
the fee of the whole, and splitting never pays.

Rounding up holds only if nothing rounds before it. The first fix computes in ``Decimal`` and
rounds with ``ROUND_UP``, but a Decimal product is first rounded to the context's precision,
half to even: 28 digits by default, fewer if anything earlier on the same thread narrowed
its context. The secure version therefore computes the fee exactly, in integers: the
rate is the fraction 29/1000, and the fee is a ceiling division.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal, localcontext

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The processor's fee: 2.9 % of each payment.
FEE_RATE = Decimal("0.029")

#: What the attacker pays in total, in cents, and the part sizes it tries.
ATTACK_TOTAL_CENTS = 10_030
ATTACK_PART_SIZES = (10_030, 1_000, 100, 34, 17)


def fee_insecure(amount_cents: int) -> int:
    """The processing fee of one payment, in cents."""
    return int(amount_cents * 0.029)


def fee_first_try(amount_cents: int) -> int:
    """A first fix: Decimal, and every fee rounded up to the next whole cent.

    Kept to show the adapted attacks beating it: the product is rounded to the decimal
    context's precision, half to even, before ``ROUND_UP`` sees it.
    """
    if amount_cents <= 0:
        raise ValueError("a payment is a positive number of cents")
    return int((amount_cents * FEE_RATE).to_integral_value(rounding=ROUND_UP))


def fee_secure(amount_cents: int) -> int:
    """The processing fee of one payment, in cents, rounded up to the next whole cent,
    computed exactly in integers.

    Assumes: amounts are whole cents as Python ``int`` (a float or a bool is refused), and
    the rate is the exact fraction in ``FEE_RATE``.
    Does not stop: rounding up costs the customer up to a cent per payment, which is the
    point; refunds need their own rule (this function refuses amounts that are not
    positive); limits on the size of a payment belong to the caller.
    """
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValueError("a payment is a positive whole number of cents")
    numerator, denominator = FEE_RATE.as_integer_ratio()  # 29, 1000: exact
    return -(-amount_cents * numerator // denominator)  # ceiling division: rounded up, exactly


def fees_for_parts(fee: object, total_cents: int, part_cents: int) -> tuple[int, int]:
    """Pay ``total_cents`` in parts of ``part_cents`` (and one smaller rest): (parts, fees)."""
    count, rest = divmod(total_cents, part_cents)
    parts = [part_cents] * count + ([rest] if rest else [])
    return len(parts), sum(fee(p) for p in parts)  # type: ignore[operator]


def attack(fee: object) -> Outcome:
    """Pay 100.30 in the parts that cost the least fee."""
    whole = fee(ATTACK_TOTAL_CENTS)  # type: ignore[operator]
    options = [(*fees_for_parts(fee, ATTACK_TOTAL_CENTS, size), size) for size in ATTACK_PART_SIZES]
    parts, cheapest, size = min(options, key=lambda o: (o[1], o[0]))
    return Outcome(
        attack_succeeded=cheapest < whole,
        observed=f"100.30 paid at once costs a fee of {whole / 100:.2f}; the cheapest split "
                 f"tried, {parts} payment(s) of {size / 100:.2f}, costs {cheapest / 100:.2f}",
    )


def exact_fee(amount_cents: int) -> int:
    """What the tariff says a payment costs: 2.9 % of it, rounded up, computed exactly."""
    numerator, denominator = FEE_RATE.as_integer_ratio()
    return -(-amount_cents * numerator // denominator)


#: Payments whose fee needs more digits than a narrowed context keeps, and the precision an
#: earlier request on the same thread left in its decimal context.
NARROW_PRECISION = 6
NARROW_PAYMENTS = (12_345_670, 425_712_000)


def attack_narrowed_context(fee: object) -> Outcome:
    """Pay amounts whose fee has more than six significant digits, on a thread whose decimal
    context an earlier request narrowed to six digits (``getcontext().prec = 6``) and did not
    restore."""
    with localcontext() as ctx:
        ctx.prec = NARROW_PRECISION
        charged = [fee(a) for a in NARROW_PAYMENTS]  # type: ignore[operator]
    due = [exact_fee(a) for a in NARROW_PAYMENTS]
    short = sum(d - c for c, d in zip(charged, due))
    return Outcome(
        attack_succeeded=short > 0,
        observed=f"context precision {NARROW_PRECISION}: fees charged {charged}, the tariff "
                 f"says {due}; {short} cent(s) short",
    )


#: A payment whose exact fee needs 29 digits, one more than Decimal's default context keeps.
HUGE_PAYMENT = 10**30 + 1


def attack_huge_payment(fee: object) -> Outcome:
    """Pay one amount so large that its fee needs more digits than Decimal's default 28:
    the product is rounded half to even before it is rounded up."""
    charged = fee(HUGE_PAYMENT)  # type: ignore[operator]
    due = exact_fee(HUGE_PAYMENT)
    return Outcome(
        attack_succeeded=charged < due,
        observed=f"a payment of 10**30 + 1 cents: fee charged {charged}, the tariff says {due} "
                 f"({due - charged} cent(s) short)",
    )


RISK = register(
    Risk(
        id="PSB-NUM-TRUNCATED-FEE",
        title="A fee truncated by int()",
        summary="int() rounds towards zero, so a payment split into small parts pays no "
        "fee; round fees up so the parts never cost less than the whole.",
        cwe=197,
        bandit=(),
        no_static_rule="truncation is right for indexes and pixel counts; nothing in "
                       "int(amount * rate) says that the number is money.",
        modules=("decimal", "builtins"),
        page="practices/numbers",
        insecure=fee_insecure,
        secure=fee_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("payments on a thread whose decimal context an earlier request "
                          "narrowed to six digits", "variant", attack_narrowed_context,
                          beats=fee_first_try),
            AdaptedAttack("one payment whose fee needs more digits than Decimal's default "
                          "context", "type-confusion", attack_huge_payment, beats=fee_first_try),
        ),
    )
)
