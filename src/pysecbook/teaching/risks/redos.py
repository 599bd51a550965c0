"""A regular expression with nested quantifiers takes exponential time on a near miss.

``([a-zA-Z0-9_.+-]+)+@...`` can split a run of letters between the inner and the outer ``+``
in exponentially many ways; when the match finally fails (no ``@``), the engine tries them
all. Each extra character doubles the time. The secure validator uses a pattern with one
way to match and refuses over-long input before matching.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks._child import timed_call

#: Nested quantifiers: the ``+`` inside a group that is itself repeated with ``+``.
EMAIL_BACKTRACKING = re.compile(r"([a-zA-Z0-9_.+-]+)+@[a-zA-Z0-9-]+\.[a-zA-Z]+")

#: One way to match: no group repeats something that can itself match the same text.
EMAIL_LINEAR = re.compile(r"[A-Za-z0-9_.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")

#: RFC 5321 limit on the length of an address in a mail path.
MAX_ADDRESS_LENGTH = 254

#: Stop measuring once one input costs this many seconds.
BUDGET_SECONDS = 0.25

#: Longest near miss tried; the secure pattern is also tried on a much longer one.
MAX_LENGTH = 40


def is_valid_email_insecure(address: str) -> bool:
    """Accept an e-mail address; the pattern has nested quantifiers."""
    return EMAIL_BACKTRACKING.fullmatch(address) is not None


def is_valid_email_secure(address: str) -> bool:
    """Accept an e-mail address: length limit first, then a pattern with one way to match."""
    if len(address) > MAX_ADDRESS_LENGTH:
        return False
    return EMAIL_LINEAR.fullmatch(address) is not None


def near_miss(length: int) -> str:
    """An input of ``length`` characters that almost matches: letters, then no ``@``."""
    return "a" * (length - 1) + "!"


def measure_growth(func_ref: str, start: int = 12, stop: int = MAX_LENGTH,
                   budget: float = BUDGET_SECONDS) -> list[tuple[int, float]]:
    """Time ``func`` on near misses of growing length; stop after the first costly one.

    Runs in the caller's process: call it in a child interpreter (see :func:`growth_in_child`).
    """
    import importlib
    import time

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    rows = []
    for length in range(start, stop + 1):
        t0 = time.perf_counter()
        func(near_miss(length))
        seconds = time.perf_counter() - t0
        rows.append((length, seconds))
        if seconds > budget:
            break
    return rows


def growth_in_child(func: object, timeout: float = 15.0) -> list[tuple[int, float]]:
    """:func:`measure_growth` for ``func``, run in a child interpreter under ``timeout``."""
    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    timed = timed_call(measure_growth, ref, timeout=timeout)
    if not isinstance(timed.value, list):
        return []
    return [(int(n), float(s)) for n, s in timed.value]


def attack(func: object) -> Outcome:
    """Send near misses of growing length; does one input of at most 40 characters cost 1/4 s?"""
    rows = growth_in_child(func)
    if not rows:
        return Outcome(False, "the measurement did not complete")
    length, seconds = rows[-1]
    if seconds > BUDGET_SECONDS and len(rows) >= 2:
        ratio = seconds / max(rows[-2][1], 1e-9)
        forty = seconds * 2 ** (MAX_LENGTH - length)
        return Outcome(True, f"a {length}-character input took {seconds:.2f} s "
                             f"(x{ratio:.1f} for one more character); doubling at that rate, a "
                             f"{MAX_LENGTH}-character one would take about {forty / 3600:.0f} h "
                             "(extrapolated, not run)")
    return Outcome(False, f"every near miss up to {length} characters took at most "
                          f"{max(s for _, s in rows) * 1e6:.0f} microseconds")


RISK = register(
    Risk(
        id="PSB-REDOS-BACKTRACKING",
        title="A regular expression that backtracks catastrophically",
        summary="Nested quantifiers make a failing match exponential in the input length: "
        "a short input stalls a worker.",
        cwe=1333,
        bandit=(),
        no_static_rule="both functions call fullmatch() on a compiled pattern; whether a "
                       "pattern backtracks catastrophically needs an analysis of the regular "
                       "expression, not of the Python around it.",
        modules=("re",),
        page="practices/input-validation",
        insecure=is_valid_email_insecure,
        secure=is_valid_email_secure,
        attack=attack,
    )
)
