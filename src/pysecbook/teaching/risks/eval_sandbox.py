"""An ``eval`` "sandbox" with empty builtins is no sandbox.

Python has no privilege separation inside the interpreter. Removing ``__builtins__`` from the
globals given to ``eval`` looks like a sandbox, but every object still leads, through
``__class__``, ``__base__`` and ``__subclasses__()``, to classes whose functions carry the
globals of the modules that define them, and from there to ``os.environ``, ``open`` or
``os.system``. The secure twin never runs the expression: it parses it and evaluates an
allowlist of arithmetic nodes itself.
Book page: ``book/security-model/no-sandbox``.
"""

from __future__ import annotations

import ast
import math
import operator
import secrets
from collections.abc import Callable

from pysecbook.lab.child import CallResult, Timed, call_in_child, timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Name of the environment variable the attack's child interpreter holds a canary secret in.
CANARY_VAR = "PSB_CANARY_API_KEY"

#: The escape: from an empty tuple to ``os._wrap_close``, whose ``__init__`` carries the
#: globals of the ``os`` module, and so ``os.environ``. No builtin is used.
ESCAPE = (
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
    f".__init__.__globals__['environ']['{CANARY_VAR}']"
)

#: What the feature is meant for: a user's arithmetic.
HARMLESS = "2 * (3 + 4) - 10 / 4"


def evaluate_insecure(expression: str) -> object:
    """Evaluate a user's arithmetic with ``eval``, "sandboxed" by empty builtins."""
    return eval(expression, {"__builtins__": {}}, {})  # nosec B307 - deliberately insecure: demonstration of PSB-EVAL-SANDBOX


_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
MAX_EXPRESSION_LENGTH = 200
#: The first try's only bound on work: no exponent above this. It does not bound the result.
MAX_EXPONENT = 100
#: The widest integer the secure evaluator builds, as a result or on the way to one.
MAX_BITS = 4096


def evaluate_first_try(expression: str) -> object:
    """Evaluate a user's arithmetic by walking an allowlist of AST nodes, with the exponent
    bounded.

    The first fix, kept to show the adapted attacks beating it: nothing is run, but the bound
    is on the exponent, not on the number being raised to it, so ``(9**99)**99`` raises a
    197-digit number to the 99th power and every further ``**99`` multiplies the size of the
    result by about a hundred. Floats that overflow and complex roots come back as results.
    """
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ValueError("expression too long")
    tree = ast.parse(expression, mode="eval")

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        raise ValueError(f"not allowed in an expression: {type(node).__name__}")

    return walk(tree)


def _bits_bound(op: ast.operator, left: int, right: int) -> int:
    """An upper bound on the bits of ``left OP right`` for two ints, worked out without
    computing it (a negative exponent gives a float, which is not counted here)."""
    a, b = left.bit_length(), right.bit_length()
    if isinstance(op, (ast.Add, ast.Sub)):
        return max(a, b) + 1
    if isinstance(op, ast.Mult):
        return a + b
    if isinstance(op, ast.Pow):
        if right < 0 or abs(left) <= 1:
            return 1
        # left**right has floor(right * log2|left|) + 1 bits; the rounding of log2 is far
        # below the margin of one bit that ceil() and the + 1 leave.
        return math.ceil(right * math.log2(abs(left))) + 1
    return max(a, b)  # //, % and / are no wider than their operands


def _checked(value: object) -> int | float:
    """``value`` if it is an int of at most :data:`MAX_BITS` bits or a finite float."""
    if type(value) is int:
        if value.bit_length() > MAX_BITS:
            raise ValueError(f"number wider than {MAX_BITS} bits")
        return value
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return value
    raise ValueError(f"not a real number: {type(value).__name__}")


