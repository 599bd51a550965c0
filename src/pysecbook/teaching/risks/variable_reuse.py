"""One name for two things: a loop variable overwrites the user a permission check is about.

``for user in team:`` rebinds ``user``, and the binding survives the loop: afterwards
``user`` is the last member of the team, not the person making the request. An approval
check written after such a loop checks whoever happens to be last, so Mallory, who manages
nothing, approves her own expense because her team lists its manager last. The secure
version gives the loop variable its own name (and counts only a flag that is ``True`` itself,
and never lets the claimant approve). Book page: ``book/practices/code``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


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


def approve_first_try(user: User, expense: Expense, team: list[User]) -> str:
    """A first fix: the loop variable has its own name.

    Kept to show two adapted attacks beating it: a manager flag read from a file as the
    string ``"False"`` is true, and a manager may approve her own expense.
    """
    managers = []
    for member in team:
        if member.is_manager:
            managers.append(member.name)
    if user.name not in managers:
        raise PermissionError(f"{user.name} does not manage this team")
    expense.approved_by = user.name
    return f"expense {expense.id} approved by {user.name}"


def approve_secure(user: User, expense: Expense, team: list[User]) -> str:
    """``user`` approves ``expense``; only a manager of the claimant's team may, and never
    the claimant.

    The loop variable has its own name, so ``user`` is still the person asking after the
    loop. A member is a manager only if the flag is ``True`` itself: ``"False"`` or ``"no"``
    read from a spreadsheet export is a non-empty string, and true.

    Assumes: ``team`` is the claimant's team as the directory holds it (not as the request
    says), and a name identifies one person.
    Does not stop: two managers who approve each other's expenses; a directory that names
    the wrong manager.
    """
    managers = []
    for member in team:
        if member.is_manager is True:
            managers.append(member.name)
    if user.name not in managers:
        raise PermissionError(f"{user.name} does not manage this team")
    if user.name == expense.claimant:
        raise PermissionError(f"{user.name} may not approve their own expense")
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


def _approve(approve: Callable[..., str], user: User, expense: Expense,
             team: list[User]) -> Outcome:
    try:
        answer = approve(user, expense, team)
    except PermissionError as exc:
        return Outcome(False, f"refused: {exc}")
    return Outcome(True, f"{user.name}'s request: {answer}")


def attack_flag_as_text(approve: Callable[..., str]) -> Outcome:
    """The team comes from a spreadsheet export, where every flag is text: Mallory's says
    ``"False"``. She approves her teammate Bob's expense."""
    mallory = User("mallory", is_manager="False")  # type: ignore[arg-type]
    team = [User("bob", is_manager="False"), mallory,  # type: ignore[arg-type]
            User("carol", is_manager="True")]  # type: ignore[arg-type]
    return _approve(approve, mallory, Expense(42, claimant="bob"), team)


def attack_own_expense_as_manager(approve: Callable[..., str]) -> Outcome:
    """Mallory has become a team lead (a manager): she approves her own expense."""
    mallory = User("mallory", is_manager=True)
    team = [User("bob"), mallory]
    return _approve(approve, mallory, Expense(43, claimant="mallory"), team)


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
        adapted=(
            AdaptedAttack("manager flags read from a spreadsheet as text: \"False\" is true",
                          "type-confusion", attack_flag_as_text, beats=approve_first_try),
            AdaptedAttack("a manager approves her own expense", "variant",
                          attack_own_expense_as_manager, beats=approve_first_try),
        ),
    )
)
