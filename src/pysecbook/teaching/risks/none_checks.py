"""An unchecked ``None``: one malformed message stops the queue consumer for everybody.

``re.match`` returns ``None`` when the text does not match, and so do ``dict.get``,
``os.environ.get`` and many lookups. A queue consumer that reads the sender of each message
with ``PATTERN.match(header).group(1)`` raises ``AttributeError`` on the first header that
does not fit, and a consumer that dies on an exception stops serving every message queued
after it (and, restarted, may read the same "poison" message again). The secure version
checks that the header is text and that it matched, and rejects that one message.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

SENDER = re.compile(r"from=([a-z]{1,32})")

#: The queue Mallory writes into: her malformed message, then three from other people.
QUEUE = ("from=", "from=alice; body=invoice 17", "from=bob; body=refund 4",
         "from=carol; body=address change")


def sender_of_insecure(header: str) -> str:
    """The sender named in a message header."""
    return SENDER.match(header).group(1)  # nosec PSB304 - deliberately insecure: demonstration of PSB-NONE-UNCHECKED


def sender_of_first_try(header: str) -> str:
    """A first fix: the match is tested for ``None``, and a header without a sender refused.

    Kept to show an adapted attack beating it: a message with no header at all (``None``
    from ``dict.get``), or with bytes or a number in its place, makes ``re`` raise
    ``TypeError``, which stops the consumer as the ``AttributeError`` did.
    """
    match = SENDER.match(header)
    if match is None:
        raise ValueError(f"no sender in {header[:40]!r}")
    return match.group(1)


def sender_of_secure(header: str) -> str:
    """The sender named in a message header; a header without one is refused.

    A header that is not text (a missing one, read as ``None``; bytes; a number) is refused
    the same way, with the one exception the consumer handles per message. The error message
    shows at most 40 characters of the header and never formats anything else it holds.

    Assumes: the consumer handles ``ValueError`` for one message and goes on with the next,
    and ``SENDER`` is the format every valid header starts with.
    Does not stop: a header that names another user (this reads the sender, it does not
    authenticate it); a consumer that dies on an error raised elsewhere in its handling.
    """
    if not isinstance(header, str):
        raise ValueError(f"header is {type(header).__name__}, not text")
    match = SENDER.match(header)
    if match is None:
        raise ValueError(f"no sender in {header[:40]!r}")
    return match.group(1)


def consume(queue: Iterable[str], sender_of: Callable[[str], str]) -> list[str]:
    """A minimal queue consumer: an uncaught exception other than ValueError ends it."""
    handled = []
    for message in queue:
        try:
            handled.append(f"{sender_of(message)}: done")
        except ValueError as exc:
            handled.append(f"rejected: {exc}")
    return handled


def attack(sender_of: object) -> Outcome:
    """Put a message without a sender at the head of the queue."""
    try:
        handled = consume(QUEUE, sender_of)  # type: ignore[arg-type]
    except AttributeError as exc:
        return Outcome(True, f"the consumer died on the first message ({exc}); "
                             f"0 of {len(QUEUE) - 1} messages after it were handled")
    served = sum(1 for h in handled[1:] if h.endswith("done"))
    return Outcome(
        attack_succeeded=served < len(QUEUE) - 1,
        observed=f"first message {handled[0]}; {served} of {len(QUEUE) - 1} messages after "
                 "it handled",
    )


def _serve(sender_of: Callable[[str], str], poison: tuple[object, ...]) -> Outcome:
    """Queue the ``poison`` messages ahead of the three messages of :data:`QUEUE` from other
    people; how many of those three does the consumer handle?"""
    others = QUEUE[1:]
    try:
        handled = consume((*poison, *others), sender_of)  # type: ignore[arg-type]
    except Exception as exc:  # any uncaught error ends the consumer
        return Outcome(True, f"the consumer died ({type(exc).__name__}: {exc}); 0 of "
                             f"{len(others)} messages after the poison were handled")
    served = sum(1 for h in handled[len(poison):] if h.endswith("done"))
    rejected = sum(1 for h in handled[:len(poison)] if h.startswith("rejected"))
    return Outcome(served < len(others),
                   f"{rejected} of {len(poison)} poison messages rejected; {served} of "
                   f"{len(others)} messages after them handled")


def attack_no_header_at_all(sender_of: Callable[[str], str]) -> Outcome:
    """Queue messages whose header is missing (``None``), bytes, a number or a list, as a
    JSON queue or a binary broker delivers them."""
    return _serve(sender_of, (None, b"from=alice", 17, ["from=bob"]))


def attack_look_alike_headers(sender_of: Callable[[str], str]) -> Outcome:
    """Queue headers that look right and do not match: upper case, a Cyrillic letter, a
    byte-order mark, a NUL byte, full-width letters, a leading space."""
    return _serve(sender_of, ("FROM=alice", "from=\u0430lice", "\ufefffrom=alice",
                              "from=\x00alice", "from=\uff41lice", " from=alice"))


RISK = register(
    Risk(
        id="PSB-NONE-UNCHECKED",
        title="A match used without checking for None",
        summary="re.match(...).group() raises on the first input that does not match, and a "
        "consumer that dies on it serves nobody after it.",
        cwe=476,
        bandit=(),
        detections=("PSB304",),
        modules=("re",),
        page="practices/errors",
        insecure=sender_of_insecure,
        secure=sender_of_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a message with no header at all (None), or bytes, a number, a list",
                          "type-confusion", attack_no_header_at_all, beats=sender_of_first_try),
            AdaptedAttack("headers that look right and do not match: case, look-alikes, a BOM, "
                          "NUL", "encoding", attack_look_alike_headers),
        ),
    )
)
