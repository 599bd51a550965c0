"""What kind of data an expression carries, following local names back to their assignments.

The data-flow half of the red-flag rules' view of a file: :class:`DataFlow` labels an
expression (decoded, downloaded, secret, the environment, obfuscated...) from what the walk
(:mod:`pysecbook.checker.scan.rules.collector`) recorded in the file's
:class:`~pysecbook.checker.scan.rules.facts.Facts`, only where a rule asks, within a depth and a
budget per file. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.classify import (
    add_chain,
    is_decode,
    is_network,
    is_reversed,
    secret_variable,
    string_labels,
    trick_of,
)
from pysecbook.checker.scan.rules.names import fold

if TYPE_CHECKING:
    from pysecbook.checker.scan.rules.names import Names

__all__ = ["EMPTY", "MODULE", "RETURN", "DataFlow"]

#: The scope of a module's top level.
MODULE = "<module>"
#: The name under which a function scope's ``return`` values are kept in ``assigned``.
RETURN = "<return>"
EMPTY: frozenset[str] = frozenset()
#: Longest chain of names followed back to their assignments, and nodes labelled per file.
DEPTH = 24
BUDGET = 50_000
_OPEN_CALLS = frozenset({"open", "io.open", "builtins.open", "codecs.open"})


class DataFlow:
    """The labelling of one file's expressions; mixed into
    :class:`~pysecbook.checker.scan.rules.facts.Facts`, whose recorded assignments, functions
    and names it reads."""

    names: Names
    assigned: dict[str, dict[str, list[ast.AST]]]
    functions: dict[str, set[str]]
    parent: dict[str, str]
    _memo: dict[int, frozenset[str]]
    _budget: int

    def labels(self, node: ast.AST | None, scope: str, depth: int = 0) -> frozenset[str]:
        """What kind of data ``node`` carries, following local names to their assignments."""
        if node is None or depth > DEPTH or self._budget <= 0:
            return EMPTY
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = EMPTY  # a name assigned from itself stops here
        self._budget -= 1
        out = self._labels(node, scope, depth + 1)
        self._memo[key] = out
        return out

    def _union(self, nodes: Iterator[ast.AST], scope: str, depth: int) -> frozenset[str]:
        out: frozenset[str] = EMPTY
        for n in nodes:
            got = self.labels(n, scope, depth)
            if got:
                out = out | got
        return out

    def _labels(self, node: ast.AST, scope: str, depth: int) -> frozenset[str]:
        t = type(node)
        if t is ast.Constant:
            return string_labels(node.value) if isinstance(node.value, str) else EMPTY
        if t is ast.Name:
            out: frozenset[str] = EMPTY
            for value in self.values_of(node.id, scope):  # type: ignore[attr-defined]
                out = out | self.labels(value, scope, depth)
            return out
        if t is ast.Attribute:
            q = self.names.qualified(node)
            if q == "os.environ":
                return frozenset({"env"})
            return self.labels(node.value, scope, depth)  # type: ignore[attr-defined]
        if t is ast.Subscript:
            q = self.names.qualified(node.value)  # type: ignore[attr-defined]
            if q == "os.environ":
                key = fold(node.slice, self.names)  # type: ignore[attr-defined]
                return frozenset({"envvar"}) if isinstance(key, str) and secret_variable(key) else EMPTY
            if is_reversed(node):
                inner = self.labels(node.value, scope, depth)  # type: ignore[attr-defined]
                if isinstance(node.value, ast.Constant):  # type: ignore[attr-defined]
                    return inner | {"obfuscated"}
                return inner | {"reversed"}
            return self._union(iter((node.value, node.slice)), scope, depth)  # type: ignore[attr-defined]
        if t is ast.BinOp and type(node.op) is ast.BitXor:  # type: ignore[attr-defined]
            return self._union(ast.iter_child_nodes(node), scope, depth) | {"xor"}
        if t is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            parts = add_chain(node, set())  # type: ignore[arg-type]
            out = self._union(iter(parts), scope, depth)
            chrs = sum(isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "chr"
                       for p in parts)
            return out | {"obfuscated"} if chrs >= 4 else out
        if t is ast.Call:
            return self._call_labels(node, scope, depth)  # type: ignore[arg-type]
        if t in (ast.GeneratorExp, ast.ListComp, ast.SetComp):
            inner = self._union(ast.iter_child_nodes(node), scope, depth)
            return inner | {"obfuscated"} if "xor" in inner else inner
        if t is ast.Lambda:
            return self.labels(node.body, scope, depth)  # type: ignore[attr-defined]
        return self._union(ast.iter_child_nodes(node), scope, depth)

    def _call_labels(self, node: ast.Call, scope: str, depth: int) -> frozenset[str]:
        q = self.names.qualified(node.func) or ""
        own: set[str] = set()
        last = q.rsplit(".", 1)[-1]
        if is_decode(q):
            own.add("decoded")
        elif q in C.ENCODE_CALLS or last == "hex":
            own.add("encoded")
        elif is_network(q) or q in ("urllib.request.urlretrieve", "urllib.urlretrieve"):
            own.add("fetched")
        elif q in C.RECON_CALLS:
            own.add("recon")
        elif q in C.SCREEN_CALLS or q in C.CLIPBOARD_GET or C.CLIPBOARD_METHODS.get(last) == "get":
            own.add("collected")
        elif q in C.IMAGE_OPENS:
            own.add("image")
        elif q in _OPEN_CALLS and node.args:
            if self.names_data_file(node.args[0], scope):
                own.add("image")
        elif last in ("read_bytes", "read_text") and isinstance(node.func, ast.Attribute):
            if self.names_data_file(node.func.value, scope):
                own.add("image")
        elif q in ("os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop"):
            key = fold(node.args[0], self.names) if node.args else None
            return frozenset({"envvar"}) if isinstance(key, str) and secret_variable(key) else EMPTY
        elif last == "join" and isinstance(node.func, ast.Attribute) and node.args and trick_of(
                node, self.names):
            own.add("obfuscated")
        elif q in C.DYNAMIC_IMPORTS or q == "getattr":
            if node.args and not isinstance(node.args[-1 if q == "getattr" else 0], ast.Constant):
                name = fold(node.args[1 if q == "getattr" else 0], self.names) if len(
                    node.args) > (1 if q == "getattr" else 0) else None
                if name is not None:
                    own.add("obfuscated")
        func = node.func.value if isinstance(node.func, ast.Attribute) else None
        parts = [*node.args, *(k.value for k in node.keywords)]
        if func is not None:
            parts.append(func)
        elif isinstance(node.func, ast.Lambda):  # (lambda t: ...)(s)
            parts.append(node.func)
        elif isinstance(node.func, ast.Name):
            # a local callable: what a lambda assigned to the name, or a local function's
            # return statements, compute (``unwrap = lambda s: b64decode(s)``)
            parts += [v for v in self.values_of(node.func.id, scope) if isinstance(v, ast.Lambda)]
            for inner in self.functions.get(node.func.id, ()):
                for value in self.assigned.get(inner, {}).get(RETURN, ())[:8]:
                    got = self.labels(value, inner, depth)
                    if got:
                        own |= got
        out = self._union(iter(parts), scope, depth)
        if own:
            out = out | own
        return out

    def values_of(self, name: str, scope: str) -> list[ast.AST]:
        """What ``name`` was assigned in ``scope``, else in the scopes around it."""
        while True:
            got = self.assigned.get(scope, {}).get(name)
            if got is not None:
                return got
            if scope == MODULE:
                return []
            scope = self.parent.get(scope, MODULE)

    def names_data_file(self, node: ast.AST, scope: str) -> bool:
        """Whether a path expression names an image or data file (``logo.png``), through
        constants in it and in what its names were assigned (one step)."""
        todo: list[ast.AST] = [node]
        for value in (v for sub in ast.walk(node) if isinstance(sub, ast.Name)
                      for v in self.values_of(sub.id, scope)[:4]):
            todo.append(value)
        for expr in todo:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and (
                        sub.value.lower().endswith(C.DATA_SUFFIXES)):
                    return True
        return False

    def text(self, node: ast.AST | None, scope: str) -> str | None:
        """The string a constant expression (or a name assigned one) spells, if any."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            for value in self.values_of(node.id, scope):
                got = fold(value, self.names)
                if isinstance(got, str):
                    return got
            return None
        got = fold(node, self.names)
        if isinstance(got, bytes):
            return got.decode("utf-8", "replace")
        return got

    def command(self, call: ast.Call, scope: str) -> str:
        """A process call's command line as far as constants spell it (``?`` for the rest)."""
        if not call.args:
            return ""
        first = call.args[0]
        if isinstance(first, ast.Name):
            values = self.values_of(first.id, scope)
            first = values[0] if values else first
        if isinstance(first, ast.List | ast.Tuple):
            return " ".join(self.text(e, scope) or "?" for e in first.elts[:40])
        return self.text(first, scope) or "?"
