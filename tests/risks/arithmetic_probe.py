"""Watch every number the arithmetic evaluator of ``eval_sandbox`` builds, instead of timing it.

"Refused before it is computed" is a claim about work, not about seconds: inside
:func:`widest_int`, each operation the evaluator applies records the width of the int it
produced, so a test can assert that no number wider than ``MAX_BITS`` was ever built, on any
machine, however busy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from pysecbook.teaching.risks import eval_sandbox


class Widest:
    """The width in bits of the widest int an operation produced (0: none yet)."""

    bits = 0


@contextlib.contextmanager
def widest_int() -> Iterator[Widest]:
    """Record the widest int result of every operation the evaluator applies in the block."""
    widest = Widest()
    tables = (eval_sandbox._BINARY, eval_sandbox._UNARY)
    saved = [dict(table) for table in tables]

    def recorded(operation: Callable[..., object]) -> Callable[..., object]:
        def apply(*operands: object) -> object:
            value = operation(*operands)
            if type(value) is int:
                widest.bits = max(widest.bits, value.bit_length())
            return value

        return apply

    for table in tables:
        for key, operation in table.items():
            table[key] = recorded(operation)  # type: ignore[assignment]
    try:
        yield widest
    finally:
        for table, original in zip(tables, saved):
            table.clear()
            table.update(original)  # type: ignore[arg-type]
