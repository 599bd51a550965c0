"""Unicode normalised after validation: a name that passes the check and is stored as another.

NFKC normalisation folds compatibility characters onto ordinary ones: the fullwidth letters
``ａｌｉｃｅ`` become ``alice``. A registration that checks whether the name is taken and
only then normalises it for storage checks one string and stores another: Mallory registers
``ａｌｉｃｅ``, the check finds no such user, and the record stored under ``alice`` replaces
Alice's. The secure version normalises first and validates the string it will store.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

import unicodedata

from pysecbook.teaching.risks import Outcome, Risk, register

#: Names nobody may register.
RESERVED = frozenset({"admin", "root", "support"})

#: Mallory's user name: "alice" in fullwidth letters (U+FF41...).
FULLWIDTH_ALICE = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "alice")


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


def register_secure(users: dict[str, str], name: str, password_hash: str) -> str:
    """Register ``name``: put it in canonical form first, then check the form that is stored."""
    stored = canonical_name(name)
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
    )
)
