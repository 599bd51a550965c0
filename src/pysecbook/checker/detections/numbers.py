"""Detections of the numbers family (PSB1xx): fixed-width wrap-around, float counters, Decimal.

Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import constant, qualified, walk_local

#: ctypes' fixed-width integer types: arithmetic stored in one wraps around silently.
CTYPES_INTEGERS = frozenset(
    f"ctypes.{name}" for name in (
        "c_byte", "c_ubyte", "c_short", "c_ushort", "c_int", "c_uint", "c_long", "c_ulong",
        "c_longlong", "c_ulonglong", "c_size_t", "c_ssize_t", "c_int8", "c_uint8", "c_int16",
        "c_uint16", "c_int32", "c_uint32", "c_int64", "c_uint64",
    )
)

_WRAPPING_OPS = (ast.Add, ast.Sub, ast.Mult, ast.LShift, ast.Pow)

CTYPES_ARITHMETIC = Detection(
    id="PSB101",
    title="Arithmetic stored in a ctypes fixed-width integer",
    cwe=190,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Compute with Python int, check the range, then convert (or refuse the input).",
    flags=(
        "import ctypes\ntotal = ctypes.c_int32(quantity * price).value\n",
        "from ctypes import c_uint16\nsize = c_uint16(header + body)\n",
    ),
    passes=(
        "import ctypes\ntotal = ctypes.c_int32(checked_total).value\n",
        "import ctypes\nbuffer_size = ctypes.c_int32(4 * 1024)\n",
        "import ctypes\nratio = ctypes.c_double(width * scale)\n",
    ),
)


@CTYPES_ARITHMETIC.checks("Call")
def pysecbook_ctypes_arithmetic(context):  # type: ignore[no-untyped-def]
    """``ctypes.c_int32(a * b)``: the result wraps around instead of failing."""
    if context.call_function_name_qual not in CTYPES_INTEGERS or not context.node.args:
        return None
    value = context.node.args[0]
    ops = [n for n in [value, *walk_local(value)] if isinstance(n, ast.BinOp)
           and isinstance(n.op, _WRAPPING_OPS)]
    if not ops or all(isinstance(n.left, ast.Constant) and isinstance(n.right, ast.Constant)
                      for n in ops):
        return None
    return CTYPES_ARITHMETIC.issue(
        f"{context.call_function_name_qual}() of an arithmetic result wraps around silently "
        "when the result does not fit.")


FLOAT_LOOP_COUNTER = Detection(
    id="PSB102",
    title="A while loop counted with a float",
    cwe=1339,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Count with an int (whole cents, a step number) and compute the float from it.",
    flags=(
        "issued = 0.0\nwhile issued < total:\n    issue_voucher()\n    issued += 0.1\n",
        "t = 1.0\nwhile t != 0.0:\n    t -= 0.25\n",
        "def split(value, step):\n    issued = 0.0\n    while issued < value:\n"
        "        issue_voucher()\n        issued += step\n",
    ),
    passes=(
        "issued = 0\nwhile issued < total_cents:\n    issue_voucher()\n    issued += 10\n",
        "step = 0\nwhile step < 10:\n    t = step * 0.1\n    step += 1\n",
        "total = 0.0\nfor price in prices:\n    total += 0.5\n",
        "def pages(count, per_page):\n    shown = 0\n    while shown < count:\n"
        "        show(shown)\n        shown += per_page\n",
    ),
)


def _float_initialised(loop: ast.While, aliases: dict[str, str] | None) -> set[str]:
    """Names the loop's scope sets to a float (``x = 0.0``, ``x = float(s)``) before the loop."""
    scope: ast.AST | None = getattr(loop, "_bandit_parent", None)
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Module)):
        scope = getattr(scope, "_bandit_parent", None)
    if scope is None:
        return set()
    names = set()
    for node in walk_local(scope):
        if isinstance(node, ast.Assign) and node.lineno < loop.lineno \
                and _is_float_valued(node.value, aliases):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


@FLOAT_LOOP_COUNTER.checks("While")
def pysecbook_float_loop_counter(context):  # type: ignore[no-untyped-def]
    """``while x < limit: ... x += 0.1``: the number of turns depends on rounding."""
    loop = context.node
    tested = {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
    steps = [n for n in walk_local(loop)
             if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
             and n.target.id in tested and isinstance(n.op, (ast.Add, ast.Sub))]
    floats = _float_initialised(loop, context.import_aliases) if steps else set()
    for node in steps:
        if isinstance(constant(node.value), float) or node.target.id in floats:
            return FLOAT_LOOP_COUNTER.issue(
                f"the loop condition tests {node.target.id!r}, a float that the loop steps "
                "by addition: the step is rounded at every turn, so the number of turns is "
                "not the one written.", lineno=node.lineno)
    return None


DECIMAL_FROM_FLOAT = Detection(
    id="PSB103",
    title="A Decimal built from a float",
    cwe=681,
    severity="MEDIUM",
    confidence="HIGH",
    fix='Build it from a string (Decimal("0.015")) or an int.',
    flags=(
        "from decimal import Decimal\nFEE_RATE = Decimal(0.015)\n",
        "import decimal\namount = decimal.Decimal(float(text))\n",
        "from decimal import Decimal\nshare = Decimal(1 / 3)\n",
    ),
    passes=(
        'from decimal import Decimal\nFEE_RATE = Decimal("0.015")\n',
        "from decimal import Decimal\nunits = Decimal(15)\n",
        "from decimal import Decimal\nexact = Decimal.from_float(measured)\n",
        "from money import Decimal\nrate = Decimal(0.015)\n",
    ),
)


def _is_float_valued(node: ast.AST, aliases: dict[str, str] | None) -> bool:
    if isinstance(constant(node), float):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_float_valued(node.operand, aliases)
    if isinstance(node, ast.Call):
        return qualified(node.func, aliases) == "float"
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Div) or _is_float_valued(node.left, aliases) \
            or _is_float_valued(node.right, aliases)
    return False


@DECIMAL_FROM_FLOAT.checks("Call")
def pysecbook_decimal_from_float(context):  # type: ignore[no-untyped-def]
    """``Decimal(0.1)``: the Decimal holds the float's binary error, 55 digits of it."""
    # A bare "Decimal" is one whose import Bandit cannot see (a function scanned alone).
    if context.call_function_name_qual not in ("decimal.Decimal", "Decimal") \
            or not context.node.args:
        return None
    if not _is_float_valued(context.node.args[0], context.import_aliases):
        return None
    return DECIMAL_FROM_FLOAT.issue(
        "Decimal() of a float keeps the float's binary rounding error, so the exact value "
        "you wrote is not the one you get.")
