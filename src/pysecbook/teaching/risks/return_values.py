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
from collections.abc import Callable

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def accept_webhook_first_try(body: bytes, signature: str) -> dict[str, object]:
    """A first fix: the verdict is used, in an ``assert``.

    Kept to show an adapted attack beating it: ``python -O`` (or ``PYTHONOPTIMIZE``, set in
    many container images) removes every ``assert``, and the verdict is dropped again.
    """
    expected = signature_of(body)
    assert hmac.compare_digest(expected, signature), "webhook signature does not match"  # nosec B101 - deliberately insecure: demonstration of PSB-RETURN-UNCHECKED
    return json.loads(body)


def accept_webhook_secure(body: bytes, signature: str) -> dict[str, object]:
    """Check a payment notification's signature; refuse it unless the signature matches.

    The verdict decides an ``if`` that raises: it holds under ``python -O``, which removes
    ``assert`` statements. A signature that is not a string of ASCII characters makes
    ``compare_digest`` raise ``TypeError``, which refuses the notification too.

    Assumes: the key is shared with the payment provider only; ``body`` is the exact bytes
    received, and the caller acts on nothing but the notification this returns.
    Does not stop: a genuine notification sent again (replay): it carries a valid signature,
    so the caller must act on each event id once, and refuse old timestamps if the provider
    signs one; a stolen key.
    """
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


def _accepted(accept_webhook: Callable[[bytes, str], object],
              forged: list[tuple[bytes, str]]) -> Outcome:
    """Which forged notifications (body, signature) mark an order paid."""
    paid, refused = [], []
    for body, signature in forged:
        try:
            event = accept_webhook(body, signature)
        except Exception as exc:  # the handler answers 4xx/5xx and changes nothing
            refused.append(type(exc).__name__)
            continue
        if isinstance(event, dict) and event.get("status") == "paid":
            paid.append(f"order {event.get('order')}")
        else:
            refused.append(f"accepted, not paid: {event!r}")
    if paid:
        return Outcome(True, f"forged notifications accepted: {', '.join(paid)} marked paid")
    return Outcome(False, f"every forged notification refused ({', '.join(refused)})")


def attack_signature_of_another_body(accept_webhook: Callable[..., object]) -> Outcome:
    """Take the provider's genuine signature of a 'pending' notification for order 7 and send
    it with a 'paid' body; then the same body with spaces added, or a key repeated."""
    genuine = json.dumps({"order": 7, "status": "pending"}).encode()
    signature = signature_of(genuine)
    return _accepted(accept_webhook, [
        (json.dumps({"order": 7, "status": "paid"}).encode(), signature),
        (b'{"order": 7, "status": "pending", "status": "paid"}', signature),
        (genuine + b" ", signature.upper()),
    ])


_OPTIMIZED_SNIPPET = """\
import importlib, json, sys
module_name, _, name = sys.argv[1].partition(":")
accept = getattr(importlib.import_module(module_name), name)
try:
    event = accept(sys.argv[2].encode(), sys.argv[3])
except Exception as exc:
    print(json.dumps({"raised": type(exc).__name__}))
else:
    print(json.dumps({"event": event}))
"""


def attack_under_optimize(accept_webhook: Callable[..., object]) -> Outcome:
    """Post a 'paid' notification with a signature of zeros to a service started with
    ``python -O``, as a container image that sets ``PYTHONOPTIMIZE`` starts it."""
    ref = f"{accept_webhook.__module__}:{accept_webhook.__qualname__}"
    body = json.dumps({"order": 7, "status": "paid"})
    with private_tmpdir() as tmp:
        done = run_python(_OPTIMIZED_SNIPPET, cwd=tmp, flags=["-O"], args=[ref, body, "0" * 64],
                          timeout=20)
    try:
        answer = json.loads(last_line(done.stdout))
    except ValueError:
        return Outcome(False, f"the child failed: {last_line(done.stderr) or 'no output'}")
    if "raised" in answer:
        return Outcome(False, f"under python -O: notification refused ({answer['raised']})")
    event = answer["event"]
    return Outcome(event.get("status") == "paid",
                   f"under python -O: forged notification accepted, order {event['order']} "
                   f"marked {event['status']}")


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
        adapted=(
            AdaptedAttack("the genuine signature of a 'pending' notification on a 'paid' body",
                          "crypto", attack_signature_of_another_body),
            AdaptedAttack("a service started with python -O, which removes assert statements",
                          "variant", attack_under_optimize, beats=accept_webhook_first_try),
        ),
    )
)
