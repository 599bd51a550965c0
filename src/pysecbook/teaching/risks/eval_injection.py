"""``eval`` of user input runs the user's code; ``ast.literal_eval`` only reads literals.

A settings form lets a user type a value such as ``[1, 2, 3]`` or ``{"theme": "dark"}``; the
insecure version turns the text into a Python object with ``eval``, which evaluates any
expression, including ``__import__('os')``. The secure version uses ``ast.literal_eval``, which
accepts only literals (strings, bytes, numbers, tuples, lists, dicts, sets, booleans, None).
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from pysecbook.lab.child import Timed, timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.sandbox import call_with_marker


def parse_setting_insecure(text: str) -> object:
    """Turn the text a user typed into a Python value, with ``eval``."""
    return eval(text)  # nosec B307 - deliberately insecure: demonstration of PSB-EVAL-INPUT


#: Words the first fix refuses before it calls ``eval``.
FORBIDDEN_WORDS = ("__", "import", "open", "exec", "eval", "system", "subprocess", "builtins")


def parse_setting_first_try(text: str) -> object:
    """Turn the text a user typed into a Python value, with ``eval`` behind a word filter.

    The first fix, kept to show the adapted attacks beating it: it refuses text containing a
    dunder or a dangerous name and evaluates the rest without builtins. The filter reads the
    characters the user typed; the parser reads identifiers after NFKC normalisation, so an
    identifier typed with full-width letters and low lines (U+FF41..., U+FF3F) is
    ``__class__`` to Python and nothing to the filter, and a string can be spelt with escapes
    the filter never sees decoded.
    """
    lowered = text.lower()
    if any(word in lowered for word in FORBIDDEN_WORDS):
        raise ValueError("forbidden word in setting")
    return eval(text, {"__builtins__": {}}, {})  # nosec B307 - deliberately insecure: demonstration of PSB-EVAL-INPUT


#: Longest setting accepted: ``ast.literal_eval`` itself can exhaust memory or recursion
#: depth on a long enough input.
MAX_SETTING_LENGTH = 1_000


def parse_setting_secure(text: str) -> object:
    """Turn the text a user typed into a Python value; short literals only.

    ``ast.literal_eval`` parses the text and builds only what a literal describes: strings,
    bytes, numbers, tuples, lists, dicts, sets, booleans and ``None`` (and ``+``/``-`` between
    a real and an imaginary number). No name is looked up and nothing is called, so no
    spelling of a name, dunder or look-alike reaches anything. The length limit bounds the
    parser's work and the size of what is built.

    Assumes: the caller passes a ``str`` and checks that the value has the type and range the
    setting needs (``literal_eval`` returns whatever literal was typed).
    Does not stop: a literal of an unexpected type or size reaching the caller: ``1e999`` is
    ``inf``, ``0x`` followed by 998 digits is a 3,992-bit int, ``True`` passes for ``1``, a set
    or a dict where a list was meant; nesting too deep for the parser, which raises
    ``SyntaxError``, ``MemoryError`` or ``RecursionError`` depending on the Python version
    (CPython 3.11 accepts 200 nested brackets and refuses 201).
    """
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


def _escaped(text: str) -> str:
    """``text`` as a Python string literal of ``\\u`` escapes only: no word a filter knows."""
    return "'" + "".join(f"\\u{ord(c):04x}" for c in text) + "'"


def _wide(name: str) -> str:
    """``name`` in full-width letters (U+FF41 and on), which NFKC folds back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in name)


def _dunder(name: str) -> str:
    """``__name__`` as Python reads it and no word filter does: a full-width low line (U+FF3F)
    may not start an identifier (the parser checks the first character as typed), so each
    pair is ``_`` and U+FF3F, and the letters are full-width."""
    return f"_\uff3f{_wide(name)}_\uff3f"


def lookalike_payload(marker: str) -> str:
    """The walk from ``()`` to the real ``open``, with every dunder in full-width look-alikes
    and every string in ``\\u`` escapes: a word filter finds nothing, the parser finds the
    walk."""
    walk = (f"[c for c in ().{_dunder('class')}.{_dunder('base')}.{_dunder('subclasses')}() "
            f"if c.{_dunder('name')} == {_escaped('catch_warnings')}][0]()._module")
    return (f"{walk}.{_dunder('builtins')}[{_escaped('open')}]({_escaped(marker)}, 'w')"
            ".write('owned')")


def attack_lookalike_dunders(impl: Callable[..., object]) -> Outcome:
    """Spell every dunder with full-width look-alikes (NFKC folds them to ASCII, and Python's
    parser folds identifiers by NFKC) and every string with ``\\u`` escapes, past a filter
    of dangerous words."""
    written, result = call_with_marker(impl, lookalike_payload)
    return Outcome(written, f"{'marker file written' if written else 'no file written'}: "
                            f"{str(result)[:160]}")


def builtin_payloads(marker: str) -> dict[str, str]:
    """Reaching ``open`` without ``__import__``: through ``exec``, through ``getattr`` on the
    builtins, and through the subclasses walk that needs no builtin at all."""
    write = f"open({marker!r}, 'w').write('owned')"
    return {
        "exec": f"exec({write!r})",
        "getattr": f"getattr(__builtins__, 'open')({marker!r}, 'w').write('owned')",
        "subclasses walk": (
            "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "
            f"'catch_warnings'][0]()._module.__builtins__['open']({marker!r}, 'w')"
            ".write('owned')"),
    }


def attack_other_builtins(impl: Callable[..., object]) -> Outcome:
    """Write the marker file through ``exec``, through ``getattr`` on the builtins, and
    through ``object.__subclasses__()``, for a parser that looks for ``__import__``."""
    parts = []
    for label in builtin_payloads("x"):
        written, result = call_with_marker(impl, lambda m, label=label: builtin_payloads(m)[label])
        if written:
            return Outcome(True, f"{label}: the setting ran as code and wrote the marker file")
        parts.append(f"{label}: {str(result)[:80]}")
    return Outcome(False, "no file written; " + "; ".join(parts))


#: How long parsing one setting may take, in the demonstration's service.
STALL_LIMIT = 1.0
#: A power tower, then the biggest literals that fit in the length limit: a 999-digit
#: number, a 3,992-bit hexadecimal one, 199 nested lists, 998 signs.
HEAVY_SETTINGS = ("9**9**9", "9" * 999, "0x" + "f" * 998, "[" * 199 + "]" * 199,
                  "-" * 998 + "1")


def attack_heavy_setting(impl: Callable[..., object]) -> Outcome:
    """Send ``9**9**9`` as a setting, then the largest literals the length limit lets
    through; each is parsed in a child killed after a few seconds, and a stall past
    :data:`STALL_LIMIT` is the attacker's win."""
    parts = []
    for text in HEAVY_SETTINGS:
        result = timed_call(impl, text, timeout=STALL_LIMIT + 4.0)
        stalled = result.timed_out or (result.seconds or 0.0) > STALL_LIMIT
        parts.append(f"{text[:10]}... ({len(text)} characters): {result}")
        if stalled:
            return Outcome(True, parts[-1])
    return Outcome(False, "; ".join(parts))


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
        adapted=(
            AdaptedAttack("open reached through exec, getattr or object.__subclasses__(), "
                          "no __import__", "variant", attack_other_builtins),
            AdaptedAttack("dunders in full-width low lines, strings in \\u escapes, past a "
                          "word filter", "encoding", attack_lookalike_dunders,
                          beats=parse_setting_first_try),
            AdaptedAttack("9**9**9 and the largest literals that fit the length limit",
                          "exhaustion", attack_heavy_setting),
        ),
    )
)
