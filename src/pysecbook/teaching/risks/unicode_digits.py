"""``\\d`` matches every script's digits: one phone number, five spellings, five vouchers.

In Python's ``re`` on ``str`` patterns, ``\\d`` is any Unicode decimal digit, not only 0-9:
Arabic-Indic ``٠١٢``, Devanagari ``०१२``, fullwidth ``０１２`` and some sixty other sets. ``int()``
accepts them all. A shop that gives one welcome voucher per phone number validates the number
with ``\\d{10}`` and remembers the text it was given: the same number written in five scripts
is five numbers to the shop and one to the SMS gateway, which converts it. The secure version
accepts ASCII digits only and remembers the number in one canonical form.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

import functools
import re

from pysecbook.teaching.risks import Outcome, Risk, register

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


def redeem_voucher_secure(redeemed: set[str], phone: str) -> str:
    """Send the welcome voucher to ``phone``: ASCII digits only, remembered canonically."""
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
    )
)
