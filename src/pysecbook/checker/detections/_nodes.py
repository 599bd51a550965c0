"""Small AST helpers the detections share: names, local walks, the source around a node."""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator

#: Nodes that open a new scope: a walk of one function's body does not enter them.
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or an attribute chain, ``""`` for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualified(node: ast.AST, aliases: dict[str, str] | None) -> str:
    """:func:`dotted`, with the first part replaced by what it was imported as."""
    name = dotted(node)
    head, _, rest = name.partition(".")
    if aliases and head in aliases:
        return f"{aliases[head]}.{rest}" if rest else aliases[head]
    return name


def walk_local(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself excluded) that is not inside a nested scope."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, SCOPES):
            stack.extend(ast.iter_child_nodes(child))


def local_nodes(node: ast.AST) -> tuple[ast.AST, ...]:
    """:func:`walk_local` of ``node``, computed once per node and kept on it, as Bandit keeps
    its own notes on the nodes of the one tree it builds per file: several detections walk
    the same function, some once per loop in it."""
    cached = getattr(node, "_pysecbook_local", None)
    if cached is None:
        cached = tuple(walk_local(node))
        node._pysecbook_local = cached  # type: ignore[attr-defined]
    return cached


def has_call(node: ast.AST) -> bool:
    """Whether ``node`` is a call or :func:`walk_local` of it yields one, in time linear in the
    whole tree however often it is asked: each node keeps the answer for what is under it,
    so a statement nested ten deep is not walked again for each statement around it."""
    if isinstance(node, ast.Call):
        return True
    pending = [(child, False) for child in ast.iter_child_nodes(node)]
    while pending:  # post-order, without recursion: the target chose the nesting depth
        child, ready = pending.pop()
        if hasattr(child, "_pysecbook_call"):
            continue
        if isinstance(child, (ast.Call, *SCOPES)) or ready:
            child._pysecbook_call = isinstance(child, ast.Call) or (  # type: ignore[attr-defined]
                not isinstance(child, SCOPES)
                and any(c._pysecbook_call for c in ast.iter_child_nodes(child)))  # type: ignore[attr-defined]
            continue
        pending.append((child, True))
        pending.extend((c, False) for c in ast.iter_child_nodes(child))
    return any(c._pysecbook_call for c in ast.iter_child_nodes(node))  # type: ignore[attr-defined]


def statement_lists(node: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists a compound statement owns directly (body, orelse, finalbody...)."""
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(node, "handlers", ()) or ():
        yield handler.body


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` in ``call``, or ``None``."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def constant(node: ast.AST | None) -> object:
    """The value of a constant node; a private marker for anything else."""
    return node.value if isinstance(node, ast.Constant) else _NOT_CONSTANT


_NOT_CONSTANT = object()


def source_lines(file_data: object) -> list[bytes]:
    """The lines of the file Bandit is scanning, as bytes (AST columns count UTF-8 bytes)."""
    cached = _LINES.get(id(file_data))
    if cached is not None and cached[0] is file_data:
        return cached[1]
    if isinstance(file_data, io.BytesIO):
        data = file_data.getvalue()
    else:
        position = file_data.tell()  # type: ignore[attr-defined]
        file_data.seek(0)  # type: ignore[attr-defined]
        data = file_data.read()  # type: ignore[attr-defined]
        file_data.seek(position)  # type: ignore[attr-defined]
    lines = data.splitlines(keepends=True)
    _LINES.clear()  # one file at a time
    _LINES[id(file_data)] = (file_data, lines)
    return lines


_LINES: dict[int, tuple[object, list[bytes]]] = {}


def written_in_parentheses(lines: list[bytes], node: ast.expr) -> bool:
    """Did the author put ``node`` in parentheses of its own? (The AST keeps none.)"""
    before = _text_before(lines, node.lineno, node.col_offset)
    after = _text_after(lines, node.end_lineno or node.lineno, node.end_col_offset or 0)
    return before.endswith(b"(") and after.startswith(b")")


def _text_before(lines: list[bytes], lineno: int, col: int) -> bytes:
    text = lines[lineno - 1][:col].rstrip() if lineno <= len(lines) else b""
    while not text and lineno > 1:  # the node starts a line: look at the end of the previous
        lineno -= 1
        text = lines[lineno - 1].split(b"#", 1)[0].rstrip().rstrip(b"\\").rstrip()
    return text


def _text_after(lines: list[bytes], lineno: int, col: int) -> bytes:
    text = lines[lineno - 1][col:].lstrip() if lineno <= len(lines) else b""
    while (not text or text.startswith(b"#")) and lineno < len(lines):
        lineno += 1
        text = lines[lineno - 1].lstrip()
    return text
