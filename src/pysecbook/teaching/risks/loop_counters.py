"""A loop counted with a float runs once more than written.

``0.1`` has no exact binary value, and ten additions of it make ``0.9999999999999999``, which
is still below ``1.0``: a ``while issued < value`` loop that steps by ``0.1`` turns eleven
times. Splitting a 1.00 gift card into 0.10 vouchers that way issues 1.10 of vouchers. The
secure version counts in whole cents, with ``int``, and computes how many vouchers fit.

The loop has other ways out. A voucher of half a cent is labelled ``0.01`` by the format that
prints it; a negative voucher or an infinite card never ends the loop; and a big card in
one-cent vouchers is a request that builds a hundred thousand of them. The secure version
accepts only positive, finite, whole cents, and at most :data:`MAX_VOUCHERS` vouchers.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

CENT = Decimal("0.01")

#: The most vouchers one gift card is split into (secure version).
MAX_VOUCHERS = 1000


def split_gift_card_insecure(value: str, voucher: str) -> list[str]:
    """Split a gift card worth ``value`` into vouchers worth ``voucher`` each."""
    step = float(voucher)
    vouchers = []
    issued = 0.0
    while issued < float(value):
        vouchers.append(f"{step:.2f}")
        issued += step  # nosec PSB102 - deliberately insecure: demonstration of PSB-NUM-FLOAT-COUNTER
    return vouchers


def split_gift_card_first_try(value: str, voucher: str) -> list[str]:
    """A first fix: count whole cents with ``int`` (the cents truncated by ``int()``).

    Kept to show the adapted attack beating it: nothing bounds how many vouchers one request
    builds.
    """
    value_cents = int(Decimal(value) / CENT)
    voucher_cents = int(Decimal(voucher) / CENT)
    if value_cents <= 0 or voucher_cents <= 0:
        raise ValueError("values must be positive amounts of whole cents")
    count, rest = divmod(value_cents, voucher_cents)
    vouchers = [str(Decimal(voucher_cents) * CENT)] * count
    if rest:
        vouchers.append(str(Decimal(rest) * CENT))
    return vouchers


def split_gift_card_secure(value: str, voucher: str) -> list[str]:
    """Split a gift card into vouchers, counting whole cents; a remainder is one last voucher.

    Assumes: ``value`` is what the card was paid for, recorded by the shop; the caller marks
    the card as split, so that it is split once.
    Does not stop: a customer who buys many cards (each is paid for); the cost of storing up
    to ``MAX_VOUCHERS`` vouchers per card, which is the limit to set for your shop.
    """
    cents = []
    for text in (value, voucher):
        try:
            amount = Decimal(text)
            whole = amount.is_finite() and amount > 0 and amount == amount.quantize(CENT)
        except (InvalidOperation, TypeError):
            whole = False
        if not whole:
            raise ValueError(f"not a positive amount of whole cents: {text!r}")
        cents.append(int(amount.scaleb(2)))
    value_cents, voucher_cents = cents
    count, rest = divmod(value_cents, voucher_cents)
    if count + (1 if rest else 0) > MAX_VOUCHERS:
        raise ValueError(f"at most {MAX_VOUCHERS} vouchers per card")
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


def attack_half_cent_voucher(split: object) -> Outcome:
    """Ask for a 1.00 gift card in vouchers of half a cent, ``0.005``, which the format that
    labels them rounds to ``0.01``."""
    try:
        vouchers = split("1.00", "0.005")  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"refused: {exc}")
    total = sum(Decimal(v) for v in vouchers)
    return Outcome(
        attack_succeeded=total > Decimal("1.00"),
        observed=f"a 1.00 gift card in 0.005 vouchers: {len(vouchers)} vouchers labelled "
                 f"{sorted(set(vouchers))}, worth {total:.2f}",
    )


def voucher_count(func_ref: str, value: str, voucher: str) -> int:
    """How many vouchers the function at ``func_ref`` (``module:name``) issues for a card.

    Runs in the caller's process: call it in a child interpreter (see :func:`split_in_child`).
    """
    import importlib

    module_name, _, qualname = func_ref.partition(":")
    return len(getattr(importlib.import_module(module_name), qualname)(value, voucher))


#: A child that takes longer than this on one card counts as a stalled request.
STALL_SECONDS = 2.0


def split_in_child(split: object, value: str, voucher: str) -> str:
    """Split a card in a child interpreter under :data:`STALL_SECONDS`; say what happened."""
    ref = f"{split.__module__}:{split.__qualname__}"  # type: ignore[attr-defined]
    timed = timed_call(voucher_count, ref, value, voucher, timeout=STALL_SECONDS)
    if timed.timed_out:
        return f"stalled: still running after {STALL_SECONDS:.0f} s"
    if timed.raised:
        return f"refused ({timed.raised}: {timed.message})"
    if isinstance(timed.value, int):
        return f"{timed.value:,} vouchers in {timed.seconds:.2f} s"
    return str(timed)


def _over_limit(answer: str) -> bool:
    if answer.startswith("stalled"):
        return True
    count = answer.split(" vouchers")[0].replace(",", "")
    return count.isdigit() and int(count) > MAX_VOUCHERS


def attack_many_vouchers(split: object) -> Outcome:
    """Ask for a 10,000.00 card in one-cent vouchers: a million vouchers from one request.
    The stated limit is :data:`MAX_VOUCHERS` per card, or :data:`STALL_SECONDS` of work."""
    answer = split_in_child(split, "10000.00", "0.01")
    return Outcome(_over_limit(answer), f"a 10,000.00 card in 0.01 vouchers: {answer}")


def attack_endless_loop(split: object) -> Outcome:
    """Ask for a card in negative vouchers, and for a card worth ``Infinity``: does the
    loop ever end?"""
    answers = {(v, w): split_in_child(split, v, w) for v, w in (("1.00", "-0.10"),
                                                                 ("Infinity", "0.10"))}
    won = any(_over_limit(a) for a in answers.values())
    return Outcome(won, "; ".join(f"card {v} in {w} vouchers: {a}"
                                  for (v, w), a in answers.items()))


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
        adapted=(
            AdaptedAttack("vouchers of half a cent, which the label rounds to 0.01", "encoding",
                          attack_half_cent_voucher),
            AdaptedAttack("a 10,000.00 card in one-cent vouchers: a million from one request",
                          "exhaustion", attack_many_vouchers, beats=split_gift_card_first_try),
            AdaptedAttack("a negative voucher, and a card worth Infinity", "type-confusion",
                          attack_endless_loop),
        ),
    )
)
