"""``is`` compares objects, not values: a revoked token read from a request is accepted.

``a is b`` is True only for the same object. Two equal strings built at different times (one
read from the revocation list, one parsed from a request header) are two objects, so a
revocation check written with ``is`` never matches a token that arrives over the network. In
a unit test with string literals it passes, because CPython shares equal literals of one
compilation and caches small ints. The secure version compares values, with a set.
Book page: ``book/practices/code``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def authenticate_first_try(token: str, revoked: Iterable[str]) -> str:
    """A first fix: compare by value, with a set built from the revocation list.

    Kept to show two adapted attacks beating it: a revocation list given as a generator is
    empty for every request after the first, and one read as bytes never equals a str token.
    """
    if token in frozenset(revoked):
        raise PermissionError("token revoked")
    return SESSIONS[token]


def authenticate_secure(token: str, revoked: Collection[str]) -> str:
    """The user a token belongs to; a revoked token is refused (compared by value).

    ``revoked`` must be a collection that reads the same every time (a list, a set), of
    strings: a generator or an open file is empty once an earlier request has read it, and
    bytes never equal a str, so either would let every revoked token through. Both are
    refused with ``TypeError``, which refuses the request.

    Assumes: ``revoked`` holds every revoked token, spelled exactly as it was issued (no
    trailing newline from ``readlines()``, no other case), and ``SESSIONS`` is current.
    Does not stop: a token stolen and used before it is revoked; a revocation that has not
    reached this process yet (a cached copy of the list).
    """
    if not isinstance(revoked, Collection) or isinstance(revoked, (str, bytes)):
        raise TypeError("revoked must be a list or a set of tokens")
    revoked_tokens = frozenset(revoked)
    if not all(isinstance(bad, str) for bad in revoked_tokens):
        raise TypeError("revoked tokens must be str, as the tokens compared with them are")
    if token in revoked_tokens:
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


#: The revocation file as it is stored: one token per line.
REVOCATION_FILE = "tok-0000aa\ntok-4f1c9a\n"


def _sign_in(authenticate: Callable[[str, object], str], revoked: object,
             first: str | None = None) -> Outcome:
    """Bob's revoked token sent by Mallory (after ``first``, another user's request)."""
    steps = []
    for header in ([first] if first else []) + ["Bearer tok-4f1c9a"]:
        token = token_from_header(header)
        try:
            steps.append((token, f"signed in as {authenticate(token, revoked)}"))
        except (PermissionError, TypeError) as exc:
            steps.append((token, f"refused ({exc})"))
    said = "; ".join(f"{token}: {answer}" for token, answer in steps)
    return Outcome(steps[-1][1] == "signed in as bob", said)


def attack_second_request(authenticate: Callable[..., str]) -> Outcome:
    """The service reads its revocation list lazily, as a generator over the file's lines.
    Alice signs in first; then Mallory sends Bob's revoked token."""
    revoked = (line.strip() for line in REVOCATION_FILE.splitlines())
    return _sign_in(authenticate, revoked, first="Bearer tok-7d22e0")


def attack_bytes_list(authenticate: Callable[..., str]) -> Outcome:
    """The revocation list comes from a binary file or a cache client that returns bytes (as
    several do by default); Mallory sends Bob's revoked token."""
    revoked = [line.strip() for line in REVOCATION_FILE.encode().splitlines()]
    return _sign_in(authenticate, revoked)


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
        adapted=(
            AdaptedAttack("a second request, after the first used up a revocation list "
                          "given as a generator", "links-races", attack_second_request,
                          beats=authenticate_first_try),
            AdaptedAttack("a revocation list read as bytes, compared with a str token",
                          "type-confusion", attack_bytes_list, beats=authenticate_first_try),
        ),
    )
)
