"""``str.format`` on a template the user wrote reaches any attribute of the arguments.

A shop lets customers write their own greeting template. The insecure version calls
``template.format(customer=customer)``; replacement fields may follow attributes and items,
so ``{customer.__init__.__globals__[SECRET_KEY]}`` walks from the object to its class's
module and reads its globals. The secure version uses ``string.Template``, whose ``$name``
placeholders are plain identifiers: no attribute access, no indexing.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import string

from pysecbook.teaching.risks import Outcome, Risk, register

#: A secret of the application, a global of this module (a placeholder, not a real key).
SECRET_KEY = "demo-signing-key-5f2c9e"


class Customer:
    """A customer of the shop in the example."""

    def __init__(self, name: str) -> None:
        self.name = name


def render_greeting_insecure(template: str, customer: Customer) -> str:
    """Fill a user-written template with ``str.format``."""
    return template.format(customer=customer)  # nosec PSB604 - deliberately insecure: demonstration of PSB-FORMAT-GLOBALS


def render_greeting_secure(template: str, customer: Customer) -> str:
    """Fill a user-written template with ``string.Template``: ``$name`` only."""
    return string.Template(template).safe_substitute(name=customer.name)


#: The template the attacker saves as their greeting.
ATTACK_TEMPLATE = "Hello! {customer.__init__.__globals__[SECRET_KEY]}"


def attack(func: object) -> Outcome:
    """Save a template that walks to the module's globals: does the secret come out?"""
    try:
        text = func(ATTACK_TEMPLATE, Customer("mallory"))  # type: ignore[operator]
    except (KeyError, AttributeError, IndexError, ValueError) as exc:
        return Outcome(False, f"rendering failed: {type(exc).__name__}: {exc}")
    if SECRET_KEY in str(text):
        return Outcome(True, f"rendered {text!r}: the application's SECRET_KEY leaked")
    return Outcome(False, f"rendered {text!r}: the template stayed text")


RISK = register(
    Risk(
        id="PSB-FORMAT-GLOBALS",
        title="str.format() on a user-supplied template",
        summary="Replacement fields follow attributes and items: a user's template reads "
        "globals through any object it is given.",
        cwe=134,
        bandit=(),
        detections=("PSB604",),
        modules=("string", "builtins"),
        page="practices/code-injection",
        insecure=render_greeting_insecure,
        secure=render_greeting_secure,
        attack=attack,
    )
)
