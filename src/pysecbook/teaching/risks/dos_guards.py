"""Denial-of-service guards CPython already has, and what happens without them.

Two guards: the limit on decimal digits in ``int``/``str`` conversions (4300 by default since
3.11 and the security releases of September 2022, CVE-2020-10735), because converting
between decimal text and ``int`` takes time quadratic in the number of digits; and hash
randomisation of ``str`` and ``bytes`` (``PYTHONHASHSEED``), so an attacker cannot compute
keys that collide in a ``dict`` or ``set``. Hash randomisation does not cover ``int``, whose
hash is ``n mod (2**61 - 1)`` in every process: keys chosen as multiples of that modulus all
collide, and building a set of them takes quadratic time.

Why the secure parser bounds the length itself instead of trusting the interpreter's limit:
the limit is one setting for the whole process, which any library or a ``-X
int_max_str_digits=0`` can switch off; it bounds one number, not a request of a thousand
numbers at 4,300 digits each; and it does not cover ``Decimal``, which reads ``1e100000``
(eight characters) and hands ``int()`` a 100,001-digit number to build, in quadratic time.
The same goes for the ids: a JSON number skips a check written for strings, and ids at the
interpreter's limit cost ``int()`` before any set is built.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from decimal import Decimal

from pysecbook.lab.child import Timed, private_tmpdir, run_python, timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Digits the attacker sends in one numeric field (about 293 KiB of text).
ATTACK_DIGITS = 300_000

#: Longest amount the secure parser accepts.
MAX_AMOUNT_DIGITS = 18

#: More CPU than this for one request field counts as a successful denial of service.
DOS_SECONDS = 0.1

#: The modulus of CPython's numeric hash on 64-bit builds: ``sys.hash_info.modulus``.
HASH_MODULUS = 2**61 - 1

#: Identifiers the attacker sends in one request.
ATTACK_IDS = 7_000

#: What an identifier may look like in the secure version.
ID_PATTERN = re.compile(r"[0-9]{1,12}")

#: Most identifiers accepted in one request by the secure version.
MAX_IDS = 10_000


def parse_amount_insecure(text: str) -> int:
    """Parse a decimal amount; someone disabled the digit limit to allow 'big numbers'."""
    sys.set_int_max_str_digits(0)  # nosec PSB602 - deliberately insecure: demonstration of PSB-DOS-INTDIGITS
    return int(text)


def parse_amount_first_try(text: str) -> int:
    """A first fix: leave the interpreter's 4300-digit limit in place, and rely on it.

    Kept to show the adapted attacks beating it: the limit can be switched off elsewhere in
    the process, and it bounds one number, not a request of many.
    """
    return int(text)


def parse_amount_exponent_first_try(text: str) -> int:
    """A first fix that also reads ``2.5e3``: the length bounded, the text read by Decimal.

    Kept to show the adapted attack beating it: eight characters of exponent notation are a
    100,001-digit number, and Decimal has no digit limit for ``int()`` to keep.
    """
    if len(text) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"amount must be at most {MAX_AMOUNT_DIGITS} characters")
    value = Decimal(text)
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError("amount must be a whole number")
    return int(value)


def parse_amount_secure(text: str) -> int:
    """Parse a decimal amount: refuse long input first, and keep the interpreter's limit.

    Assumes: the request body is bounded before it is parsed (the web server refuses a body
    of many megabytes); amounts are whole numbers of the smallest unit in ASCII digits.
    Does not stop: a business that needs amounts over 18 digits (raise
    ``MAX_AMOUNT_DIGITS`` for that field, not the interpreter's limit); other parsers in
    the process, which keep their own limits, or none: ``int(Decimal(...))`` has none.
    """
    if len(text) > MAX_AMOUNT_DIGITS or not text.isascii() or not text.isdigit():
        raise ValueError(f"amount must be 1 to {MAX_AMOUNT_DIGITS} digits")
    return int(text)


def attack_int_digits(func: object) -> Outcome:
    """Send a 300,000-digit amount: how long does the parser spend on this one field?"""
    timed = timed_call(func, "9" * ATTACK_DIGITS)  # type: ignore[arg-type]
    if timed.seconds is not None and timed.returned is not None and timed.seconds > DOS_SECONDS:
        return Outcome(True, f"a {ATTACK_DIGITS:,}-digit amount was parsed: "
                             f"{timed.seconds:.2f} s of CPU for one field of one request")
    return Outcome(False, f"{ATTACK_DIGITS:,}-digit amount: {timed}")


def plain_int_parse(digits: int) -> int:
    """``int()`` of a ``digits``-long decimal string; returns how many bits the result has."""
    return int("9" * digits).bit_length()


def int_parse_in_child(digits: int, flags: tuple[str, ...] = ()) -> Timed:
    """:func:`plain_int_parse` in a child started with ``flags`` (say ``-X int_max_str_digits=0``)."""
    return timed_call(plain_int_parse, digits, flags=flags, timeout=10.0)


def count_unique_ids_insecure(ids: list[str]) -> int:
    """Count distinct account ids sent by a client, as a set of ints."""
    return len({int(i) for i in ids})


def count_unique_ids_secure(ids: list[str]) -> int:
    """Count distinct account ids: bounded count, and each id must be a string that looks
    like an id.

    Assumes: the request body is bounded before it is parsed into ``ids``; ids are decimal
    strings of at most 12 digits, each smaller than the hash modulus and so its own hash.
    Does not stop: collisions in other hashes that are not randomised (``int``, ``float``,
    ``Decimal``, ``Fraction``, tuples of them) built elsewhere from client data; the work of
    parsing the request body itself.
    """
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per request")
    for i in ids:
        if not isinstance(i, str) or not ID_PATTERN.fullmatch(i):
            raise ValueError(f"not an account id: {str(i)[:30]!r}")
    return len({int(i) for i in ids})


def colliding_ids(count: int = ATTACK_IDS) -> list[str]:
    """Decimal ids whose ``int`` values all hash to 0: multiples of the hash modulus."""
    return [str(k * HASH_MODULUS) for k in range(1, count + 1)]


def attack_int_hash(func: object) -> Outcome:
    """Send 7,000 ids that all hash to 0 (about 150 KiB): how long does counting them take?"""
    ids = colliding_ids()
    timed = timed_call(func, ids)  # type: ignore[arg-type]
    if timed.seconds is not None and timed.returned is not None and timed.seconds > DOS_SECONDS:
        return Outcome(True, f"{len(ids):,} colliding ids took {timed.seconds:.2f} s to count "
                             f"(every insertion compares with all earlier keys)")
    return Outcome(False, f"{len(ids):,} colliding ids: {timed}")


def hash_in_child(text: str, env: Mapping[str, str] | None = None) -> int:
    """``hash(text)`` computed by a fresh interpreter, with ``env`` (say ``PYTHONHASHSEED=0``)."""
    with private_tmpdir() as tmp:
        done = run_python("import sys; print(hash(sys.argv[1]))", cwd=tmp, args=[text],
                          env=env, timeout=10.0)
    return int(done.stdout.strip())


def parse_many(func_ref: str, digits: int, count: int) -> int:
    """Parse ``count`` amounts of ``digits`` nines with the function at ``func_ref``
    (``module:name``); return how many were parsed. Runs in the caller's process: call it in
    a child interpreter (:func:`timed_call`)."""
    import importlib

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    text = "9" * digits
    parsed = 0
    for _ in range(count):
        try:
            func(text)
        except ValueError:
            continue
        parsed += 1
    return parsed


def _ref(func: object) -> str:
    return f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]


def _cpu_outcome(timed: Timed, what: str) -> Outcome:
    """Did the child parse ``what`` (returned, not refused) and spend over DOS_SECONDS on it?"""
    slow = timed.timed_out or (timed.seconds is not None and timed.seconds > DOS_SECONDS
                               and timed.returned is not None and timed.returned != "0")
    if slow:
        spent = "more than the time limit" if timed.timed_out else f"{timed.seconds:.2f} s"
        return Outcome(True, f"{what}: parsed, {spent} of CPU for one request "
                             f"(the stated limit is {DOS_SECONDS} s)")
    return Outcome(False, f"{what}: {timed}")


def attack_guard_switched_off(func: object) -> Outcome:
    """Send the 300,000-digit amount to a process where something else switched the
    interpreter's limit off (``-X int_max_str_digits=0``, a library calling
    ``sys.set_int_max_str_digits(0)``)."""
    timed = timed_call(func, "9" * ATTACK_DIGITS,  # type: ignore[arg-type]
                       flags=("-X", "int_max_str_digits=0"))
    return _cpu_outcome(timed, f"{ATTACK_DIGITS:,} digits, limit off elsewhere")


#: Amounts in one request, each at the interpreter's limit.
AT_LIMIT_DIGITS = 4_300
AT_LIMIT_COUNT = 3_000


def attack_many_at_limit(func: object) -> Outcome:
    """Send 3,000 amounts of 4,300 digits each (12.9 MB), every one within the interpreter's
    limit: how long does one request take?"""
    timed = timed_call(parse_many, _ref(func), AT_LIMIT_DIGITS, AT_LIMIT_COUNT)
    return _cpu_outcome(timed, f"{AT_LIMIT_COUNT:,} amounts of {AT_LIMIT_DIGITS:,} digits")


def attack_exponent_notation(func: object) -> Outcome:
    """Send ``1e100000``: eight characters, and a 100,001-digit number to whatever reads
    exponent notation."""
    return _cpu_outcome(timed_call(func, "1e100000"),  # type: ignore[arg-type]
                        "'1e100000' (8 characters)")


INT_DIGITS = register(
    Risk(
        id="PSB-DOS-INTDIGITS",
        title="Unbounded int/str conversion of attacker-sized numbers",
        summary="Decimal text to int is quadratic in the number of digits; disabling the "
        "4300-digit limit lets one field burn a worker's CPU.",
        cwe=400,
        bandit=(),
        detections=("PSB602",),
        modules=("sys", "builtins"),
        page="practices/input-validation",
        insecure=parse_amount_insecure,
        secure=parse_amount_secure,
        attack=attack_int_digits,
        adapted=(
            AdaptedAttack("the interpreter's limit switched off elsewhere in the process",
                          "variant", attack_guard_switched_off, beats=parse_amount_first_try),
            AdaptedAttack("3,000 amounts in one request, each at the 4,300-digit limit",
                          "exhaustion", attack_many_at_limit, beats=parse_amount_first_try),
            AdaptedAttack("'1e100000', eight characters of exponent notation", "encoding",
                          attack_exponent_notation, beats=parse_amount_exponent_first_try),
        ),
    )
)

def attack_ids_as_numbers(func: object) -> Outcome:
    """Send the 7,000 colliding ids as JSON numbers instead of strings, past a check written
    for strings."""
    ids = [int(i) for i in colliding_ids()]
    timed = timed_call(func, ids)  # type: ignore[arg-type]
    if timed.seconds is not None and timed.returned is not None and timed.seconds > DOS_SECONDS:
        return Outcome(True, f"{len(ids):,} colliding ids as numbers took {timed.seconds:.2f} s "
                             "to count")
    return Outcome(False, f"{len(ids):,} colliding ids as numbers: {timed}")


#: Ids at the interpreter's digit limit, and how many the attacker sends.
LONG_ID_DIGITS = 4_300
LONG_ID_COUNT = 3_000


def count_long_ids(func_ref: str, digits: int, count: int) -> int:
    """Count ``count`` ids of ``digits`` digits with the function at ``func_ref``. Runs in the
    caller's process: call it in a child interpreter (:func:`timed_call`)."""
    import importlib

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    return func([f"{k:9>{digits}}" for k in range(count)])  # nines, then k: all distinct


