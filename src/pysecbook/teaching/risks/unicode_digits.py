"""``\\d`` matches every script's digits: one phone number, five spellings, five vouchers.

In Python's ``re`` on ``str`` patterns, ``\\d`` is any Unicode decimal digit, not only 0-9:
Arabic-Indic ``٠١٢``, Devanagari ``०१२``, fullwidth ``０１２`` and some sixty other sets. ``int()``
accepts them all. A shop that gives one welcome voucher per phone number validates the number
with ``\\d{10}`` and remembers the text it was given: the same number written in five scripts
is five numbers to the shop and one to the SMS gateway, which converts it. The secure version
accepts ASCII digits only and remembers the number in one canonical form.

Five scripts are the least of it: each digit can come from a different script, so one number
has more than 60**10 spellings. And both halves of the fix are needed: a first fix that writes
``[0-9]`` but anchors with ``^...$`` under ``re.match`` and remembers the text it received is
beaten by the same number with a newline after it, which ``$`` lets through.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

import functools
import re

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

UNICODE_DIGITS = re.compile(r"\d{10}")
ASCII_DIGITS = re.compile(r"[0-9]{10}")

#: Zero in each script Mallory uses; each script's digits follow their zero in Unicode.
ZEROS = {"ASCII": "0", "Arabic-Indic": "\u0660", "Extended Arabic-Indic": "\u06f0",
         "Devanagari": "\u0966", "Fullwidth": "\uff10"}
PHONE = "0612345678"


def spelled(number: str, zero: str) -> str:
    """``number`` written with the digits whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(d)) for d in number)


@functools.cache
def _every_code_point() -> str:
    return "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)


def characters_matching(pattern: str) -> int:
    """How many code points (surrogates aside) match ``pattern`` on this Python."""
    return len(re.findall(pattern, _every_code_point()))


def redeem_voucher_insecure(redeemed: set[str], phone: str) -> str:
    """Send the welcome voucher to ``phone``, once per phone number."""
    if not UNICODE_DIGITS.fullmatch(phone):
        raise ValueError("a phone number is ten digits")
    if phone in redeemed:
        raise ValueError("this number already has its voucher")
    redeemed.add(phone)
    return f"voucher sent to {int(phone):010d}"


def redeem_voucher_first_try(redeemed: set[str], phone: str) -> str:
    """A first fix: ASCII digits, checked with ``re.match`` and ``^...$``.

    Kept to show the adapted attack beating it: ``$`` also matches before a final newline, and
    the text received is what is remembered.
    """
    if not re.match(r"^[0-9]{10}$", phone):
        raise ValueError("a phone number is ten digits 0-9")
    if phone in redeemed:
        raise ValueError("this number already has its voucher")
    redeemed.add(phone)
    return f"voucher sent to {int(phone):010d}"


def redeem_voucher_secure(redeemed: set[str], phone: str) -> str:
    """Send the welcome voucher to ``phone``: ASCII digits only, remembered canonically.

    Assumes: the SMS gateway dials the ten ASCII digits it is given; ``redeemed`` is shared by
    every worker (in a real shop, a table with a unique key on the number).
    Does not stop: one person with several phone numbers (a voucher per number is the rule
    here); the same number in its international form (+33 6 ...), if a later version accepts
    that form without converting it to the one canonical form.
    """
    if not ASCII_DIGITS.fullmatch(phone):
        raise ValueError("a phone number is ten digits 0-9")
    number = f"{int(phone):010d}"
    if number in redeemed:
        raise ValueError("this number already has its voucher")
    redeemed.add(number)
    return f"voucher sent to {number}"


def attack(redeem: object) -> Outcome:
    """Redeem the voucher with one phone number, spelt in five scripts."""
    redeemed: set[str] = set()
    sent = []
    for zero in ZEROS.values():
        try:
            sent.append(redeem(redeemed, spelled(PHONE, zero)))  # type: ignore[operator]
        except ValueError:
            pass
    return Outcome(
        attack_succeeded=len(sent) > 1,
        observed=f"{len(sent)} welcome voucher(s) for one phone number, spelt in "
                 f"{len(ZEROS)} scripts: {sorted(set(sent))}",
    )


def _vouchers(redeem: object, spellings: list[str]) -> tuple[list[str], int]:
    """Redeem each spelling in turn: the answers sent, and how many were refused."""
    redeemed: set[str] = set()
    sent, refused = [], 0
    for phone in spellings:
        try:
            sent.append(redeem(redeemed, phone))  # type: ignore[operator]
        except ValueError:
            refused += 1
    return sent, refused


def attack_trailing_newline(redeem: object) -> Outcome:
    """Redeem the number, then the same number followed by a newline."""
    sent, _ = _vouchers(redeem, [PHONE, PHONE + "\n"])
    return Outcome(
        attack_succeeded=len(sent) > 1,
        observed=f"{PHONE!r} and {PHONE + chr(10)!r}: {len(sent)} voucher(s) sent, "
                 f"{sorted(set(sent))}",
    )


def mixed_spelling(number: str, index: int) -> str:
    """``number`` with each digit taken from a script chosen by ``index`` (read in base 5)."""
    zeros = list(ZEROS.values())
    digits = []
    for d in number:
        index, script = divmod(index, len(zeros))
        digits.append(chr(ord(zeros[script]) + int(d)))
    return "".join(digits)


def attack_mixed_scripts(redeem: object) -> Outcome:
    """Redeem the number 40 times, each spelling mixing scripts digit by digit (one number
    has 5**10 such spellings with the five scripts, and far more with all of them)."""
    spellings = [mixed_spelling(PHONE, 7919 * i) for i in range(1, 41)]
    sent, refused = _vouchers(redeem, spellings)
    return Outcome(
        attack_succeeded=len(sent) > 1,
        observed=f"40 mixed-script spellings such as {spellings[0]!r}: {len(sent)} voucher(s) "
                 f"sent, {refused} refused",
    )


RISK = register(
    Risk(
        id="PSB-TEXT-UNICODE-DIGITS",
        title="\\d accepts every script's digits",
        summary="A \\d{10} check and a set of the text received count one phone number "
        "spelt in five scripts as five numbers.",
        cwe=1289,
        bandit=(),
        no_static_rule="the pattern is compiled away from the check, and \\d is right "
                       "wherever any script's digits are welcome.",
        modules=("re", "builtins"),
        page="practices/text",
        insecure=redeem_voucher_insecure,
        secure=redeem_voucher_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("the number followed by a newline, which '$' lets through",
                          "encoding", attack_trailing_newline, beats=redeem_voucher_first_try),
            AdaptedAttack("a different script for each digit of one number", "encoding",
                          attack_mixed_scripts),
        ),
    )
)
