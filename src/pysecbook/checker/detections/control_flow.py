"""Detections of the control flow and names family (PSB5xx).

``and`` inside ``or`` without parentheses, a list changed while a loop walks it, a loop
variable that overwrites a name the function still needs. Book page: ``book/practices/code``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import (
    dotted,
    source_lines,
    local_nodes,
    written_in_parentheses,
)

MIXED_PRECEDENCE = Detection(
    id="PSB501",
    title="and inside or (or & inside |) without parentheses",
    cwe=783,
    severity="LOW",
    confidence="MEDIUM",
    fix="Write the grouping you mean in parentheses: (a or b) and c, or a or (b and c).",
    flags=(
        "allowed = user.is_admin or user.is_owner and not user.locked\n",
        "if perms & READ | WRITE:\n    serve()\n",
    ),
    passes=(
        "allowed = (user.is_admin or user.is_owner) and not user.locked\n",
        "allowed = user.is_admin or (user.is_owner and not user.locked)\n",
        "ok = is_admin or is_owner or is_delegate\n",
        "if perms & (READ | WRITE):\n    serve()\n",
    ),
)


@MIXED_PRECEDENCE.checks("BoolOp", "BinOp")
def pysecbook_mixed_precedence(context):  # type: ignore[no-untyped-def]
    """``a or b and c`` means ``a or (b and c)``: is that what the author wanted?"""
    node = context.node
    if isinstance(node, ast.BoolOp):
        if not isinstance(node.op, ast.Or):
            return None
        inner = [v for v in node.values if isinstance(v, ast.BoolOp) and isinstance(v.op, ast.And)]
        words = ("and", "or")
    else:
        if not isinstance(node.op, (ast.BitOr, ast.BitXor)):
            return None
        inner = [v for v in (node.left, node.right)
                 if isinstance(v, ast.BinOp) and isinstance(v.op, ast.BitAnd)]
        words = ("&", "|" if isinstance(node.op, ast.BitOr) else "^")
    if not inner:
        return None
    lines = source_lines(context.file_data)
    for child in inner:
        if not written_in_parentheses(lines, child):
            return MIXED_PRECEDENCE.issue(
                f"{words[0]!r} binds tighter than {words[1]!r}, so this groups as "
                f"a {words[1]} (b {words[0]} c); in an access rule the other grouping is "
                "usually what was meant.", lineno=child.lineno)
    return None


MUTATED_WHILE_ITERATED = Detection(
    id="PSB502",
    title="A list changed inside the loop that walks it",
    cwe=1095,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Loop over a copy (for s in list(sessions)) or build the new list: "
        "sessions[:] = [s for s in sessions if s.user != name].",
    flags=(
        "for s in sessions:\n    if s.user == name:\n        sessions.remove(s)\n",
        "for job in self.queue:\n    if job.done:\n        self.queue.remove(job)\n",
        "for i, item in enumerate(items):\n    if item.expired:\n        del items[i]\n",
    ),
    passes=(
        "for s in list(sessions):\n    if s.user == name:\n        sessions.remove(s)\n",
        "for s in sessions[:]:\n    if s.user == name:\n        sessions.remove(s)\n",
        "for s in sessions:\n    if s.user == name:\n        sessions.remove(s)\n        break\n",
        "for s in sessions:\n    if s.user == name:\n        revoked.append(s)\n",
    ),
)

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MUTATORS = frozenset({"remove", "pop", "insert", "append", "extend", "clear", "discard", "add"})


def _iterated(loop: ast.For | ast.AsyncFor) -> str:
    """The name of the list the loop walks directly (through ``enumerate``, too)."""
    target = loop.iter
    if isinstance(target, ast.Call) and dotted(target.func) in ("enumerate", "reversed") \
            and target.args:
        target = target.args[0]
    return dotted(target)


def _ends_block(statements: list[ast.stmt], index: int) -> bool:
    return any(isinstance(s, (ast.Break, ast.Return, ast.Raise)) for s in statements[index + 1:])


def _mutation(statements: list[ast.stmt], name: str) -> ast.stmt | None:
    for index, statement in enumerate(statements):
        found = None
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS \
                    and dotted(func.value) == name:
                found = statement
        elif isinstance(statement, ast.Delete):
            if any(isinstance(t, ast.Subscript) and dotted(t.value) == name
                   for t in statement.targets):
                found = statement
        if found is not None and not _ends_block(statements, index):
            return found
        if isinstance(statement, (ast.For, ast.AsyncFor, ast.While, *_SCOPES)):
            continue  # an inner loop's break does not end ours; other scopes are not ours
        for inner in (getattr(statement, "body", None), getattr(statement, "orelse", None),
                      getattr(statement, "finalbody", None)):
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                deeper = _mutation(inner, name)
                if deeper is not None:
                    return deeper
    return None


@MUTATED_WHILE_ITERATED.checks("For", "AsyncFor")
def pysecbook_mutated_while_iterated(context):  # type: ignore[no-untyped-def]
    """Removing from a list during ``for x in list`` skips the element after each removal."""
    loop = context.node
    name = _iterated(loop)
    if not name:
        return None
    found = _mutation(loop.body, name)
    if found is None:
        return None
    return MUTATED_WHILE_ITERATED.issue(
        f"{name} is changed while the loop walks it: the loop's position does not move "
        "with it, so elements are skipped or visited twice.", lineno=found.lineno)


LOOP_OVERWRITES_NAME = Detection(
    id="PSB503",
    title="A loop variable that overwrites a name used after the loop",
    cwe=1109,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Give the loop variable its own name (for member in team:).",
    flags=(
        "def approve(user, expense, team):\n    for user in team:\n        notify(user)\n"
        "    if user.is_manager:\n        expense.approve()\n",
        "def send(path, paths):\n    for path in paths:\n        check(path)\n"
        "    upload(path)\n",
    ),
    passes=(
        "def approve(user, expense, team):\n    for member in team:\n        notify(member)\n"
        "    if user.is_manager:\n        expense.approve()\n",
        "def total(items):\n    for item in items:\n        count(item)\n"
        "    for item in items:\n        show(item)\n",
        "def last(user, team):\n    for user in team:\n        notify(user)\n    user = find()\n"
        "    return user\n",
    ),
)


def _bound_before(function: ast.AST, name: str, line: int) -> bool:
    args = function.args  # type: ignore[attr-defined]
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    if any(p is not None and p.arg == name for p in params):
        return True
    targets = _loop_targets(function)
    for node in local_nodes(function):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store) \
                and node.lineno < line and id(node) not in targets:
            return True
    return False


def _loop_targets(function: ast.AST) -> frozenset[int]:
    """The ids of every node a loop or comprehension of ``function`` binds (kept on it)."""
    cached = getattr(function, "_pysecbook_loop_targets", None)
    if cached is None:
        cached = frozenset(id(t) for n in local_nodes(function)
                           if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension))
                           for t in ast.walk(n.target))
        function._pysecbook_loop_targets = cached  # type: ignore[attr-defined]
    return cached


def _read_after(function: ast.AST, name: str, end: int) -> ast.Name | None:
    """The first read of ``name`` after line ``end``, unless the name is rebound before it."""
    later = sorted((n for n in local_nodes(function) if isinstance(n, ast.Name) and n.id == name
                    and n.lineno > end), key=lambda n: (n.lineno, n.col_offset))
    for node in later:
        if isinstance(node.ctx, ast.Store):
            return None
        return node
    return None


@LOOP_OVERWRITES_NAME.checks("FunctionDef", "AsyncFunctionDef")
def pysecbook_loop_overwrites_name(context):  # type: ignore[no-untyped-def]
    """``def f(user): for user in team: ...; use(user)``: ``user`` is now the last member."""
    function = context.node
    for loop in local_nodes(function):
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or not isinstance(loop.target, ast.Name):
            continue
        name = loop.target.id
        if not _bound_before(function, name, loop.lineno):
            continue
        read = _read_after(function, name, loop.end_lineno or loop.lineno)
        if read is not None:
            return LOOP_OVERWRITES_NAME.issue(
                f"the loop rebinds {name!r}, which held something else before it, and line "
                f"{read.lineno} reads {name!r} after the loop: it now holds the last element.",
                lineno=loop.lineno)
    return None
