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
import operator
import secrets
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import CallResult, call_in_child

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
MAX_EXPONENT = 100


def evaluate_secure(expression: str) -> object:
    """Evaluate a user's arithmetic by walking an allowlist of AST nodes; nothing is run."""
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


def run_evaluator(func: object, expression: str, canary: str) -> CallResult:
    """Call ``func(expression)`` in a child interpreter whose environment holds ``canary``."""
    return call_in_child(func, expression, env={CANARY_VAR: canary})


def attack(func: object) -> Outcome:
    """Submit the escape as "arithmetic" and see whether the child's secret comes back."""
    canary = "psb-canary-" + secrets.token_hex(8)
    result = run_evaluator(func, ESCAPE, canary)
    leaked = result.returned is not None and canary in result.returned
    return Outcome(attack_succeeded=leaked, observed=f"escape expression: {result}")


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
    )
)
