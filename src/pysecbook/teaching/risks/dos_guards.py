"""Denial-of-service guards CPython already has, and what happens without them.

Two guards: the limit on decimal digits in ``int``/``str`` conversions (4300 by default since
3.11 and the security releases of September 2022, CVE-2020-10735), because converting
between decimal text and ``int`` takes time quadratic in the number of digits; and hash
randomisation of ``str`` and ``bytes`` (``PYTHONHASHSEED``), so an attacker cannot compute
keys that collide in a ``dict`` or ``set``. Hash randomisation does not cover ``int``, whose
hash is ``n mod (2**61 - 1)`` in every process: keys chosen as multiples of that modulus all
collide, and building a set of them takes quadratic time.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks._child import Timed, timed_call
from pysecbook.teaching.sandbox import private_tmpdir, run_python

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


def parse_amount_secure(text: str) -> int:
    """Parse a decimal amount: refuse long input first, and keep the interpreter's limit."""
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
    """Count distinct account ids: bounded count, and each id must look like an id."""
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per request")
    for i in ids:
        if not ID_PATTERN.fullmatch(i):
            raise ValueError(f"not an account id: {i[:30]!r}")
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
    )
)

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
    )
)