def attack_long_ids(func: object) -> Outcome:
    """Send 3,000 distinct ids of 4,300 digits each, within the interpreter's limit: no
    collision needed, ``int()`` pays for every digit."""
    timed = timed_call(count_long_ids, _ref(func), LONG_ID_DIGITS, LONG_ID_COUNT)
    return _cpu_outcome(timed, f"{LONG_ID_COUNT:,} ids of {LONG_ID_DIGITS:,} digits")


INT_HASH = register(
    Risk(
        id="PSB-DOS-INTHASH",
        title="Hash collisions in a set of attacker-chosen integers",
        summary="int hashes are not randomised: multiples of 2**61-1 all collide, so a set "
        "of them takes quadratic time to build.",
        cwe=407,
        bandit=(),
        no_static_rule="a set of int() of client data is everyday code; only the bounds "
                       "checked before it make it safe, and they take many forms.",
        modules=("builtins", "sys"),
        page="practices/input-validation",
        insecure=count_unique_ids_insecure,
        secure=count_unique_ids_secure,
        attack=attack_int_hash,
        adapted=(
            AdaptedAttack("the colliding ids sent as JSON numbers, not strings",
                          "type-confusion", attack_ids_as_numbers),
            AdaptedAttack("3,000 ids at the 4,300-digit limit", "exhaustion", attack_long_ids),
        ),
    )
)
