"""Lenient base64 decoding: many different texts decode to the same bytes.

``base64.b64decode`` discards every character outside the base64 alphabet unless it is called
with ``validate=True``. A check made on the encoded text (a list of revoked tokens, a
signature over the text, a cache key) is then beaten by the same token with a stray
character in it. The secure version decodes strictly and checks the decoded bytes.

``validate=True`` alone does not make the text unique: the last character of a token whose
length is not a multiple of three carries bits that no byte uses, and Python does not check
that they are zero, so a first fix that decodes strictly but still compares the text is
beaten by the same token with its last character changed. And a check against a list of
revoked tokens is not authentication: the secure version looks the decoded token up among
the tokens the service issued (by its SHA-256, so the table holds no usable token), and a
token made up by the client is refused.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The raw tokens the service issued: a prefix, the user, 128 random bits (made up, fixed).
MALLORY_TOKEN_BYTES = b"apikey:mallory:5d0e2f7c41b89a36e1c4d2b07f9a8e13"
ALICE_TOKEN_BYTES = b"apikey:alice:c3a91f04be5d27e86f1a0c9d4b3e7a25"

#: The token the attacker stole; it has since been revoked (base64 of the raw token bytes).
STOLEN_TOKEN = base64.b64encode(MALLORY_TOKEN_BYTES).decode("ascii")

#: Revoked tokens, as the service stores them: their base64 text.
REVOKED = frozenset({STOLEN_TOKEN})

#: What the secure version keeps: the SHA-256 of each issued token's bytes, and of each revoked
#: one. A copy of these tables lets nobody log in.
ISSUED = {hashlib.sha256(raw).digest(): raw.split(b":")[1].decode("ascii")
          for raw in (MALLORY_TOKEN_BYTES, ALICE_TOKEN_BYTES)}
REVOKED_DIGESTS = frozenset(hashlib.sha256(base64.b64decode(t, validate=True)).digest()
                            for t in REVOKED)


def authenticate_insecure(token: str) -> str:
    """Accept a base64 API token unless its text is on the revoked list."""
    if token in REVOKED:
        raise PermissionError("token revoked")
    raw = base64.b64decode(token)
    return raw.decode("ascii").split(":")[1]


def authenticate_first_try(token: str) -> str:
    """A first fix: decode strictly (``validate=True``), and still compare the text.

    Kept to show the adapted attacks beating it: strict decoding does not make the text
    unique, and a token that was never issued is accepted as long as it is not revoked.
    """
    if token in REVOKED:
        raise PermissionError("token revoked")
    try:
        raw = base64.b64decode(token, validate=True)
    except binascii.Error as exc:
        raise PermissionError(f"malformed token: {exc}") from None
    return raw.decode("ascii").split(":")[1]


def authenticate_secure(token: str) -> str:
    """Decode strictly, then look the decoded bytes, never the text, up: revoked, or issued.

    Assumes: tokens carry enough randomness that nobody guesses one (here 128 bits), travel
    only over TLS, and are compared by their SHA-256 in tables only the service writes.
    Does not stop: a stolen token that has not been revoked yet; code elsewhere that keys on
    the token's text (a cache, a rate limit, a search in the logs), which still sees many
    spellings of one token.
    """
    try:
        raw = base64.b64decode(token, validate=True)
    except ValueError as exc:  # binascii.Error, or text that is not ASCII
        raise PermissionError(f"malformed token: {exc}") from None
    digest = hashlib.sha256(raw).digest()
    if digest in REVOKED_DIGESTS:
        raise PermissionError("token revoked")
    user = ISSUED.get(digest)
    if user is None:
        raise PermissionError("unknown token")
    return user


def smuggled(token: str, junk: str = ".") -> str:
    """``token`` with a character outside the base64 alphabet inserted in the middle."""
    middle = len(token) // 2
    return token[:middle] + junk + token[middle:]


def attack(func: object) -> Outcome:
    """Present the revoked token with one ``.`` inserted: is it accepted?"""
    token = smuggled(STOLEN_TOKEN)
    try:
        user = func(token)  # type: ignore[operator]
    except PermissionError as exc:
        return Outcome(False, f"{token!r} refused: {exc}")
    return Outcome(True, f"revoked token accepted as {token!r}: logged in as {user!r}")


def other_final_bits(token: str) -> list[str]:
    """Every other spelling of ``token``'s last character that decodes to the same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = token.rstrip("=")
    padding = token[len(body):]
    unused = {1: 2, 2: 4}.get(len(padding), 0)  # bits of the last character no byte uses
    if not body or body[-1] not in alphabet:
        return []
    last = alphabet.index(body[-1])
    return [body[:-1] + alphabet[last ^ flip] + padding for flip in range(1, 2**unused)]


def attack_final_bits(func: object) -> Outcome:
    """Present the revoked token with different unused bits in its last character: strict
    decoding accepts it and gives the same bytes, while the text is not on the list."""
    answers = []
    for token in other_final_bits(STOLEN_TOKEN):
        try:
            user = func(token)  # type: ignore[operator]
        except PermissionError as exc:
            answers.append(f"{token[-4:]!r} refused ({exc})")
            continue
        return Outcome(True, f"revoked token accepted as ...{token[-6:]!r} (it ends in "
                             f"...{STOLEN_TOKEN[-6:]!r}): logged in as {user!r}")
    return Outcome(False, f"{len(answers)} other spellings of the last character: "
                          f"{'; '.join(answers[:2])}")


def attack_forged_token(func: object) -> Outcome:
    """Make up a well-formed token for another user: does the service check that it issued
    it?"""
    token = base64.b64encode(b"apikey:alice:00000000000000000000000000000000").decode()
    try:
        user = func(token)  # type: ignore[operator]
    except PermissionError as exc:
        return Outcome(False, f"made-up token for alice refused: {exc}")
    return Outcome(True, f"made-up token accepted: logged in as {user!r}")


RISK = register(
    Risk(
        id="PSB-BASE64-LENIENT",
        title="Lenient base64 decoding lets a changed text pass a check",
        summary="b64decode() drops characters outside the alphabet unless validate=True, "
        "so a check made on the encoded text is bypassed.",
        cwe=1289,
        bandit=(),
        detections=("PSB601",),
        modules=("base64", "binascii"),
        page="practices/input-validation",
        insecure=authenticate_insecure,
        secure=authenticate_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("the revoked token with other unused bits in its last character",
                          "encoding", attack_final_bits, beats=authenticate_first_try),
            AdaptedAttack("a well-formed token made up for another user", "variant",
                          attack_forged_token),
        ),
    )
)
