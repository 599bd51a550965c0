"""``getattr()`` with an attacker-chosen name reaches code and data by design.

``getattr(obj, name)`` is not a passive lookup: it runs properties, descriptors and
``__getattr__``, and any name is allowed, including the dunder ones that lead from an instance
to its class, to its methods' ``__globals__`` and so to everything the module holds. CPython
considers this the language working as designed (bpo-36506, closed as "not a bug"); the fix
belongs in the code that picks the name: an allowlist.
Book page: ``book/security-model/getattr``.
"""

from __future__ import annotations

import secrets
from pysecbook.teaching.risks import Outcome, Risk, register

#: A module-level secret, as a settings module would hold it (a fresh canary per process).
SECRET_KEY = "psb-canary-" + secrets.token_hex(8)


class Invoice:
    """A record an API lets clients read field by field (``?fields=number,total``)."""

    #: The fields clients may read.
    PUBLIC_FIELDS = frozenset({"number", "customer", "total"})

    def __init__(self, number: str, customer: str, total: float) -> None:
        self.number, self.customer, self.total = number, customer, total
        self.events: list[str] = []

    @property
    def mark_paid(self) -> str:
        """A property with a side effect: reading it changes the invoice (a design smell)."""
        self.events.append("marked paid")
        return "paid"


def read_field_insecure(record: object, path: str) -> object:
    """Resolve a client's dotted field path (``customer`` or ``a.b.c``) with ``getattr``.

    Like template engines, a part that is not an attribute is tried as a key.
    """
    value = record
    for name in path.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            value = value[name]  # type: ignore[index]
    return value


def read_field_secure(record: object, path: str) -> object:
    """Resolve a client's field name against the record's allowlist; nothing else is read."""
    allowed: frozenset[str] = getattr(type(record), "PUBLIC_FIELDS", frozenset())
    if path not in allowed:
        raise PermissionError(f"field {path!r} is not readable")
    return getattr(record, path)


#: The attack path: from the instance to a method, its module globals, and the secret.
ATTACK_PATH = "__init__.__globals__.SECRET_KEY"


def attack(func: object) -> Outcome:
    """Ask for ``__init__.__globals__.SECRET_KEY`` as if it were a field of an invoice."""
    invoice = Invoice("2026-0042", "ACME", 99.5)
    try:
        value = func(invoice, ATTACK_PATH)  # type: ignore[operator]
    except (PermissionError, AttributeError, KeyError, TypeError) as exc:
        return Outcome(False, f"fields={ATTACK_PATH}: raised {type(exc).__name__}: {exc}")
    leaked = value == SECRET_KEY
    return Outcome(leaked, f"fields={ATTACK_PATH}: returned {value!r}")


def side_effect_demo(func: object, name: str = "mark_paid") -> tuple[object, list[str]]:
    """Read ``name`` from a fresh invoice with ``func``; return the value and what happened."""
    invoice = Invoice("2026-0043", "ACME", 12.0)
    try:
        value = func(invoice, name)  # type: ignore[operator]
    except PermissionError as exc:
        value = f"PermissionError: {exc}"
    return value, list(invoice.events)


RISK = register(
    Risk(
        id="PSB-GETATTR-ARBITRARY",
        title="getattr with an attacker-chosen name",
        summary=(
            "getattr runs properties and __getattr__ and follows dunder names to module "
            "globals; pick names from an allowlist."
        ),
        cwe=470,
        bandit=(),
        no_static_rule="both versions call getattr() with a name from the client; only the "
                       "allowlist checked first makes one safe.",
        modules=("builtins",),
        page="security-model/getattr",
        insecure=read_field_insecure,
        secure=read_field_secure,
        attack=attack,
    )
)
