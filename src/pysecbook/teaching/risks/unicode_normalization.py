"""Unicode normalised after validation: a name that passes the check and is stored as another.

NFKC normalisation folds compatibility characters onto ordinary ones: the fullwidth letters
``ａｌｉｃｅ`` become ``alice``. A registration that checks whether the name is taken and
only then normalises it for storage checks one string and stores another: Mallory registers
``ａｌｉｃｅ``, the check finds no such user, and the record stored under ``alice`` replaces
Alice's. The secure version normalises first and validates the string it will store.

The right order is not the whole check. NFKC keeps what it has no compatibility mapping for:
a zero-width joiner, a soft hyphen, a Cyrillic ``а``. Each gives a name that is not Alice's
and displays as hers. And NFKC can expand a character eighteen-fold (U+FDFA), so normalising
a name of any length is work an attacker sizes. The secure version bounds the length before
normalising and accepts only the characters its names are made of after it: here ASCII
letters, digits, ``.``, ``_`` and ``-``.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

import re
import unicodedata

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Names nobody may register.
RESERVED = frozenset({"admin", "root", "support"})

#: Mallory's user name: "alice" in fullwidth letters (U+FF41...).
FULLWIDTH_ALICE = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "alice")


#: Longest name accepted, counted before normalisation (and again after it, by the pattern).
MAX_NAME_LENGTH = 32

#: What a stored user name may be made of, after normalisation.
NAME_PATTERN = re.compile(r"[a-z0-9._-]{1,32}")


def canonical_name(name: str) -> str:
    """The form user names are stored and compared in: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def register_insecure(users: dict[str, str], name: str, password_hash: str) -> str:
    """Register ``name``; refuse reserved and taken names; store it in canonical form."""
    if name.casefold() in RESERVED or name.casefold() in users:
        raise ValueError(f"the name {name!r} is not available")
    stored = canonical_name(name)
    users[stored] = password_hash
    return stored


def register_first_try(users: dict[str, str], name: str, password_hash: str) -> str:
    """A first fix: put the name in canonical form first, then check the form that is stored.

    Kept to show the adapted attacks beating it: the canonical form may hold invisible and
    look-alike characters, and nothing bounds the work of normalising.
    """
    stored = canonical_name(name)
    if stored in RESERVED or stored in users:
        raise ValueError(f"the name {name!r} is not available")
    users[stored] = password_hash
    return stored


def register_secure(users: dict[str, str], name: str, password_hash: str) -> str:
    """Register ``name``: bound it, put it in canonical form, then check the form that is
    stored: its characters, whether it is reserved, whether it is taken.

    Assumes: every lookup of a user (login, password reset, a mention) passes its input
    through ``canonical_name`` as registration does; user names are ASCII once
    canonical. A service whose users write names in other scripts needs an identifier
    policy, such as the profiles of Unicode's UTS #39, in place of ``NAME_PATTERN``.
    Does not stop: ASCII names that look alike (``rn`` and ``m``, ``l`` and ``1``); two
    registrations of one new name racing, where a database needs a unique index on the
    stored name.
    """
    if len(name) > MAX_NAME_LENGTH:  # before NFKC, which can expand a character 18-fold
        raise ValueError(f"a user name has at most {MAX_NAME_LENGTH} characters")
    stored = canonical_name(name)
    if not NAME_PATTERN.fullmatch(stored):
        raise ValueError(f"the name {name!r} may use only a-z, 0-9, '.', '_' and '-'")
    if stored in RESERVED or stored in users:
        raise ValueError(f"the name {name!r} is not available")
    users[stored] = password_hash
    return stored


def attack(register_user: object) -> Outcome:
    """Mallory registers "alice" in fullwidth letters, with a password of her own."""
    users = {"alice": "hash-of-alices-password"}
    try:
        stored = register_user(users, FULLWIDTH_ALICE, "hash-of-mallorys-password")  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"registration of {FULLWIDTH_ALICE!r} refused: {exc}")
    taken = users["alice"] == "hash-of-mallorys-password"
    return Outcome(
        attack_succeeded=taken,
        observed=f"registered {FULLWIDTH_ALICE!r}, stored as {stored!r}: the account 'alice' "
                 f"now has {'mallory' if taken else 'alice'}'s password",
    )


#: Names that display as "alice": a zero-width joiner, a soft hyphen, a word joiner, a
#: Cyrillic a and a Latin dotless i. NFKC and case folding keep every one of them.
LOOKALIKES = ("ali\u200dce", "ali\u00adce", "al\u2060ice", "\u0430lice", "al\u0131ce")


def attack_lookalike(register_user: object) -> Outcome:
    """Register names that display as "alice" but are other strings, to impersonate her."""
    users = {"alice": "hash-of-alices-password"}
    registered = []
    for name in LOOKALIKES:
        try:
            registered.append(register_user(users, name, "hash-of-mallory"))  # type: ignore[operator]
        except ValueError:
            pass
    return Outcome(
        attack_succeeded=bool(registered),
        observed=(f"{len(registered)} account(s) beside Alice's that display as 'alice': "
                  f"{registered}" if registered else
                  f"all {len(LOOKALIKES)} look-alike names refused"),
    )


#: U+FDFA, which NFKC expands to 18 characters; the attacker's name is this many of them.
EXPANDING_CHAR = "\ufdfa"
EXPANDING_COUNT = 600_000

#: More CPU than this for one registration counts as a stalled request.
NORMALIZE_SECONDS = 0.1


def register_timed(func_ref: str, name: str) -> str:
    """Register ``name`` with the function at ``func_ref`` (``module:name``) in an empty user
    table. Runs in the caller's process: call it in a child interpreter (:func:`timed_call`)."""
    import importlib

    module_name, _, qualname = func_ref.partition(":")
    func = getattr(importlib.import_module(module_name), qualname)
    return f"stored {len(func({}, name, 'h'))} characters"


def attack_expanding_name(register_user: object) -> Outcome:
    """Register a name of 600,000 copies of U+FDFA (1.8 MB of UTF-8), which NFKC expands to
    10.8 million characters: does one registration cost more than 0.1 s?"""
    ref = f"{register_user.__module__}:{register_user.__qualname__}"  # type: ignore[attr-defined]
    timed = timed_call(register_timed, ref, EXPANDING_CHAR * EXPANDING_COUNT, timeout=15.0)
    stalled = timed.timed_out or (timed.returned is not None and timed.seconds is not None
                                  and timed.seconds > NORMALIZE_SECONDS)
    return Outcome(
        attack_succeeded=stalled,
        observed=f"a name of {EXPANDING_COUNT:,} x U+FDFA: {timed}",
    )


RISK = register(
    Risk(
        id="PSB-TEXT-NORMALIZE-LATE",
        title="Unicode normalised after validation",
        summary="A name checked before NFKC normalisation is stored as another name: "
        "fullwidth 'alice' replaces Alice's account.",
        cwe=180,
        bandit=(),
        no_static_rule="the check and the normalisation are ordinary calls, often in "
                       "different functions; only their order matters.",
        modules=("unicodedata",),
        page="practices/text",
        insecure=register_insecure,
        secure=register_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("'alice' with a zero-width joiner, a soft hyphen, a Cyrillic a or a "
                          "dotless i, which NFKC keeps", "encoding", attack_lookalike,
                          beats=register_first_try),
            AdaptedAttack("a name of 600,000 characters that NFKC expands eighteen-fold",
                          "exhaustion", attack_expanding_name, beats=register_first_try),
        ),
    )
)
