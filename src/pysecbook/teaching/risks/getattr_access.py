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
from collections.abc import Callable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: A module-level secret, as a settings module would hold it (a fresh canary per process).
SECRET_KEY = "psb-canary-" + secrets.token_hex(8)
#: The payment provider's key of the shop's account (another canary).
ACCOUNT_KEY = "psb-canary-" + secrets.token_hex(8)


class PaymentAccount:
    """The account an invoice is paid into, with the key the shop charges it with."""

    def __init__(self, iban: str, api_key: str) -> None:
        self.iban, self.api_key = iban, api_key


class Invoice:
    """A record an API lets clients read field by field (``?fields=number,total``)."""

    #: The fields clients may read.
    PUBLIC_FIELDS = frozenset({"number", "customer", "total"})

    def __init__(self, number: str, customer: str, total: float) -> None:
        self.number, self.customer, self.total = number, customer, total
        self.account = PaymentAccount("DE00 0000 0000 0000 0000 00", ACCOUNT_KEY)
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


def read_field_first_try(record: object, path: str) -> object:
    """Resolve a client's dotted field path with ``getattr``, refusing private names.

    The first fix, kept to show the adapted attacks beating it: no part may start with ``_``,
    which stops the walk through dunders, but every public attribute of every object on the
    path is still reachable, and reading a property runs it.
    """
    value = record
    for name in path.split("."):
        if name.startswith("_"):
            raise PermissionError(f"field {name!r} is private")
        value = getattr(value, name)
    return value


def read_field_secure(record: object, path: str) -> object:
    """Resolve a client's field name against the record's allowlist; nothing else is read.

    The name must be one of the record class's ``PUBLIC_FIELDS``, compared as the exact
    string sent: no dotted path, no normalisation, so a look-alike or a differently spelt
    name is refused rather than mapped to a field.

    Assumes: each public field is plain data (an attribute, or a property without side
    effects) that every client may read, and ``PUBLIC_FIELDS`` is defined by the class, never
    from input.
    Does not stop: a field that is in ``PUBLIC_FIELDS`` by mistake, or whose value is itself an
    object with more to read (the caller should serialise values, not hand objects on);
    clients reading public fields of records that are not theirs (an access-control check
    belongs before this one).
    """
    if not isinstance(path, str):
        raise PermissionError(f"field name must be text, not {type(path).__name__}")
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


def attack_public_path(impl: Callable[..., object]) -> Outcome:
    """Ask for ``account.api_key``: no underscore anywhere, only public attributes of the
    objects the invoice holds, down to the payment provider's key."""
    invoice = Invoice("2026-0044", "ACME", 10.0)
    try:
        value = impl(invoice, "account.api_key")
    except (PermissionError, AttributeError, KeyError, TypeError) as exc:
        return Outcome(False, f"fields=account.api_key: raised {type(exc).__name__}: {exc}")
    return Outcome(value == ACCOUNT_KEY, f"fields=account.api_key: returned {value!r}")


def attack_side_effect(impl: Callable[..., object]) -> Outcome:
    """Ask for ``mark_paid``, a public name whose property changes the invoice when read."""
    value, events = side_effect_demo(impl, "mark_paid")
    return Outcome(bool(events), f"fields=mark_paid: returned {value!r}; invoice events: {events}")


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
        adapted=(
            AdaptedAttack("account.api_key: a dotted path through public attributes only",
                          "variant", attack_public_path, beats=read_field_first_try),
            AdaptedAttack("mark_paid: a public property that changes the invoice when read",
                          "variant", attack_side_effect, beats=read_field_first_try),
        ),
    )
)
