"""A loop counted with a float runs once more than written.

``0.1`` has no exact binary value, and ten additions of it make ``0.9999999999999999``, which
is still below ``1.0``: a ``while issued < value`` loop that steps by ``0.1`` turns eleven
times. Splitting a 1.00 gift card into 0.10 vouchers that way issues 1.10 of vouchers. The
secure version counts in whole cents, with ``int``, and computes how many vouchers fit.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import Decimal

from pysecbook.teaching.risks import Outcome, Risk, register

CENT = Decimal("0.01")


def split_gift_card_insecure(value: str, voucher: str) -> list[str]:
    """Split a gift card worth ``value`` into vouchers worth ``voucher`` each."""
    step = float(voucher)
    vouchers = []
    issued = 0.0
    while issued < float(value):
        vouchers.append(f"{step:.2f}")
        issued += step  # nosec PSB102 - deliberately insecure: demonstration of PSB-NUM-FLOAT-COUNTER
    return vouchers


def split_gift_card_secure(value: str, voucher: str) -> list[str]:
    """Split a gift card into vouchers, counting whole cents; a remainder is one last voucher."""
    value_cents = int(Decimal(value) / CENT)
    voucher_cents = int(Decimal(voucher) / CENT)
    if value_cents <= 0 or voucher_cents <= 0:
        raise ValueError("values must be positive amounts of whole cents")
    count, rest = divmod(value_cents, voucher_cents)
    vouchers = [str(Decimal(voucher_cents) * CENT)] * count
    if rest:
        vouchers.append(str(Decimal(rest) * CENT))
    return vouchers


def attack(split: object) -> Outcome:
    """Buy a 1.00 gift card and ask for it in 0.10 vouchers."""
    vouchers = split("1.00", "0.10")  # type: ignore[operator]
    total = sum(Decimal(v) for v in vouchers)
    return Outcome(
        attack_succeeded=total > Decimal("1.00"),
        observed=f"a 1.00 gift card split into 0.10 vouchers: {len(vouchers)} vouchers worth "
                 f"{total:.2f}",
    )


RISK = register(
    Risk(
        id="PSB-NUM-FLOAT-COUNTER",
        title="A loop counted with a float",
        summary="Ten steps of 0.1 stay below 1.0, so a float-counted loop issues an "
        "eleventh voucher.",
        cwe=1339,
        bandit=(),
        detections=("PSB102",),
        modules=("builtins",),
        page="practices/numbers",
        insecure=split_gift_card_insecure,
        secure=split_gift_card_secure,
        attack=attack,
    )
)
