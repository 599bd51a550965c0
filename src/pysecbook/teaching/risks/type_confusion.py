"""Type confusion: ``in`` on a string where a list was meant, and a sign-up allowlist that leaks.

``x in container`` means membership for a list or a set and *substring* for a string. The
allowed e-mail domains were meant to be a list, but they arrive from an environment variable,
as one comma-separated string, and ``"ple.invalid" in "example.invalid,partner.invalid"`` is
True: anyone with an address at a domain that is a piece of an allowed one may sign up. The
secure version refuses a string where it needs a collection, reads the address whole (one
local part, one ``@``, one domain), and compares whole domains.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The setting as the deployment provides it: the value of an environment variable.
ALLOWED_DOMAINS_SETTING = "example.invalid,partner.invalid"


def may_sign_up_insecure(email: str, allowed_domains: Collection[str]) -> bool:
    """Only colleagues may sign up: the address's domain must be an allowed one."""
    domain = email.rpartition("@")[2].lower()
    return domain in allowed_domains


def may_sign_up_first_try(email: str, allowed_domains: Collection[str]) -> bool:
    """A first fix: refuse a string where a collection is needed, compare whole domains.

    Kept to show adapted attacks beating it: the domain is whatever follows the last ``@``,
    so a string with no ``@`` at all, or with two, or with a NUL byte before the last one, is
    granted on the strength of its tail.
    """
    if isinstance(allowed_domains, (str, bytes)):
        raise TypeError("allowed_domains must be a collection of domains, not one string")
    allowed = {d.lower() for d in allowed_domains if isinstance(d, str)}
    domain = email.rpartition("@")[2].lower()
    return domain in allowed


#: One address: a local part and a domain of plain ASCII letters, digits and ``._+-``,
#: with exactly one ``@``. Stricter than RFC 5321, on purpose.
ADDRESS = re.compile(r"[A-Za-z0-9._+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)")


def may_sign_up_secure(email: str, allowed_domains: Collection[str]) -> bool:
    """Only colleagues may sign up: the domain must equal one of the allowed domains.

    ``in`` is given a set, never a string. The address is read whole, with ``fullmatch``:
    one local part, one ``@``, one domain, in plain ASCII; anything else (no ``@``, two, a NUL
    byte, a space, a line break, a quoted local part, a look-alike letter) is refused rather
    than cut to the part that looks right.

    Assumes: the address is confirmed (a link sent to it) before the account is used, and the
    allowed domains are the organisation's own, spelled in ASCII.
    Does not stop: anybody with a mailbox at an allowed domain (a shared or forwarded one, an
    alias a former employee keeps); internationalised addresses, which are refused.
    """
    if isinstance(allowed_domains, (str, bytes)):
        raise TypeError("allowed_domains must be a collection of domains, not one string")
    allowed = {d.lower() for d in allowed_domains if isinstance(d, str) and d}
    match = ADDRESS.fullmatch(email) if isinstance(email, str) else None
    return match is not None and match.group(1).lower() in allowed


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


def _sign_ups(may_sign_up: Callable[[str, object], object],
              attempts: list[tuple[str, object]]) -> Outcome:
    """Which of ``attempts`` (address, allowlist) get in; no address among them is one
    address at an allowed domain. A ``TypeError`` is a refusal."""
    granted = []
    for address, allowed_domains in attempts:
        try:
            if may_sign_up(address, allowed_domains):
                granted.append(repr(address))
        except TypeError:
            pass
    if granted:
        return Outcome(True, f"sign-up granted to {', '.join(granted)}")
    return Outcome(False, f"all {len(attempts)} refused")


def attack_no_domain(may_sign_up: Callable[..., object]) -> Outcome:
    """Sign up with an allowed domain and no address in front of it; or with nothing after
    the ``@`` while the setting ends in a comma (an empty entry in the list, and the empty
    string, which is a substring of every string)."""
    trailing_comma = ALLOWED_DOMAINS_SETTING + ","
    return _sign_ups(may_sign_up, [("example.invalid", ALLOWED_DOMAINS_SETTING.split(",")),
                                   ("@partner.invalid", ALLOWED_DOMAINS_SETTING.split(",")),
                                   ("eve@", trailing_comma.split(",")),
                                   ("eve@", trailing_comma)])


def attack_second_at(may_sign_up: Callable[..., object]) -> Outcome:
    """Put Eve's own domain first and an allowed one last: a second ``@``, a NUL byte that C
    code stops at, a line break that ends an SMTP command."""
    allowed = ALLOWED_DOMAINS_SETTING.split(",")
    return _sign_ups(may_sign_up, [("eve@ple.invalid@example.invalid", allowed),
                                   ("eve@ple.invalid\x00@example.invalid", allowed),
                                   ("eve@ple.invalid\r\n@example.invalid", allowed)])


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
        adapted=(
            AdaptedAttack("an allowed domain with no address in front, or nothing after '@' "
                          "against a trailing comma", "type-confusion", attack_no_domain,
                          beats=may_sign_up_first_try),
            AdaptedAttack("a second '@', a NUL byte or a line break before an allowed domain",
                          "encoding", attack_second_at, beats=may_sign_up_first_try),
        ),
    )
)
