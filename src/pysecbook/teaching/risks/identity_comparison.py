"""``is`` compares objects, not values: a revoked token read from a request is accepted.

``a is b`` is True only for the same object. Two equal strings built at different times (one
read from the revocation list, one parsed from a request header) are two objects, so a
revocation check written with ``is`` never matches a token that arrives over the network. In
a unit test with string literals it passes, because CPython shares equal literals of one
compilation and caches small ints. The secure version compares values, with a set.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pysecbook.teaching.risks import Outcome, Risk, register

SESSIONS: Mapping[str, str] = {"tok-4f1c9a": "bob", "tok-7d22e0": "alice"}


def revocation_list(text: str) -> list[str]:
    """The revoked tokens, one per line, as the revocation file holds them."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def token_from_header(header: str) -> str:
    """The token of an ``Authorization: Bearer ...`` header."""
    return header.partition(" ")[2].strip()


def authenticate_insecure(token: str, revoked: Iterable[str]) -> str:
    """The user a token belongs to; a revoked token is refused."""
    for bad in revoked:
        if token is bad:
            raise PermissionError("token revoked")
    return SESSIONS[token]


def authenticate_secure(token: str, revoked: Iterable[str]) -> str:
    """The user a token belongs to; a revoked token is refused (compared by value)."""
    if token in frozenset(revoked):
        raise PermissionError("token revoked")
    return SESSIONS[token]


def attack(authenticate: object) -> Outcome:
    """Bob's token was revoked this morning; Mallory, who copied it, sends it in a header."""
    revoked = revocation_list("tok-0000aa\ntok-4f1c9a\n")
    token = token_from_header("Bearer tok-4f1c9a")
    try:
        user = authenticate(token, revoked)  # type: ignore[operator]
    except PermissionError as exc:
        return Outcome(False, f"revoked token refused: {exc}")
    return Outcome(True, f"revoked token accepted: signed in as {user}")


RISK = register(
    Risk(
        id="PSB-IDENTITY-COMPARE",
        title="Tokens compared with is",
        summary="is compares objects: a revoked token parsed from a request is a new object "
        "and never matches the revocation list.",
        cwe=595,
        bandit=(),
        no_static_rule="is is right for None, sentinels and singletons; which names hold "
                       "those is not visible in the comparison (Python itself warns when one "
                       "side is a literal).",
        modules=("builtins",),
        page="practices/code",
        insecure=authenticate_insecure,
        secure=authenticate_secure,
        attack=attack,
    )
)
