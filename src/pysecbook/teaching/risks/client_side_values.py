"""A price the client sends: the server charges what the browser says.

The shop's page posts the cart with each line's product, quantity and price, because the
page displayed the price anyway. A checkout that adds up the posted prices charges whatever
the client claims: Mallory edits the request and pays one cent for a 49.99 bag. Anything
that decides money or access (prices, roles, discounts, "is_admin" fields, hidden form
fields) must be looked up on the server; the client may only say which product it wants and
how many.

Even those two are client values, and another part of the system may read them differently.
A checkout that converts the quantity with ``int()`` charges one bag for ``1.5``, while the
warehouse rounds up and packs two; a limit checked per line is passed by posting the same
product on three lines. The secure checkout accepts only whole numbers, as JSON integers,
and applies the limit to the total of each product.
Book page: ``book/practices/access-control``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The server's catalogue: prices in cents.
CATALOGUE: Mapping[str, int] = {"bag-leather": 4999, "wallet": 1999}

MAX_QUANTITY = 20


def checkout_insecure(cart: dict[str, object]) -> int:
    """Charge a cart posted by the shop's page; each line has sku, quantity and price."""
    return sum(int(line["price"]) * int(line["quantity"]) for line in cart["lines"])  # type: ignore[index,union-attr,attr-defined]


def checkout_first_try(cart: dict[str, object]) -> int:
    """A first fix: prices come from the catalogue; the client's prices are ignored.

    Kept to show the adapted attacks beating it: ``int()`` turns ``1.5`` into 1 while the
    warehouse packs 2, and the quantity limit applies to each line, not to each product.
    """
    total = 0
    for line in cart["lines"]:  # type: ignore[attr-defined]
        price = CATALOGUE.get(str(line["sku"]))
        quantity = int(line["quantity"])
        if price is None or not 1 <= quantity <= MAX_QUANTITY:
            raise ValueError(f"bad cart line {line!r}")
        total += price * quantity
    return total


def checkout_secure(cart: dict[str, object]) -> int:
    """Charge a cart: prices come from the catalogue; the client says only which products,
    by their exact code, and how many, as whole numbers, at most ``MAX_QUANTITY`` of each.

    Assumes: ``cart`` was decoded from JSON, and the order that is charged is the order that
    is fulfilled: what ships is built from the validated quantities, not re-read from the
    request by another system with its own rules.
    Does not stop: many orders, each within the limit (a per-customer limit needs the
    customer's order history); a price that changes between display and checkout (this
    charges the price at checkout); discounts, coupons and gift cards, which need their own
    server-side state; a catalogue that is itself wrong.
    """
    counts: dict[str, int] = {}
    for line in cart["lines"]:  # type: ignore[attr-defined]
        sku, quantity = line["sku"], line["quantity"]
        if not isinstance(sku, str) or sku not in CATALOGUE:
            raise ValueError(f"unknown product {sku!r}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValueError(f"the quantity must be a whole number of at least 1: {quantity!r}")
        counts[sku] = counts.get(sku, 0) + quantity
    for sku, quantity in counts.items():
        if quantity > MAX_QUANTITY:
            raise ValueError(f"at most {MAX_QUANTITY} of {sku} per order, not {quantity}")
    return sum(CATALOGUE[sku] * quantity for sku, quantity in counts.items())


def packed(cart: dict[str, object]) -> dict[str, int]:
    """What the warehouse system packs for a posted cart.

    It reads the same lines with its own rules, as a separate system does: product codes
    match whatever their case, width or surrounding spaces, and a part quantity is rounded
    up (nobody ships half a bag).
    """
    goods: dict[str, int] = {}
    for line in cart["lines"]:  # type: ignore[attr-defined]
        sku = unicodedata.normalize("NFKC", str(line["sku"])).strip().lower()
        count = math.ceil(float(line["quantity"]))
        if sku in CATALOGUE and count > 0:
            goods[sku] = goods.get(sku, 0) + count
    return goods


def order_outcome(checkout: object, cart: dict[str, object]) -> Outcome:
    """Check out ``cart``; did the goods packed for it exceed what was charged, or the limit?"""
    try:
        charged = checkout(cart)  # type: ignore[operator]
    except (ValueError, TypeError) as exc:
        return Outcome(False, f"the cart was refused: {exc}")
    goods = packed(cart)
    worth = sum(CATALOGUE[sku] * count for sku, count in goods.items())
    over = {sku: n for sku, n in goods.items() if n > MAX_QUANTITY}
    summary = f"charged {charged / 100:.2f} for goods worth {worth / 100:.2f} ({goods})"
    if worth > charged:
        return Outcome(True, summary)
    if over:
        return Outcome(True, f"{summary}: more than the limit of {MAX_QUANTITY} per order")
    return Outcome(False, summary)


def attack_part_quantity(checkout: object) -> Outcome:
    """Post a quantity of ``1.5`` where a whole number is expected: ``int()`` charges one bag,
    and the warehouse rounds up and packs two."""
    return order_outcome(checkout, {"lines": [{"sku": "bag-leather", "quantity": 1.5}]})


def attack_split_lines(checkout: object) -> Outcome:
    """Post the same product on three lines of twenty, past a limit of twenty checked line by
    line."""
    line = {"sku": "bag-leather", "quantity": MAX_QUANTITY}
    return order_outcome(checkout, {"lines": [dict(line), dict(line), dict(line)]})


def attack(checkout: object) -> Outcome:
    """Mallory posts her cart with the bag's price changed to one cent."""
    cart = {"lines": [{"sku": "bag-leather", "quantity": 1, "price": 1}]}
    charged = checkout(cart)  # type: ignore[operator]
    return Outcome(
        attack_succeeded=charged < CATALOGUE["bag-leather"],
        observed=f"a {CATALOGUE['bag-leather'] / 100:.2f} bag, posted with price 0.01: "
                 f"charged {charged / 100:.2f}",
    )


RISK = register(
    Risk(
        id="PSB-ACCESS-CLIENT-VALUE",
        title="Trusting a price or role the client sends",
        summary="A checkout that adds up the prices in the request charges what the client "
        "claims; look prices and rights up on the server.",
        cwe=602,
        bandit=(),
        no_static_rule="a request field is just a dictionary lookup; which fields the "
                       "server must not trust is a design decision.",
        modules=("json",),
        page="practices/access-control",
        insecure=checkout_insecure,
        secure=checkout_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a quantity of 1.5 that int() charges as 1 and the warehouse packs "
                          "as 2", "type-confusion", attack_part_quantity,
                          beats=checkout_first_try),
            AdaptedAttack("the same product on three lines, each within the per-line limit",
                          "variant", attack_split_lines, beats=checkout_first_try),
        ),
    )
)
