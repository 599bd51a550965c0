"""Asserts vanish under ``python -O``.

``assert`` statements are removed when Python runs with ``-O`` or ``PYTHONOPTIMIZE``, so an
access check written as an assert stops existing in an optimised deployment.
Book page: ``book/security-model/asserts``.
"""

from __future__ import annotations

import unicodedata

from pysecbook.lab.child import CallResult, call_in_child
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Who is allowed to delete accounts in the examples.
ADMINS = frozenset({"alice"})


def delete_account_insecure(caller: str, account: str) -> str:
    """Delete an account; the permission check is an assert."""
    assert caller in ADMINS, f"{caller} may not delete accounts"
    return f"account {account!r} deleted by {caller}"


def delete_account_first_try(caller: str, account: str) -> str:
    """Delete an account; an explicit check that always runs, on a normalised name.

    The first fix, kept to show an adapted attack beating it: the assert is gone, but the
    name is compared after NFKC normalisation, trimming and case folding, so that "Alice " or
    "ALICE" typed into a form still matches. Names that are different accounts to the
    account system are the same person to this check.
    """
    if unicodedata.normalize("NFKC", caller).strip().casefold() not in ADMINS:
        raise PermissionError(f"{caller} may not delete accounts")
    return f"account {account!r} deleted by {caller}"


def delete_account_secure(caller: str, account: str) -> str:
    """Delete an account; the permission check is an explicit test that always runs.

    ``if ... raise`` is ordinary code: ``-O``, ``-OO`` and ``PYTHONOPTIMIZE`` leave it in
    place. The caller's name is compared exactly as the account system stores it, so a
    look-alike, a differently cased or padded name is another account and is refused.

    Assumes: ``caller`` is the authenticated identity of whoever makes the request (from the
    session, never from the request's parameters), spelt as the account system stores it.
    Does not stop: an attacker who is logged in as an administrator (a stolen session or
    password); an administrator deleting the wrong account; another check elsewhere in the
    program still written as an ``assert``.
    """
    if caller not in ADMINS:
        raise PermissionError(f"{caller} may not delete accounts")
    return f"account {account!r} deleted by {caller}"


def run_access_check(func: object, *, optimize: bool, caller: str = "mallory",
                     env: dict[str, str] | None = None) -> CallResult:
    """Call ``func(caller, "bob")`` in a child interpreter, with or without ``-O``."""
    return call_in_child(func, caller, "bob", flags=["-O"] if optimize else [], env=env)


def attack(func: object) -> Outcome:
    """Mallory, who is no administrator, deletes Bob's account on a ``-O`` deployment."""
    result = run_access_check(func, optimize=True)
    succeeded = result.returned is not None and "deleted" in result.returned
    return Outcome(attack_succeeded=succeeded, observed=f"python -O: {result}")


def attack_optimize_variable(func: object) -> Outcome:
    """Nothing on the command line says ``-O``: the service's environment sets
    ``PYTHONOPTIMIZE=1`` (a base image or a unit file did), and Mallory deletes Bob's
    account."""
    result = call_in_child(func, "mallory", "bob", env={"PYTHONOPTIMIZE": "1"})
    succeeded = result.returned is not None and "deleted" in result.returned
    return Outcome(succeeded, f"PYTHONOPTIMIZE=1: {result}")


#: Account names Mallory can register, each a different string from ``alice``.
LOOKALIKE_ADMINS = ("Alice", "alice ", "\uff41\uff4c\uff49\uff43\uff45", "ALICE")


def attack_lookalike_admin(func: object) -> Outcome:
    """Register accounts named ``Alice``, ``alice `` and ``ａｌｉｃｅ`` (full-width letters):
    different accounts to the account system, the administrator to a check that normalises
    names before comparing."""
    tried = []
    for name in LOOKALIKE_ADMINS:
        try:
            done = func(name, "bob")  # type: ignore[operator]
        except PermissionError:
            tried.append(f"{name!r}: refused")
            continue
        return Outcome(True, f"caller {name!r}: {done}")
    return Outcome(False, "; ".join(tried))


RISK = register(
    Risk(
        id="PSB-ASSERT-OPTIMIZE",
        title="Asserts vanish under python -O",
        summary="A security check written as an assert is removed by -O or PYTHONOPTIMIZE.",
        cwe=703,
        bandit=("B101",),
        modules=("builtins",),
        page="security-model/asserts",
        insecure=delete_account_insecure,
        secure=delete_account_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("PYTHONOPTIMIZE=1 in the service's environment, no -O flag",
                          "variant", attack_optimize_variable),
            AdaptedAttack("account names Alice, 'alice ' and full-width ａｌｉｃｅ", "encoding",
                          attack_lookalike_admin, beats=delete_account_first_try),
        ),
    )
)