def evaluate_secure(expression: str) -> int | float:
    """Evaluate a user's arithmetic by walking an allowlist of AST nodes; nothing is run.

    Accepted: int and float literals, ``+ - * / // % **`` and unary ``+ -``, in at most
    :data:`MAX_EXPRESSION_LENGTH` characters. Every operation on two ints is sized before it
    is computed (the bits of a sum, a product, a quotient or a power follow from the bits of
    the operands), and refused if the result could be wider than :data:`MAX_BITS` bits; every
    result, on the way and at the end, must be an int of at most that width or a finite float.
    Anything else (a name, an attribute, a call, a string, ``True``, ``1j``, a float that
    overflows, a complex root, a division by zero, input the parser rejects) raises
    ``ValueError``. So an accepted expression makes fewer than 100 operations on numbers of at
    most 512 bytes: its cost is bounded by the two limits, and measured under a millisecond.

    Assumes: the caller passes a ``str``, and treats the result as a number within
    ``MAX_BITS`` bits or a finite float, with its own checks for the range its feature needs.
    Does not stop: a client sending many expressions (rate limiting is the caller's job); a
    float result that has lost precision (``0.1 + 0.2``); the walk's recursion, one frame per
    level of the expression (at most about 200), running out of stack when the caller is
    already deep in recursion (that raises ``ValueError`` too, for an honest expression).
    """
    if type(expression) is not str:  # a subclass could answer len() with anything
        raise ValueError(f"expression must be text, not {type(expression).__name__}")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ValueError("expression too long")
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, MemoryError, RecursionError, ValueError) as exc:
        raise ValueError(f"not an expression: {type(exc).__name__}") from None

    def walk(node: ast.AST) -> int | float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return _checked(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if type(left) is int and type(right) is int and (
                    _bits_bound(node.op, left, right) > MAX_BITS):
                raise ValueError(f"exponent or operands too large: the result could be wider "
                                 f"than {MAX_BITS} bits")
            return _checked(_BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _checked(_UNARY[type(node.op)](walk(node.operand)))
        raise ValueError(f"not allowed in an expression: {type(node).__name__}")

    try:
        return walk(tree.body)
    except (ArithmeticError, RecursionError) as exc:  # 1/0, 2.0**5000, a too deep tree
        raise ValueError(f"cannot compute: {type(exc).__name__}: {exc}") from None


def run_evaluator(func: object, expression: str, canary: str) -> CallResult:
    """Call ``func(expression)`` in a child interpreter whose environment holds ``canary``."""
    return call_in_child(func, expression, env={CANARY_VAR: canary})


def attack(func: object) -> Outcome:
    """Submit the escape as "arithmetic" and see whether the child's secret comes back."""
    canary = "psb-canary-" + secrets.token_hex(8)
    result = run_evaluator(func, ESCAPE, canary)
    leaked = result.returned is not None and canary in result.returned
    return Outcome(attack_succeeded=leaked, observed=f"escape expression: {result}")


#: Powers whose every exponent is within the first try's bound. The first builds a number of
#: about 3 million bits in a fraction of a second; the second would need hundreds of millions
#: of bits and runs for as long as it is let; ``% 7`` makes the answer a single digit.
TOWERS = ("((9**99)**99)**99", "(((9**99)**99)**99)**99 % 7")
#: How long a calculator request may take, in the demonstration's service.
STALL_LIMIT = 1.0


def timed(func: Callable[..., object], expression: str, timeout: float = 10.0) -> Timed:
    """``func(expression)`` in a child interpreter, timed there, killed after ``timeout``."""
    return timed_call(func, expression, timeout=timeout)


def attack_power_tower(impl: Callable[..., object]) -> Outcome:
    """Raise a big number to an allowed exponent, again and again: each ``**99`` is within an
    exponent bound, but the number being raised grows a hundredfold each time. Each
    expression runs in a child that is killed after ten seconds; a number of millions of bits,
    or a stall past :data:`STALL_LIMIT`, is the attacker's win."""
    parts = []
    for expression in TOWERS:
        result = timed(impl, expression)
        parts.append(f"{expression}: {result}")
        slow = result.timed_out or (result.seconds or 0.0) > STALL_LIMIT
        built = result.returned is not None and result.returned.startswith("'<int of")
        if slow or built:
            return Outcome(True, parts[-1])
    return Outcome(False, "; ".join(parts))


#: Arithmetic that, evaluated as Python evaluates it, is not a real number.
SPECIAL = ("(-8) ** 0.5", "1e308 * 10", "1e308 * 10 - 1e308 * 10", "1e999")


def attack_special_values(impl: Callable[..., object]) -> Outcome:
    """Ask for a complex root, an overflow to ``inf`` and a ``nan``: values a caller checking
    ``if result > limit: refuse`` does not refuse (``nan > limit`` is false, a complex number
    raises ``TypeError``), and that ``json`` writes as tokens JSON does not have."""
    got, special = [], []
    for expression in SPECIAL:
        try:
            value = impl(expression)
        except ValueError as exc:
            got.append(f"{expression} refused ({exc})")
            continue
        got.append(f"{expression} returned {value!r}")
        if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
            special.append(repr(value))
    if special:
        return Outcome(True, f"no real number came back for {len(special)} of {len(SPECIAL)}: "
                             + "; ".join(got))
    return Outcome(False, "; ".join(got))


def _escape_via(prefix: str) -> str:
    """The escape of :data:`ESCAPE`, starting from another object than ``()``."""
    return ESCAPE.replace("().__class__.__base__", prefix, 1)


#: The same walk to ``os.environ`` in other clothes: a lambda, an assignment expression, an
#: f-string, and other starting points (bytes, a complex literal, ``True``, whose class's base
#: is ``int``).
OTHER_ESCAPES = (
    f"(lambda: {ESCAPE})()",
    f"(k := {ESCAPE})",
    f'f"{{{ESCAPE}}}"',
    _escape_via("b''.__class__.__base__"),
    _escape_via("(1j).__class__.__base__"),
    _escape_via("True.__class__.__base__.__base__"),
)


def evaluate_each(name: str, expressions: list[str]) -> list[str]:
    """Call this module's evaluator called ``name`` on each expression (in a child); what
    each returned or raised."""
    func = globals()[name]
    out = []
    for expression in expressions:
        try:
            out.append(repr(func(expression)))
        except Exception as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def attack_other_escapes(impl: Callable[..., object]) -> Outcome:
    """The same walk to the child's ``os.environ``, in a lambda, an assignment expression, an
    f-string, and from bytes, a complex literal and ``True`` instead of ``()``."""
    canary = "psb-canary-" + secrets.token_hex(8)
    result = call_in_child(evaluate_each, impl.__name__, list(OTHER_ESCAPES),
                           env={CANARY_VAR: canary})
    if result.returned is None:
        return Outcome(False, f"the evaluator's child: {result}")
    answers = ast.literal_eval(result.returned)
    leaked = [e for e, a in zip(OTHER_ESCAPES, answers) if canary in a]
    if leaked:
        return Outcome(True, f"{len(leaked)} of {len(OTHER_ESCAPES)} escapes returned the "
                             f"child's secret, the first: {leaked[0][:60]}...")
    kinds = sorted({a.split(":", 1)[0] for a in answers})
    return Outcome(False, f"none of {len(OTHER_ESCAPES)} escapes got the secret; "
                          f"answers: {', '.join(kinds)}")


RISK = register(
    Risk(
        id="PSB-EVAL-SANDBOX",
        title="An eval sandbox with empty builtins is escaped",
        summary=(
            "eval with empty __builtins__ still reaches os.environ, open and os.system "
            "through object.__subclasses__(); parse and allowlist instead."
        ),
        cwe=95,
        bandit=("B307",),
        modules=("builtins", "ast"),
        page="security-model/no-sandbox",
        insecure=evaluate_insecure,
        secure=evaluate_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("towers of powers, each exponent within the bound, one under % 7",
                          "exhaustion", attack_power_tower, beats=evaluate_first_try),
            AdaptedAttack("a complex root, a float overflowing to inf, a nan", "type-confusion",
                          attack_special_values, beats=evaluate_first_try),
            AdaptedAttack("the escape in a lambda, a walrus, an f-string, from bytes, 1j or True",
                          "variant", attack_other_escapes),
        ),
    )
)
