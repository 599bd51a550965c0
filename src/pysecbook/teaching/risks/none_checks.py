"""An unchecked ``None``: one malformed message stops the queue consumer for everybody.

``re.match`` returns ``None`` when the text does not match, and so do ``dict.get``,
``os.environ.get`` and many lookups. A queue consumer that reads the sender of each message
with ``PATTERN.match(header).group(1)`` raises ``AttributeError`` on the first header that
does not fit, and a consumer that dies on an exception stops serving every message queued
after it (and, restarted, may read the same "poison" message again). The secure version
checks the match and rejects that one message.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pysecbook.teaching.risks import Outcome, Risk, register

SENDER = re.compile(r"from=([a-z]{1,32})")

#: The queue Mallory writes into: her malformed message, then three from other people.
QUEUE = ("from=", "from=alice; body=invoice 17", "from=bob; body=refund 4",
         "from=carol; body=address change")


def sender_of_insecure(header: str) -> str:
    """The sender named in a message header."""
    return SENDER.match(header).group(1)  # nosec PSB304 - deliberately insecure: demonstration of PSB-NONE-UNCHECKED


def sender_of_secure(header: str) -> str:
    """The sender named in a message header; a header without one is refused."""
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
    )
)
