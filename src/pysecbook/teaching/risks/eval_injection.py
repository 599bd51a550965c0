"""``eval`` of user input runs the user's code; ``ast.literal_eval`` only reads literals.

A settings form lets a user type a value such as ``[1, 2, 3]`` or ``{"theme": "dark"}``; the
insecure version turns the text into a Python object with ``eval``, which evaluates any
expression, including ``__import__('os')``. The secure version uses ``ast.literal_eval``, which
accepts only literals (strings, bytes, numbers, tuples, lists, dicts, sets, booleans, None).
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import ast

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks._child import Timed, timed_call
from pysecbook.teaching.sandbox import call_with_marker


def parse_setting_insecure(text: str) -> object:
    """Turn the text a user typed into a Python value, with ``eval``."""
    return eval(text)  # nosec B307 - deliberately insecure: demonstration of PSB-EVAL-INPUT


#: Longest setting accepted: ``ast.literal_eval`` itself can exhaust memory or recursion
#: depth on a long enough input.
MAX_SETTING_LENGTH = 1_000


def parse_setting_secure(text: str) -> object:
    """Turn the text a user typed into a Python value; short literals only."""
    if len(text) > MAX_SETTING_LENGTH:
        raise ValueError(f"setting longer than {MAX_SETTING_LENGTH} characters")
    return ast.literal_eval(text)


def literal_eval_in_child(text: str) -> Timed:
    """Plain ``ast.literal_eval(text)``, without the length check, in a child interpreter."""
    return timed_call(ast.literal_eval, text, timeout=10.0)


def payload(marker: str) -> str:
    """An expression that, evaluated, writes a file at ``marker``."""
    return f"__import__('pathlib').Path({marker!r}).write_text('owned')"


def attack(func: object) -> Outcome:
    """Submit an expression as a 'setting' (in a child interpreter): does it write a file?"""
    written, result = call_with_marker(func, payload)
    if written:
        return Outcome(True, f"the 'setting' ran as code: marker file written ({result})")
    return Outcome(False, f"no file written: {result}")


RISK = register(
    Risk(
        id="PSB-EVAL-INPUT",
        title="eval() of user input",
        summary="eval() runs any expression, __import__ included; ast.literal_eval() reads "
        "only literals.",
        cwe=95,
        bandit=("B307",),
        modules=("builtins", "ast"),
        page="practices/code-injection",
        insecure=parse_setting_insecure,
        secure=parse_setting_secure,
        attack=attack,
    )
)
