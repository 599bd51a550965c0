"""A price the client sends: the server charges what the browser says.

The shop's page posts the cart with each line's product, quantity and price, because the
page displayed the price anyway. A checkout that adds up the posted prices charges whatever
the client claims: Mallory edits the request and pays one cent for a 49.99 bag. Anything
that decides money or access (prices, roles, discounts, "is_admin" fields, hidden form
fields) must be looked up on the server; the client may only say which product it wants and
how many. Book page: ``book/practices/access-control``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pysecbook.teaching.risks import Outcome, Risk, register

#: The server's catalogue: prices in cents.
CATALOGUE: Mapping[str, int] = {"bag-leather": 4999, "wallet": 1999}

MAX_QUANTITY = 20


def checkout_insecure(cart: dict[str, object]) -> int:
    """Charge a cart posted by the shop's page; each line has sku, quantity and price."""
    return sum(int(line["price"]) * int(line["quantity"]) for line in cart["lines"])  # type: ignore[index,union-attr,attr-defined]


def checkout_secure(cart: dict[str, object]) -> int:
    """Charge a cart: prices come from the catalogue; the client's prices are ignored."""
    total = 0
    for line in cart["lines"]:  # type: ignore[attr-defined]
        price = CATALOGUE.get(str(line["sku"]))
        quantity = int(line["quantity"])
        if price is None or not 1 <= quantity <= MAX_QUANTITY:
            raise ValueError(f"bad cart line {line!r}")
        total += price * quantity
    return total


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
    )
)
