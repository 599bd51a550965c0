"""Lenient base64 decoding: many different texts decode to the same bytes.

``base64.b64decode`` discards every character outside the base64 alphabet unless it is called
with ``validate=True``. A check made on the encoded text (a list of revoked tokens, a
signature over the text, a cache key) is then beaten by the same token with a stray
character in it. The secure version decodes strictly and checks the decoded bytes.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import base64
import binascii

from pysecbook.teaching.risks import Outcome, Risk, register

#: The token the attacker stole; it has since been revoked (base64 of the raw token bytes).
STOLEN_TOKEN = base64.b64encode(b"api-key:mallory:7f3a").decode("ascii")

#: Revoked tokens, as the service stores them: their base64 text.
REVOKED = frozenset({STOLEN_TOKEN})


def authenticate_insecure(token: str) -> str:
    """Accept a base64 API token unless its text is on the revoked list."""
    if token in REVOKED:
        raise PermissionError("token revoked")
    raw = base64.b64decode(token)
    return raw.decode("ascii").split(":")[1]


def authenticate_secure(token: str) -> str:
    """Decode strictly, then check the decoded bytes, not the text, against the revoked list."""
    try:
        raw = base64.b64decode(token, validate=True)
    except binascii.Error as exc:
        raise PermissionError(f"malformed token: {exc}") from None
    if raw in {base64.b64decode(t, validate=True) for t in REVOKED}:
        raise PermissionError("token revoked")
    return raw.decode("ascii").split(":")[1]


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
    )
)
