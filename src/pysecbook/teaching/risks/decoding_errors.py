"""Lossy decoding after a check: ``errors="ignore"`` joins what the filter saw apart.

A comment service refuses bodies that contain ``<script`` and then decodes them with
``errors="ignore"``, which deletes every byte that is not valid UTF-8. Mallory puts one
invalid byte inside the tag, ``<scr\\xc0ipt>``: the filter does not find ``<script`` in the
bytes, and the decoder, by deleting the byte, writes it. The secure version decodes
strictly first, refuses what is not UTF-8, and checks the text it will store. (Escaping the
comment when it is rendered, as a template engine does, is the real defence against script
injection; the point here is the order of decoding and checking.)
Book page: ``book/practices/text``.
"""

from __future__ import annotations

from pysecbook.teaching.risks import Outcome, Risk, register

#: Mallory's comment: a script tag with an invalid UTF-8 byte in each half of its name.
ATTACK_BODY = b"nice post <scr\xc0ipt>steal(document.cookie)</scr\xc0ipt>"


def store_comment_insecure(body: bytes) -> str:
    """Accept a comment posted as UTF-8; bodies with a script tag are refused."""
    if b"<script" in body.lower():
        raise ValueError("scripts are not allowed in comments")
    return body.decode("utf-8", errors="ignore")  # nosec PSB201 - deliberately insecure: demonstration of PSB-TEXT-DECODE-IGNORE


def store_comment_secure(body: bytes) -> str:
    """Decode strictly, refuse what is not UTF-8, then check the text that will be stored."""
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
    )
)
