"""A catch-all ``except`` that fails open: the lookup that raised for an unknown user says yes.

A document service asks its policy store who may download what. The developer wanted the
service to keep working while the policy store is unreachable, and wrote
``except Exception: return True``. That handler also catches the ``KeyError`` raised for a user
the policy has never heard of, so an account that was deleted from the policy, or never in
it, may download everything. The secure version catches only the outage it meant, and even
then fails closed. Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The policy store: which documents each user may download.
POLICY: Mapping[str, frozenset[str]] = {
    "alice": frozenset({"q3-report.pdf", "payroll.xlsx"}),
    "bob": frozenset({"q3-report.pdf"}),
}


class PolicyUnavailable(ConnectionError):
    """The policy store could not be reached."""


#: Whether the policy store answers. The demonstration's stand-in for an outage (the store
#: overloaded, its network down); only :func:`policy_store_down` changes it.
_STORE = {"up": True}


def allowed_documents(user: str) -> frozenset[str]:
    """Ask the policy store; a user it does not know raises ``KeyError``, an outage
    :class:`PolicyUnavailable`."""
    if not _STORE["up"]:
        raise PolicyUnavailable("the policy store did not answer in time")
    return POLICY[user]


@contextlib.contextmanager
def policy_store_down() -> Iterator[None]:
    """The policy store does not answer for the duration (the outage an attacker causes by
    flooding it)."""
    _STORE["up"] = False
    try:
        yield
    finally:
        _STORE["up"] = True


def may_download_insecure(user: str, document: str) -> bool:
    """May ``user`` download ``document``? If the policy store is down, do not block people."""
    try:
        return document in allowed_documents(user)
    except Exception:
        return True  # nosec PSB301 - deliberately insecure: demonstration of PSB-EXCEPT-FAIL-OPEN


def may_download_first_try(user: str, document: str) -> bool:
    """A first fix: unknown users are refused; only an outage of the policy store lets people
    through, so that it does not stop everybody's work.

    Kept to show an adapted attack beating it: whoever can cause the outage chooses the
    answer.
    """
    try:
        return document in allowed_documents(user)
    except KeyError:
        return False
    except PolicyUnavailable:
        return True


def may_download_secure(user: str, document: str) -> bool:
    """May ``user`` download ``document``? Unknown users and outages are refused.

    Any other exception (a user name that is not a string, a bug in the store) is not
    handled here: it reaches the caller, and no download happens.

    Assumes: the policy store raises ``KeyError`` only for a user it does not know and
    ``PolicyUnavailable`` for an outage, and the caller treats every exception from this
    function as a refusal (as a web framework's error page does).
    Does not stop: a policy that grants too much; a caller that catches the exception and
    goes ahead; the outage itself (which an attacker who floods the store turns into a
    denial of service for everybody, since every download is refused while it lasts).
    """
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


def _downloads(may_download: Callable[[object, object], object],
               requests: list[tuple[object, object]]) -> Outcome:
    """Which of ``requests`` (user, document) the implementation allows, none of which the
    policy grants. An exception is a refusal: no download happens."""
    allowed, refused = [], []
    for user, document in requests:
        try:
            answer = may_download(user, document)
        except Exception as exc:  # the request fails: an error page, no file
            refused.append(f"{user!r} ({type(exc).__name__})")
            continue
        (allowed if answer is True else refused).append(f"{user!r}")
    if allowed:
        return Outcome(True, f"payroll.xlsx download allowed for {', '.join(allowed)}")
    return Outcome(False, f"payroll.xlsx refused for {', '.join(refused)}")


def attack_not_a_string(may_download: Callable[[object, object], object]) -> Outcome:
    """Send the user name as a JSON array or object, or a number: the lookup raises
    ``TypeError``, which is neither the ``KeyError`` of an unknown user nor an outage."""
    return _downloads(may_download, [(["carol"], "payroll.xlsx"), ({"name": "carol"},
                                     "payroll.xlsx"), (None, "payroll.xlsx"),
                                     (7, ["payroll.xlsx"])])


def attack_cause_the_outage(may_download: Callable[[object, object], object]) -> Outcome:
    """Flood the policy store until it stops answering, then ask for the payroll: a handler
    that fails open on an outage answers yes to whoever caused it."""
    with policy_store_down():
        return _downloads(may_download, [("carol", "payroll.xlsx"), ("bob", "payroll.xlsx")])


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
        adapted=(
            AdaptedAttack("a user name that is a list, an object, null or a number",
                          "type-confusion", attack_not_a_string),
            AdaptedAttack("cause the outage (flood the policy store), then ask",
                          "exhaustion", attack_cause_the_outage, beats=may_download_first_try),
        ),
    )
)
