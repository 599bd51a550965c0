"""Lossy decoding after a check: ``errors="ignore"`` joins what the filter saw apart.

A comment service refuses bodies that contain ``<script`` and then decodes them with
``errors="ignore"``, which deletes every byte that is not valid UTF-8. Mallory puts one
invalid byte inside the tag, ``<scr\\xc0ipt>``: the filter does not find ``<script`` in the
bytes, and the decoder, by deleting the byte, writes it. The secure version decodes
strictly first, refuses what is not UTF-8, and checks the text it will store. (Escaping the
comment when it is rendered, as a template engine does, is the real defence against script
injection; the point here is the order of decoding and checking.)

Every malformed sequence works the same way against ``errors="ignore"``: an overlong
encoding, an encoded surrogate, a stray continuation byte. And deleting after the check needs
no decoder: a first fix that decodes strictly but then strips "invisible" characters (a
zero-width space, a soft hyphen) joins the tag again. Nothing may change the text between
the check and the store.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Mallory's comment: a script tag with an invalid UTF-8 byte in each half of its name.
ATTACK_BODY = b"nice post <scr\xc0ipt>steal(document.cookie)</scr\xc0ipt>"


def store_comment_insecure(body: bytes) -> str:
    """Accept a comment posted as UTF-8; bodies with a script tag are refused."""
    if b"<script" in body.lower():
        raise ValueError("scripts are not allowed in comments")
    return body.decode("utf-8", errors="ignore")  # nosec PSB201 - deliberately insecure: demonstration of PSB-TEXT-DECODE-IGNORE


def store_comment_first_try(body: bytes) -> str:
    """A first fix: decode strictly and check the text; then tidy the comment by removing the
    characters nobody can see.

    Kept to show the adapted attack beating it: the tidying deletes characters after the
    check, as ``errors="ignore"`` deleted bytes.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"comment is not valid UTF-8 (byte {exc.start})") from None
    if "<script" in text.lower():
        raise ValueError("scripts are not allowed in comments")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def store_comment_secure(body: bytes) -> str:
    """Decode strictly, refuse what is not UTF-8, then check the text that will be stored.

    Assumes: the comment is escaped where it is rendered (an autoescaping template); this
    check is a second line of defence, and nothing changes the text after it returns.
    Does not stop: script without a script element (``<img src=x onerror=...>``, a
    ``javascript:`` link), which only escaping on output stops; a later step that deletes or
    folds characters (NFKC, stripping invisible characters, ``encode(..., "ignore")``), after
    which the text must be checked again.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"comment is not valid UTF-8 (byte {exc.start})") from None
    if "<script" in text.lower():
        raise ValueError("scripts are not allowed in comments")
    return text


def attack(store: object) -> Outcome:
    """Post a comment whose script tag is split by an invalid byte."""
    try:
        stored = store(ATTACK_BODY)  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"comment refused: {exc}")
    return Outcome(
        attack_succeeded="<script" in stored.lower(),
        observed=f"comment stored as {stored!r}",
    )


#: Other malformed UTF-8 inside the tag: an overlong NUL, an encoded surrogate, a stray
#: continuation byte, a truncated three-byte sequence, and a byte UTF-8 never uses.
MALFORMED_BODIES = (
    b"<scr\xc0\x80ipt>steal()</script>",
    b"<scr\xed\xa0\x80ipt>steal()</script>",
    b"<scr\x80ipt>steal()</script>",
    b"<scr\xe2\x82ipt>steal()</script>",
    b"<scr\xffipt>steal()</script>",
)

#: Characters a clean-up removes as invisible: zero-width space, soft hyphen, word joiner,
#: zero-width no-break space (BOM), and a NUL.
INVISIBLE_BODIES = tuple(f"<scr{ch}ipt>steal()</scr{ch}ipt>".encode()
                         for ch in ("\u200b", "\u00ad", "\u2060", "\ufeff", "\x00"))


def _stored_scripts(store: object, bodies: tuple[bytes, ...]) -> Outcome:
    """Post each body; did one get stored with a script tag in it?"""
    stored, refused = [], 0
    for body in bodies:
        try:
            text = store(body)  # type: ignore[operator]
        except ValueError:
            refused += 1
            continue
        if "<script" in text.lower():
            stored.append(body)
    if stored:
        return Outcome(True, f"{len(stored)} of {len(bodies)} bodies stored with a <script> "
                             f"tag, among them {stored[0]!r}")
    return Outcome(False, f"{refused} of {len(bodies)} bodies refused, none stored with a "
                          "<script> tag")


def attack_malformed_sequences(store: object) -> Outcome:
    """Split the tag with each other kind of malformed UTF-8 (:data:`MALFORMED_BODIES`)."""
    return _stored_scripts(store, MALFORMED_BODIES)


def attack_invisible_characters(store: object) -> Outcome:
    """Split the tag with valid characters that a clean-up step removes as invisible
    (:data:`INVISIBLE_BODIES`)."""
    return _stored_scripts(store, INVISIBLE_BODIES)


RISK = register(
    Risk(
        id="PSB-TEXT-DECODE-IGNORE",
        title="Decoding with errors='ignore' after a check",
        summary="Deleting undecodable bytes joins what a filter saw apart: <scr\\xc0ipt> "
        "passes the check and is stored as <script>.",
        cwe=182,
        bandit=(),
        detections=("PSB201",),
        modules=("codecs", "builtins"),
        page="practices/text",
        insecure=store_comment_insecure,
        secure=store_comment_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("an overlong sequence, an encoded surrogate, a stray continuation "
                          "byte, a truncated sequence inside the tag", "encoding",
                          attack_malformed_sequences),
            AdaptedAttack("a zero-width space, a soft hyphen or a NUL inside the tag, removed "
                          "by a clean-up after the check", "variant", attack_invisible_characters,
                          beats=store_comment_first_try),
        ),
    )
)
