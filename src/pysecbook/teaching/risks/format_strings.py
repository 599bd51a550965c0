"""``str.format`` on a template the user wrote reaches any attribute of the arguments.

A shop lets customers write their own greeting template. The insecure version calls
``template.format(customer=customer)``; replacement fields may follow attributes and items,
so ``{customer.__init__.__globals__[SECRET_KEY]}`` walks from the object to its class's
module and reads its globals. The secure version uses ``string.Template``, whose ``$name``
placeholders are plain identifiers: no attribute access, no indexing.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from pysecbook.lab.child import call_in_child, timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: A secret of the application, a global of this module (a placeholder, not a real key).
SECRET_KEY = "demo-signing-key-5f2c9e"


class Customer:
    """A customer of the shop in the example."""

    def __init__(self, name: str) -> None:
        self.name = name


def render_greeting_insecure(template: str, customer: Customer) -> str:
    """Fill a user-written template with ``str.format``."""
    return template.format(customer=customer)  # nosec PSB604 - deliberately insecure: demonstration of PSB-FORMAT-GLOBALS


def render_greeting_first_try(template: str, customer: Customer) -> str:
    """Fill a user-written template with ``str.format``, passing a string, never an object.

    The first fix, kept to show the adapted attacks beating it: with only a ``str`` to start
    from, no field reaches a function's globals, but the format mini-language still lets the
    template ask for any width (``{name:>99999999}``), and nothing bounds how often the name
    is repeated.
    """
    return template.format(name=customer.name)  # nosec PSB604 - deliberately insecure: demonstration of PSB-FORMAT-GLOBALS


#: Longest template and longest name filled in: the greeting is at most
#: ``MAX_TEMPLATE_LENGTH // 5 * MAX_NAME_LENGTH`` characters (every ``$name`` five characters).
MAX_TEMPLATE_LENGTH = 1_000
MAX_NAME_LENGTH = 100
#: The longest greeting :func:`render_greeting_secure` can return.
MAX_GREETING_LENGTH = MAX_TEMPLATE_LENGTH // 5 * MAX_NAME_LENGTH


def render_greeting_secure(template: str, customer: Customer) -> str:
    """Fill a user-written template with ``string.Template``: ``$name`` only.

    ``$name`` and ``${name}`` are plain identifiers: no attribute, no index, no conversion and
    no format spec, so the template reads nothing but the name it is given, and unknown
    placeholders are left as they are. The template and the name are bounded in length, so
    the greeting is at most :data:`MAX_GREETING_LENGTH` characters.

    Assumes: the values passed are strings the customer may see (their own name), never
    objects; the greeting is escaped for wherever it is shown (HTML, an email header).
    Does not stop: a template whose text is itself offensive or misleading (it is the
    customer's text); markup in the template or the name, if the greeting is put into a page
    unescaped.
    """
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise ValueError(f"template longer than {MAX_TEMPLATE_LENGTH} characters")
    if len(customer.name) > MAX_NAME_LENGTH:
        raise ValueError(f"name longer than {MAX_NAME_LENGTH} characters")
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


#: Name of the environment variable the child holds a canary secret in.
CANARY_VAR = "PSB_CANARY_API_KEY"

#: Other fields a template can read through the object it is given: from the module's
#: ``string`` import, through ``re``, ``enum`` and ``sys.modules``, to ``os.environ``; a global
#: by way of the class; and, from a string, as far as ``object.__subclasses__`` (which a
#: field can name but not call).
TRAVERSALS = (
    "{customer.__init__.__globals__[string]._re.enum.sys.modules[os].environ[" + CANARY_VAR + "]}",
    "{customer.__class__.__init__.__globals__[SECRET_KEY]}",
    "{name.__class__.__mro__[1].__subclasses__}",
)


def greet_in_child(name: str, template: str, customer_name: str) -> str:
    """Call this module's renderer called ``name`` (in a child interpreter)."""
    return globals()[name](template, Customer(customer_name))


def attack_traversals(impl: Callable[..., object]) -> Outcome:
    """Read other things through the object: from the module's imports to ``os.environ``,
    where the child holds a secret, and a global by way of the class; from a string, walk as
    far as ``object.__subclasses__``."""
    canary = "psb-canary-" + secrets.token_hex(8)
    parts = []
    for template in TRAVERSALS:
        result = call_in_child(greet_in_child, impl.__name__, template, "mallory",
                               env={CANARY_VAR: canary})
        text = result.returned or ""
        if canary in text or SECRET_KEY in text:
            return Outcome(True, f"{template} rendered a secret: {text[:80]}")
        parts.append(f"{template[:28]}...: {str(result)[:50]}")
    return Outcome(False, "no secret; " + "; ".join(parts))


def greeting_length(name: str, template: str, customer_name: str) -> int:
    """The length of the greeting this module's renderer ``name`` makes (in a child)."""
    return len(greet_in_child(name, template, customer_name))


#: How many times larger than what the attacker sent a greeting may be before it counts as an
#: amplification: the secure renderer's bound is 20 times its template.
AMPLIFICATION = 100


def _amplified(impl: Callable[..., object], template: str, customer_name: str) -> Outcome:
    result = timed_call(greeting_length, impl.__name__, template, customer_name, timeout=10.0)
    sent = len(template) + len(customer_name)
    if result.timed_out or result.raised == "MemoryError":
        return Outcome(True, f"{len(template)}-character template: the child {result}")
    size = result.value if isinstance(result.value, int) else 0
    got = str(result) if result.raised else f"greeting of {size:,} characters"
    return Outcome(size > AMPLIFICATION * sent, f"sent {sent:,} characters; {got}")


#: A width in the format mini-language: 17 characters ask for a 100-million-character string.
WIDE_FIELD = "{name:>99999999}"


def attack_format_width(impl: Callable[..., object]) -> Outcome:
    """Ask for a width of a hundred million in a 16-character template: ``str.format`` builds
    the padded string, whatever the value is (in a child with a memory limit)."""
    return _amplified(impl, WIDE_FIELD + "$name", "mallory")


def attack_repeated_name(impl: Callable[..., object]) -> Outcome:
    """Change one's own name to 10,000 characters and save a template that repeats it a
    thousand times (in both syntaxes): ten million characters out of twenty thousand in."""
    return _amplified(impl, "{name}$name" * 1_000, "m" * 10_000)


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
        adapted=(
            AdaptedAttack("via imported modules to os.environ, through __class__, from a "
                          "string", "variant", attack_traversals),
            AdaptedAttack("a format-spec width, {name:>99999999}", "exhaustion",
                          attack_format_width, beats=render_greeting_first_try),
            AdaptedAttack("a 10,000-character name repeated a thousand times", "exhaustion",
                          attack_repeated_name, beats=render_greeting_first_try),
        ),
    )
)
