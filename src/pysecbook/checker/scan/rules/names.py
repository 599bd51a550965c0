"""What a name stands for, and what a constant expression spells, read from the syntax tree.

:class:`Names` turns ``sp.run`` into ``subprocess.run`` from the file's imports.
:func:`fold` evaluates the string tricks malware uses to hide a name or a payload (``'o' +
's'``, ``''.join(chr(c) for c in [...])``, ``'...'[::-1]``, ``bytes.fromhex('...')``,
``base64.b64decode('...')``) without running anything: it only ever computes on constants
written in the file, with a bound on sizes. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import zlib

#: Longest text :func:`fold` builds (longer results are cut, never computed further).
FOLD_LIMIT = 4096
_DEPTH = 12


class Names:
    """Local names and what they stand for, from the file's imports, read as they come."""

    __slots__ = ("alias",)

    def __init__(self) -> None:
        self.alias: dict[str, str] = {}

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.alias[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    self.alias.setdefault(top, top)
        elif node.module and not node.level:
            for a in node.names:
                self.alias[a.asname or a.name] = f"{node.module}.{a.name}"

    def qualified(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to (``sp.run`` -> ``subprocess.run``)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(self.alias.get(node.id, node.id))
        elif isinstance(node, ast.Call):
            inner = self.qualified(node.func)
            if inner is None:
                return None
            parts.append(inner)
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes | str):
            parts.append(type(node.value).__name__)  # b"..".decode, "..".join
        else:
            return None
        return ".".join(reversed(parts))


def _ints(node: ast.AST) -> list[int] | None:
    if isinstance(node, ast.List | ast.Tuple):
        out = []
        for e in node.elts[:FOLD_LIMIT]:
            if isinstance(e, ast.Constant) and type(e.value) is int and 0 <= e.value < 0x110000:
                out.append(e.value)
            else:
                return None
        return out
    return None


def _cut(value: str | bytes) -> str | bytes:
    return value[:FOLD_LIMIT]


def fold(node: ast.AST, names: Names | None = None, depth: int = 0) -> str | bytes | None:
    """The string or bytes a constant expression evaluates to, or None if it is not one.

    Handles literals, ``+`` and ``%``-free concatenation, f-strings of constants, ``str.join``
    of constants, ``chr`` of integers (directly, through ``map`` or a comprehension over a
    list of integers), ``[::-1]``, ``.decode()``/``.encode()``, ``bytes([...])``,
    ``bytes.fromhex``, base64/base32/base16/hex decoding, zlib and ``codecs.decode(.., 'rot13')``.
    """
    if depth > _DEPTH:
        return None
    d = depth + 1
    if isinstance(node, ast.Constant):
        return _cut(node.value) if isinstance(node.value, str | bytes) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left, names, d), fold(node.right, names, d)
        if (isinstance(left, str) and isinstance(right, str)) or (
                isinstance(left, bytes) and isinstance(right, bytes)):
            return _cut(left + right)  # type: ignore[operator]
        return None
    if isinstance(node, ast.JoinedStr):
        out = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                out.append(v.value)
            else:
                return None
        return _cut("".join(out))
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        s = node.slice
        if s.lower is None and s.upper is None and isinstance(s.step, ast.UnaryOp) and isinstance(
                s.step.op, ast.USub) and isinstance(s.step.operand, ast.Constant) and s.step.operand.value == 1:
            inner = fold(node.value, names, d)
            return inner[::-1] if inner is not None else None
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    args = node.args
    fname = names.qualified(func) if names else (func.id if isinstance(func, ast.Name) else None)
    if fname == "chr" and len(args) == 1 and isinstance(args[0], ast.Constant) and type(
            args[0].value) is int and 0 <= args[0].value < 0x110000:
        return chr(args[0].value)
    if fname in ("bytes", "bytearray") and len(args) == 1:
        ints = _ints(args[0])
        if ints is not None and all(i < 256 for i in ints):
            return bytes(ints)
        return None
    if isinstance(func, ast.Attribute) and func.attr == "join" and len(args) == 1:
        sep = fold(func.value, names, d)
        if not isinstance(sep, str):
            return None
        parts = _join_parts(args[0], names, d)
        return _cut(sep.join(parts)) if parts is not None else None
    if isinstance(func, ast.Attribute) and func.attr in ("decode", "encode") and not (
            fname and fname.startswith(("codecs.", "base64.", "binascii."))):
        inner = fold(func.value, names, d)
        try:
            if func.attr == "decode" and isinstance(inner, bytes):
                return _cut(inner.decode("utf-8", "replace"))
            if func.attr == "encode" and isinstance(inner, str):
                return _cut(inner.encode("utf-8", "replace"))
        except (LookupError, ValueError):
            return None
        return None
    if fname and args:
        first = fold(args[0], names, d)
        if first is None:
            return None
        try:
            return _decode_call(fname, first, node)
        except (ValueError, TypeError, binascii.Error, zlib.error, LookupError, OverflowError):
            return None
    return None


