"""``return`` inside ``finally`` discards the exception: a forged payment comes back verified.

A function verifies a payment's signature, records that it checked it "whatever happens",
and returns the payment, all with ``try: verify(...) finally: log(...); return payment``. A
``return`` (or ``break``, ``continue``) in a ``finally`` block replaces whatever was leaving the
``try`` block, the ``InvalidSignature`` exception included, so the caller gets the forged
payment back as if it had been verified. Python 3.14 warns about it at compile time
(``SyntaxWarning``, PEP 765). The secure version returns after the ``try`` statement.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pysecbook.teaching.risks import Outcome, Risk, register

#: The key the bank and the payment provider share (a demonstration value).
SIGNING_KEY = b"demo-shared-key"  # nosec B105 - demonstration key, not a secret

#: Audit lines: every payment checked, whatever the result.
CHECKED: list[str] = []


class InvalidSignature(ValueError):
    """The payment's signature does not match its content."""


def sign(payment: dict[str, object]) -> str:
    """The provider's signature of a payment: HMAC-SHA256 of its canonical JSON."""
    body = json.dumps({k: v for k, v in payment.items() if k != "signature"}, sort_keys=True)
    return hmac.new(SIGNING_KEY, body.encode(), hashlib.sha256).hexdigest()


def verify_signature(payment: dict[str, object]) -> None:
    if not hmac.compare_digest(sign(payment), str(payment.get("signature", ""))):
        raise InvalidSignature(f"payment {payment.get('id')}: bad signature")


def verified_payment_insecure(payment: dict[str, object]) -> dict[str, object]:
    """Verify ``payment``, record the check whatever happens, and return the payment."""
    try:
        verify_signature(payment)
    finally:
        CHECKED.append(f"payment {payment.get('id')} checked")
        return payment  # nosec PSB302 - deliberately insecure: demonstration of PSB-FINALLY-RETURN


def verified_payment_secure(payment: dict[str, object]) -> dict[str, object]:
    """Verify ``payment``, record the check whatever happens, and return it only if valid."""
    try:
        verify_signature(payment)
    finally:
        CHECKED.append(f"payment {payment.get('id')} checked")
    return payment


def attack(verified_payment: object) -> Outcome:
    """Send a payment with a made-up signature and see whether it is executed."""
    forged = {"id": 7, "to": "mallory", "amount": "9999.00", "signature": "0" * 64}
    try:
        payment = verified_payment(forged)  # type: ignore[operator]
    except InvalidSignature as exc:
        return Outcome(False, f"forged payment refused: {exc}")
    return Outcome(
        attack_succeeded=True,
        observed=f"forged payment returned as verified and executed: {payment['amount']} to "
                 f"{payment['to']}",
    )


RISK = register(
    Risk(
        id="PSB-FINALLY-RETURN",
        title="return in a finally block swallows the exception",
        summary="A return in finally replaces the InvalidSignature on its way out: the "
        "forged payment comes back as verified.",
        cwe=584,
        bandit=(),
        detections=("PSB302",),
        modules=("builtins",),
        page="practices/errors",
        insecure=verified_payment_insecure,
        secure=verified_payment_secure,
        attack=attack,
    )
)
