"""A regular expression with nested quantifiers takes exponential time on a near miss.

``([a-zA-Z0-9_.+-]+)+@...`` can split a run of letters between the inner and the outer ``+``
in exponentially many ways; when the match finally fails (no ``@``), the engine tries them
all. Each extra character doubles the time. The secure validator uses a pattern with one
way to match and refuses over-long input before matching.

Removing ``(x+)+`` from the text of the pattern is not the same as removing the ambiguity. A
first fix that writes the local part as words with an optional separator,
``[a-z0-9]+(?:[._+-]?[a-z0-9]+)*``, still splits a run of letters in exponentially many ways,
and its length check (254 characters) is far above the 25 or so that cost a second. The same
first fix is case-insensitive, and under ``re.IGNORECASE`` the class ``[a-z]`` also matches
the Kelvin sign, the long s and the dotless i, which case mapping turns into ``k``, ``s`` and
``I``: an address that is another user's once the account system folds it.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re
import unicodedata

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


#: A first fix: no group repeats a ``+`` directly, but the separator between words is
#: optional, so ``aaaa`` still splits in many ways; and it ignores case.
EMAIL_FIRST_TRY = re.compile(r"[a-z0-9]+(?:[._+-]?[a-z0-9]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+",
                             re.IGNORECASE)


def is_valid_email_first_try(address: str) -> bool:
    """A first fix: a length limit, and a pattern without ``(x+)+`` that ignores case.

    Kept to show the adapted attacks beating it: the optional separator makes the repeat as
    ambiguous as before, and ``re.IGNORECASE`` lets non-ASCII letters into ``[a-z]``.
    """
    if len(address) > MAX_ADDRESS_LENGTH:
        return False
    return EMAIL_FIRST_TRY.fullmatch(address) is not None


def is_valid_email_secure(address: str) -> bool:
    """Accept an e-mail address: length limit first, then a pattern with one way to match.

    Assumes: addresses are ASCII (an internationalised address needs its own rules, IDNA for
    the domain); the caller compares and stores the address as it was accepted, or folds only
    ASCII case.
    Does not stop: addresses that are well formed but do not exist or are not the user's
    (only a confirmation mail proves that); ASCII look-alikes (``rn`` and ``m``).
    """
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


#: Near misses of other shapes, as (repeated part, tail): letters that fail after the ``@``,
#: letters ending in ``@``, a domain cut short, dotted words, many domain labels.
SHAPES = (("a", "@a"), ("a", "@"), ("a", "@a.a!"), ("a.", "!"), ("a@a", "."), ("a-", "@a.a"))


def measure_shapes(func_ref: str, stop: int = MAX_ADDRESS_LENGTH,
                   budget: float = BUDGET_SECONDS) -> list[tuple[str, int, float]]:
    """Time ``func`` on every shape in :data:`SHAPES` at every length up to ``stop``; stop
    after the first input that costs more than ``budget``. Returns (input's start, length,
    seconds) for the slowest input tried. Seconds are CPU time, so that a busy machine does
    not pass for a slow pattern. Runs in the caller's process: call it in a child.
    """
    import importlib
    import time

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    worst = ("", 0, 0.0)
    for part, tail in SHAPES:
        count = 1
        while len(text := part * count + tail) <= stop:
            t0 = time.process_time()
            func(text)
            seconds = time.process_time() - t0
            if seconds > worst[2]:
                worst = (text[:12], len(text), seconds)
            if seconds > budget:
                return [worst]
            count += 1
    return [worst]


def attack_other_shapes(func: object) -> Outcome:
    """Near misses of six other shapes (:data:`SHAPES`), at every length up to the 254
    characters the validators accept: does one input cost a quarter of a second?"""
    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    timed = timed_call(measure_shapes, ref, timeout=15.0)
    if not isinstance(timed.value, list) or not timed.value:
        return Outcome(timed.timed_out, f"the measurement did not complete: {timed}")
    start, length, seconds = timed.value[0]
    if seconds > BUDGET_SECONDS:
        return Outcome(True, f"{start!r}... ({length} characters, within the length limit) "
                             f"took {seconds:.2f} s")
    return Outcome(False, f"every shape at every length up to {MAX_ADDRESS_LENGTH}: the slowest "
                          f"input, {start!r}... ({length} characters), took "
                          f"{seconds * 1e6:.0f} microseconds")


#: Lengths far past any bound, for :func:`attack_long_inputs`.
LONG_LENGTHS = (10_000, 1_000_000)


def time_long_inputs(func_ref: str) -> float:
    """The longest CPU time ``func`` takes on any shape at each of :data:`LONG_LENGTHS`. Runs
    in the caller's process: call it in a child interpreter."""
    import importlib
    import time

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    slowest = 0.0
    for length in LONG_LENGTHS:
        for part, tail in SHAPES:
            text = part * ((length - len(tail)) // len(part)) + tail
            t0 = time.process_time()
            func(text)
            slowest = max(slowest, time.process_time() - t0)
    return slowest


def attack_long_inputs(func: object) -> Outcome:
    """Send every shape at 10,000 and 1,000,000 characters, far past the 254 an address may
    have: does one input cost a quarter of a second (or never finish)?"""
    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    timed = timed_call(time_long_inputs, ref, timeout=5.0)
    if timed.timed_out:
        return Outcome(True, "a 10,000-character near miss was still running when the 5 s "
                             "time limit stopped it")
    if isinstance(timed.value, float):
        return Outcome(timed.value > BUDGET_SECONDS,
                       f"the slowest of {len(SHAPES) * len(LONG_LENGTHS)} inputs of up to "
                       f"1,000,000 characters took {timed.value * 1e6:.0f} microseconds")
    return Outcome(False, f"the measurement did not complete: {timed}")


#: Victims' addresses, and spellings of them with a letter that ``[a-z]`` matches under
#: ``re.IGNORECASE``: the Kelvin sign, the long s, the dotless i.
VICTIMS = {"\u212aate@example.com": "kate@example.com",
           "ali\u017fon@example.com": "alison@example.com",
           "\u0131an@example.com": "ian@example.com"}


def attack_case_folding(func: object) -> Outcome:
    """Offer addresses with a Kelvin sign, a long s or a dotless i, which case mapping folds
    onto another user's address (``NFKC``+``casefold`` gives ``kate``, ``upper()`` gives
    ``IAN``): does the validator accept one?"""
    accepted = []
    for address, victim in VICTIMS.items():
        if not func(address):  # type: ignore[operator]
            continue
        folded = unicodedata.normalize("NFKC", address).casefold()
        if folded == victim or address.upper() == victim.upper():
            accepted.append(f"{address!r} (folds to {victim!r})")
    return Outcome(
        attack_succeeded=bool(accepted),
        observed=(f"accepted: {', '.join(accepted)}" if accepted else
                  f"all {len(VICTIMS)} refused"),
    )


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
        adapted=(
            AdaptedAttack("near misses of six other shapes, at every length the validator "
                          "accepts", "exhaustion", attack_other_shapes,
                          beats=is_valid_email_first_try),
            AdaptedAttack("near misses of 10,000 and 1,000,000 characters", "exhaustion",
                          attack_long_inputs),
            AdaptedAttack("a Kelvin sign, a long s or a dotless i, which fold onto another "
                          "user's address", "encoding", attack_case_folding,
                          beats=is_valid_email_first_try),
        ),
    )
)
