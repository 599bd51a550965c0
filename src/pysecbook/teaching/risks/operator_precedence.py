"""``and`` binds tighter than ``or``: a locked administrator still passes the permission check.

"Administrators and the record's owner may delete it, unless their account is locked",
written ``user.is_admin or user.name == record.owner and not user.locked``, means
``is_admin or (owner and not locked)``: the lock applies to owners only. An administrator
account whose password was stolen, and which the security team has locked, can still delete
records. The secure version writes the grouping it means in parentheses.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pysecbook.teaching.risks import Outcome, Risk, register


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


def may_delete_secure(user: User, record: Record) -> bool:
    """Administrators and the record's owner may delete it, unless their account is locked."""
    return (user.is_admin or user.name == record.owner) and not user.locked


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
    )
)
