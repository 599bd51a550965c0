"""A fee truncated by ``int()``: split the payment, and the fee on each part rounds to nothing.

``int()`` drops the fraction of a float, towards zero. A 2.9 % fee on a 34-cent payment is
0.986 cents, and ``int(0.986)`` is 0: whoever splits 100.30 into 295 payments of 0.34 pays no
fee at all, where one payment would pay 2.91. Choosing the rounding is part of the rule: the
secure version computes in ``Decimal`` and rounds every fee up (``ROUND_UP``), so that the
fees of the parts always add up to at least the fee of the whole, and splitting never pays.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from pysecbook.teaching.risks import Outcome, Risk, register

#: The processor's fee: 2.9 % of each payment.
FEE_RATE = Decimal("0.029")

#: What the attacker pays in total, in cents, and the part sizes it tries.
ATTACK_TOTAL_CENTS = 10_030
ATTACK_PART_SIZES = (10_030, 1_000, 100, 34, 17)


def fee_insecure(amount_cents: int) -> int:
    """The processing fee of one payment, in cents."""
    return int(amount_cents * 0.029)


def fee_secure(amount_cents: int) -> int:
    """The processing fee of one payment, in cents, rounded up to the next whole cent."""
    if amount_cents <= 0:
        raise ValueError("a payment is a positive number of cents")
    return int((amount_cents * FEE_RATE).to_integral_value(rounding=ROUND_UP))


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
    )
)
