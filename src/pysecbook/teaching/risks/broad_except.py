"""A catch-all ``except`` that fails open: the lookup that raised for an unknown user says yes.

A document service asks its policy store who may download what. The developer wanted the
service to keep working while the policy store is unreachable, and wrote
``except Exception: return True``. That handler also catches the ``KeyError`` raised for a user
the policy has never heard of, so an account that was deleted from the policy, or never in
it, may download everything. The secure version catches only the outage it meant, and even
then fails closed. Book page: ``book/practices/errors``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pysecbook.teaching.risks import Outcome, Risk, register

#: The policy store: which documents each user may download.
POLICY: Mapping[str, frozenset[str]] = {
    "alice": frozenset({"q3-report.pdf", "payroll.xlsx"}),
    "bob": frozenset({"q3-report.pdf"}),
}


class PolicyUnavailable(ConnectionError):
    """The policy store could not be reached."""


def allowed_documents(user: str) -> frozenset[str]:
    """Ask the policy store; a user it does not know raises ``KeyError``."""
    return POLICY[user]


def may_download_insecure(user: str, document: str) -> bool:
    """May ``user`` download ``document``? If the policy store is down, do not block people."""
    try:
        return document in allowed_documents(user)
    except Exception:
        return True  # nosec PSB301 - deliberately insecure: demonstration of PSB-EXCEPT-FAIL-OPEN


def may_download_secure(user: str, document: str) -> bool:
    """May ``user`` download ``document``? Unknown users and outages are refused."""
    try:
        return document in allowed_documents(user)
    except KeyError:
        return False  # a user the policy does not know has no rights
    except PolicyUnavailable:
        return False  # fail closed; the caller shows "try again later"


def attack(may_download: object) -> Outcome:
    """A former contractor, removed from the policy, asks for the payroll."""
    allowed = may_download("carol", "payroll.xlsx")  # type: ignore[operator]
    return Outcome(
        attack_succeeded=allowed is True,
        observed=f"carol (not in the policy) asks for payroll.xlsx: "
                 f"{'download allowed' if allowed else 'refused'}",
    )


RISK = register(
    Risk(
        id="PSB-EXCEPT-FAIL-OPEN",
        title="A catch-all except that fails open",
        summary="except Exception: return True, written for an outage, also turns the "
        "KeyError of an unknown user into access.",
        cwe=636,
        bandit=(),
        detections=("PSB301",),
        modules=("builtins",),
        page="practices/errors",
        insecure=may_download_insecure,
        secure=may_download_secure,
        attack=attack,
    )
)
