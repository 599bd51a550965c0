"""Type confusion: ``in`` on a string where a list was meant, and a sign-up allowlist that leaks.

``x in container`` means membership for a list or a set and *substring* for a string. The
allowed e-mail domains were meant to be a list, but they arrive from an environment variable,
as one comma-separated string, and ``"ple.invalid" in "example.invalid,partner.invalid"`` is
True: anyone with an address at a domain that is a piece of an allowed one may sign up. The
secure version refuses a string where it needs a collection, and compares whole domains.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

from collections.abc import Collection

from pysecbook.teaching.risks import Outcome, Risk, register

#: The setting as the deployment provides it: the value of an environment variable.
ALLOWED_DOMAINS_SETTING = "example.invalid,partner.invalid"


def may_sign_up_insecure(email: str, allowed_domains: Collection[str]) -> bool:
    """Only colleagues may sign up: the address's domain must be an allowed one."""
    domain = email.rpartition("@")[2].lower()
    return domain in allowed_domains


def may_sign_up_secure(email: str, allowed_domains: Collection[str]) -> bool:
    """Only colleagues may sign up: the domain must equal one of the allowed domains."""
    if isinstance(allowed_domains, (str, bytes)):
        raise TypeError("allowed_domains must be a collection of domains, not one string")
    allowed = {d.lower() for d in allowed_domains if isinstance(d, str)}
    domain = email.rpartition("@")[2].lower()
    return domain in allowed


def attack(may_sign_up: object) -> Outcome:
    """Eve, from ple.invalid, signs up with the allowlist as the deployment sets it."""
    try:
        allowed = may_sign_up("eve@ple.invalid", ALLOWED_DOMAINS_SETTING)  # type: ignore[operator]
    except TypeError as exc:
        return Outcome(False, f"the service refused its configuration: {exc}")
    return Outcome(
        attack_succeeded=bool(allowed),
        observed=f"eve@ple.invalid signs up: {'allowed' if allowed else 'refused'}",
    )


RISK = register(
    Risk(
        id="PSB-TYPE-CONFUSION",
        title="A string where a list was meant",
        summary="in is substring for a string: a comma-separated allowlist from the "
        "environment allows any piece of an allowed domain.",
        cwe=843,
        bandit=(),
        no_static_rule="the same in means membership or substring depending on a type "
                       "decided at run time, here by how the deployment sets a variable.",
        modules=("builtins", "os"),
        page="practices/code",
        insecure=may_sign_up_insecure,
        secure=may_sign_up_secure,
        attack=attack,
    )
)
