"""An unchecked return value: a signature comparison whose answer nobody reads.

``hmac.compare_digest`` does not raise when the digests differ; it returns ``False``. A
webhook handler that calls it as a statement computes the verdict and throws it away, so a
payment notification with any signature at all marks the order paid. The same mistake hides
in ``name.strip()`` or ``html.escape(text)`` written without an assignment: the new value is
returned, the old one used. The secure version tests the result.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pysecbook.teaching.risks import Outcome, Risk, register

#: The key the shop and the payment provider share (a demonstration value).
WEBHOOK_KEY = b"demo-webhook-key"  # nosec B105 - demonstration key, not a secret


def signature_of(body: bytes, key: bytes = WEBHOOK_KEY) -> str:
    """How the provider signs a notification: HMAC-SHA256 of the body, in hex."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def accept_webhook_insecure(body: bytes, signature: str) -> dict[str, object]:
    """Check a payment notification's signature, then return the notification."""
    expected = signature_of(body)
    hmac.compare_digest(expected, signature)  # nosec PSB305 - deliberately insecure: demonstration of PSB-RETURN-UNCHECKED
    return json.loads(body)


def accept_webhook_secure(body: bytes, signature: str) -> dict[str, object]:
    """Check a payment notification's signature; refuse it unless the signature matches."""
    expected = signature_of(body)
    if not hmac.compare_digest(expected, signature):
        raise PermissionError("webhook signature does not match")
    return json.loads(body)


def attack(accept_webhook: object) -> Outcome:
    """Post a 'paid' notification for order 7 with a signature made of zeros."""
    body = json.dumps({"order": 7, "status": "paid"}).encode()
    try:
        event = accept_webhook(body, "0" * 64)  # type: ignore[operator]
    except PermissionError as exc:
        return Outcome(False, f"notification refused: {exc}")
    return Outcome(
        attack_succeeded=event.get("status") == "paid",
        observed=f"forged notification accepted: order {event['order']} marked {event['status']}",
    )


RISK = register(
    Risk(
        id="PSB-RETURN-UNCHECKED",
        title="A check whose result is thrown away",
        summary="hmac.compare_digest() returns its verdict; called as a statement, any "
        "signature passes.",
        cwe=252,
        bandit=(),
        detections=("PSB305",),
        modules=("hmac", "secrets"),
        page="practices/errors",
        insecure=accept_webhook_insecure,
        secure=accept_webhook_secure,
        attack=attack,
    )
)
