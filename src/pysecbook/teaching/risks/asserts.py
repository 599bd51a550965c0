"""Asserts vanish under ``python -O``.

``assert`` statements are removed when Python runs with ``-O`` or ``PYTHONOPTIMIZE``, so an
access check written as an assert stops existing in an optimised deployment.
Book page: ``book/security-model/asserts``.
"""

from __future__ import annotations

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import CallResult, call_in_child

#: Who is allowed to delete accounts in the examples.
ADMINS = frozenset({"alice"})


def delete_account_insecure(caller: str, account: str) -> str:
    """Delete an account; the permission check is an assert."""
    assert caller in ADMINS, f"{caller} may not delete accounts"
    return f"account {account!r} deleted by {caller}"


def delete_account_secure(caller: str, account: str) -> str:
    """Delete an account; the permission check is an explicit test that always runs."""
    if caller not in ADMINS:
        raise PermissionError(f"{caller} may not delete accounts")
    return f"account {account!r} deleted by {caller}"


def run_access_check(func: object, *, optimize: bool, caller: str = "mallory") -> CallResult:
    """Call ``func(caller, "bob")`` in a child interpreter, with or without ``-O``."""
    return call_in_child(func, caller, "bob", flags=["-O"] if optimize else [])


def attack(func: object) -> Outcome:
    """Mallory, who is no administrator, deletes Bob's account on a ``-O`` deployment."""
    result = run_access_check(func, optimize=True)
    succeeded = result.returned is not None and "deleted" in result.returned
    return Outcome(attack_succeeded=succeeded, observed=f"python -O: {result}")


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
    )
)