def _decode_call(fname: str, first: str | bytes, node: ast.Call) -> str | bytes | None:
    if fname in ("bytes.fromhex", "bytearray.fromhex", "binascii.unhexlify", "binascii.a2b_hex"):
        return _cut(bytes.fromhex(first if isinstance(first, str) else first.decode("ascii")))
    if fname in ("base64.b64decode", "base64.standard_b64decode", "base64.decodebytes",
                 "binascii.a2b_base64"):
        return _cut(base64.b64decode(first[: FOLD_LIMIT * 2]))  # nosec PSB601 - decodes as leniently as the target's own call would
    if fname == "base64.urlsafe_b64decode":
        return _cut(base64.urlsafe_b64decode(first[: FOLD_LIMIT * 2]))
    if fname == "base64.b32decode":
        return _cut(base64.b32decode(first[: FOLD_LIMIT * 2]))
    if fname == "base64.b16decode":
        return _cut(base64.b16decode(first[: FOLD_LIMIT * 2]))
    if fname == "base64.b85decode":
        return _cut(base64.b85decode(first[: FOLD_LIMIT * 2]))
    if fname == "zlib.decompress" and isinstance(first, bytes):
        out = zlib.decompressobj().decompress(first, FOLD_LIMIT)  # bounded: no bomb
        return _cut(out)
    if fname == "codecs.decode" and len(node.args) > 1:
        enc = node.args[1]
        if isinstance(enc, ast.Constant) and isinstance(enc.value, str) and isinstance(first, str):
            if enc.value.replace("_", "").lower() == "rot13":
                return codecs.decode(first, "rot13")
    return None


def _join_parts(node: ast.AST, names: Names | None, depth: int) -> list[str] | None:
    """The strings ``str.join`` would join: constants, ``map(chr, [...])``, a comprehension of
    ``chr(x)`` or ``chr(x op k)`` over a list of integers."""
    if isinstance(node, ast.List | ast.Tuple):
        parts = []
        for e in node.elts[:FOLD_LIMIT]:
            v = fold(e, names, depth)
            if not isinstance(v, str):
                return None
            parts.append(v)
        return parts
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "map" and len(
            node.args) == 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "chr":
        ints = _ints(node.args[1])
        return [chr(i) for i in ints] if ints is not None else None
    if isinstance(node, ast.GeneratorExp | ast.ListComp) and len(node.generators) == 1:
        gen = node.generators[0]
        ints = _ints(gen.iter)
        elt = node.elt
        if ints is None or gen.ifs or not isinstance(gen.target, ast.Name):
            return None
        if isinstance(elt, ast.Call) and isinstance(elt.func, ast.Name) and elt.func.id == "chr" and len(
                elt.args) == 1:
            op = _int_op(elt.args[0], gen.target.id)
            if op is None:
                return None
            try:
                return [chr(op(i)) for i in ints]
            except (ValueError, OverflowError):
                return None
    return None


def _int_op(node: ast.AST, var: str):  # type: ignore[no-untyped-def]
    """``x``, ``x ^ k``, ``x - k``, ``x + k`` as a function of ``x``, or None."""
    if isinstance(node, ast.Name) and node.id == var:
        return lambda i: i
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Name) and node.left.id == var and isinstance(
            node.right, ast.Constant) and type(node.right.value) is int:
        k = node.right.value
        if isinstance(node.op, ast.BitXor):
            return lambda i: i ^ k
        if isinstance(node.op, ast.Sub):
            return lambda i: i - k
        if isinstance(node.op, ast.Add):
            return lambda i: i + k
    return None


def text_of(value: str | bytes | None, limit: int = 60) -> str:
    """A short, printable rendering of a folded value for a message."""
    if value is None:
        return "?"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    flat = " ".join(value.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")
