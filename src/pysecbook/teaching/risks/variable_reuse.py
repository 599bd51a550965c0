"""One name for two things: a loop variable overwrites the user a permission check is about.

``for user in team:`` rebinds ``user``, and the binding survives the loop: afterwards
``user`` is the last member of the team, not the person making the request. An approval
check written after such a loop checks whoever happens to be last, so Mallory, who manages
nothing, approves her own expense because her team lists its manager last. The secure
version gives the loop variable its own name. Book page: ``book/practices/code``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pysecbook.teaching.risks import Outcome, Risk, register


@dataclass(frozen=True)
class User:
    name: str
    is_manager: bool = False


@dataclass
class Expense:
    id: int
    claimant: str
    approved_by: str | None = None


def approve_insecure(user: User, expense: Expense, team: list[User]) -> str:
    """``user`` approves ``expense``; only a manager of the claimant's team may."""
    managers = []
    for user in team:  # nosec PSB503 - deliberately insecure: demonstration of PSB-NAME-REUSE
        if user.is_manager:
            managers.append(user.name)
    if user.name not in managers:
        raise PermissionError(f"{user.name} does not manage this team")
    expense.approved_by = user.name
    return f"expense {expense.id} approved by {user.name}"


def approve_secure(user: User, expense: Expense, team: list[User]) -> str:
    """``user`` approves ``expense``; only a manager of the claimant's team may."""
    managers = []
    for member in team:
        if member.is_manager:
            managers.append(member.name)
    if user.name not in managers:
        raise PermissionError(f"{user.name} does not manage this team")
    expense.approved_by = user.name
    return f"expense {expense.id} approved by {user.name}"


def attack(approve: object) -> Outcome:
    """Mallory, no manager, approves her own expense."""
    mallory = User("mallory")
    team = [mallory, User("bob"), User("carol", is_manager=True)]
    expense = Expense(41, claimant="mallory")
    try:
        answer = approve(mallory, expense, team)  # type: ignore[operator]
    except PermissionError as exc:
        return Outcome(False, f"refused: {exc}")
    return Outcome(True, f"mallory's request: {answer}, without carol knowing")


RISK = register(
    Risk(
        id="PSB-NAME-REUSE",
        title="A loop variable that overwrites the requesting user",
        summary="for user in team: rebinds user for the rest of the function: the "
        "permission check then tests the last team member.",
        cwe=1109,
        bandit=(),
        detections=("PSB503",),
        modules=("builtins",),
        page="practices/code",
        insecure=approve_insecure,
        secure=approve_secure,
        attack=attack,
    )
)
