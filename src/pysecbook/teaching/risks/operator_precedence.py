"""``and`` binds tighter than ``or``: a locked administrator still passes the permission check.

"Administrators and the record's owner may delete it, unless their account is locked",
written ``user.is_admin or user.name == record.owner and not user.locked``, means
``is_admin or (owner and not locked)``: the lock applies to owners only. An administrator
account whose password was stolen, and which the security team has locked, can still delete
records. The secure version writes the grouping it means in parentheses, and decides each
part on a real ``bool``.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


@dataclass(frozen=True)
class User:
    name: str
    is_admin: bool = False
    locked: bool = False


@dataclass(frozen=True)
class Record:
    id: str
    owner: str


def may_delete_insecure(user: User, record: Record) -> bool:
    """Administrators and the record's owner may delete it, unless their account is locked."""
    return user.is_admin or user.name == record.owner and not user.locked  # nosec PSB501 - deliberately insecure: demonstration of PSB-PRECEDENCE-AND-OR


def may_delete_first_try(user: User, record: Record) -> bool:
    """A first fix: the grouping written in parentheses.

    Kept to show adapted attacks beating it: it trusts the truth of whatever the flags hold,
    so ``"False"`` from a text export makes an administrator, an unknown lock state (``None``)
    counts as unlocked, and a user with no name owns every record that has no owner.
    """
    return (user.is_admin or user.name == record.owner) and not user.locked


def may_delete_secure(user: User, record: Record) -> bool:
    """Administrators and the record's owner may delete it, unless their account is locked.

    The grouping is written in parentheses. Each part is a real ``bool`` decided on its own
    line: only ``True`` itself makes an administrator (not ``"False"``, a non-empty string),
    only ``False`` itself an unlocked account (not ``None``, a lock state nobody knows), and
    only a non-empty name an owner.

    Assumes: ``user`` was built from the authenticated account by the application, not from
    the request, and ``record.owner`` is the name of the account that owns it.
    Does not stop: an administrator account used by a thief before it is locked; a rule that
    grants too much (here, administrators may delete every record).
    """
    is_admin = user.is_admin is True
    is_owner = isinstance(record.owner, str) and record.owner != "" and user.name == record.owner
    unlocked = user.locked is False
    return (is_admin or is_owner) and unlocked


_SYMBOLS = {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Add: "+", ast.Sub: "-",
            ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
            ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}


def grouping(expression: str) -> str:
    """``expression`` with every operation Python reads in it put in parentheses."""

    def show(node: ast.expr) -> str:
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + word.join(show(v) for v in node.values) + ")"
        if isinstance(node, ast.BinOp):
            return f"({show(node.left)} {_SYMBOLS[type(node.op)]} {show(node.right)})"
        if isinstance(node, ast.UnaryOp):
            symbol = {ast.Not: "not ", ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(node.op)]
            return f"({symbol}{show(node.operand)})"
        return ast.unparse(node)

    return show(ast.parse(expression, mode="eval").body)


def attack(may_delete: object) -> Outcome:
    """The locked account ops-admin (its password was stolen) tries to delete a record."""
    stolen = User("ops-admin", is_admin=True, locked=True)
    allowed = may_delete(stolen, Record("r-17", owner="alice"))  # type: ignore[operator]
    return Outcome(
        attack_succeeded=bool(allowed),
        observed=f"locked administrator account ops-admin deletes record r-17: "
                 f"{'allowed' if allowed else 'refused'}",
    )


def _deletes(may_delete: Callable[[User, Record], object],
             attempts: list[tuple[User, Record]]) -> Outcome:
    """Which of ``attempts`` (none of which the rule allows) the implementation allows."""
    allowed = [f"{u.name!r} deletes {r.id}" for u, r in attempts if may_delete(u, r)]
    if allowed:
        return Outcome(True, f"allowed: {', '.join(allowed)}")
    return Outcome(False, f"all {len(attempts)} refused")


def attack_flags_as_text(may_delete: Callable[..., object]) -> Outcome:
    """The accounts come from a text export (CSV, environment variables), where every flag is
    a string: Mallory's says ``is_admin="False"``, the stolen account's ``locked="True"``."""
    mallory = User("mallory", is_admin="False")  # type: ignore[arg-type]
    stolen = User("ops-admin", is_admin=True, locked="True")  # type: ignore[arg-type]
    return _deletes(may_delete, [(mallory, Record("r-17", owner="alice")),
                                 (stolen, Record("r-18", owner="alice"))])


def attack_unknown_lock_state(may_delete: Callable[..., object]) -> Outcome:
    """The lock service did not answer, and the account's lock state is ``None``: the stolen
    administrator account tries again."""
    stolen = User("ops-admin", is_admin=True, locked=None)  # type: ignore[arg-type]
    return _deletes(may_delete, [(stolen, Record("r-17", owner="alice"))])


def attack_nameless_owner(may_delete: Callable[..., object]) -> Outcome:
    """A request whose account has no name (``""``: a guest, a failed lookup) deletes records
    whose owner was removed and left empty."""
    return _deletes(may_delete, [
        (User(""), Record("r-19", owner="")),
    ])


RISK = register(
    Risk(
        id="PSB-PRECEDENCE-AND-OR",
        title="and inside or, without parentheses, in a permission check",
        summary="a or b and not locked means a or (b and not locked): the lock no longer "
        "applies to administrators.",
        cwe=783,
        bandit=(),
        detections=("PSB501",),
        modules=("builtins",),
        page="practices/code",
        insecure=may_delete_insecure,
        secure=may_delete_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("flags read as text: is_admin=\"False\", locked=\"True\"",
                          "type-confusion", attack_flags_as_text, beats=may_delete_first_try),
            AdaptedAttack("a lock state nobody knows (None) on a locked administrator",
                          "type-confusion", attack_unknown_lock_state,
                          beats=may_delete_first_try),
            AdaptedAttack("an account with no name, and a record with no owner",
                          "type-confusion", attack_nameless_owner, beats=may_delete_first_try),
        ),
    )
)
