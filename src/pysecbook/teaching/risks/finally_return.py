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

from collections.abc import Callable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def verified_payment_first_try(payment: dict[str, object]) -> dict[str, object]:
    """A first fix, written after the compiler's warning: no ``finally``, and each outcome of
    the check recorded in its own branch.

    Kept to show an adapted attack beating it: the branch for "any other error" records the
    error and does not raise it again, so a check that fails with another exception than
    ``InvalidSignature`` lets the payment through, as the ``return`` in ``finally`` did.
    """
    try:
        verify_signature(payment)
    except InvalidSignature:
        CHECKED.append(f"payment {payment.get('id')} checked: invalid")
        raise
    except Exception as exc:
        CHECKED.append(f"payment {payment.get('id')} checked: error {exc!r}")
    else:
        CHECKED.append(f"payment {payment.get('id')} checked: valid")
    return payment


def verified_payment_secure(payment: dict[str, object]) -> dict[str, object]:
    """Verify ``payment``, record the check whatever happens, and return it only if valid.

    Nothing in ``finally`` leaves the block: whatever ``verify_signature`` raises, its
    ``InvalidSignature`` or any other exception, goes on to the caller after the record.

    Assumes: the key is secret and shared with the payment provider only, and the caller
    executes a payment only when this returns it (an exception is a refusal).
    Does not stop: a genuine, signed payment sent twice (replay): the signature proves who
    wrote the payment, not that it is new, so the caller must execute each payment id once;
    a payment signed with a stolen key.
    """
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


def _executed(verified_payment: Callable[[dict[str, object]], object],
              payments: list[dict[str, object]]) -> Outcome:
    """Which of ``payments`` (none of them signed as sent) the caller executes."""
    executed, refused = [], []
    for payment in payments:
        try:
            verified_payment(payment)
        except Exception as exc:  # the caller executes nothing that raised
            refused.append(f"{payment['amount']} ({type(exc).__name__})")
        else:
            executed.append(f"{payment['amount']} to {payment['to']}")
    if executed:
        return Outcome(True, f"forged payments executed: {', '.join(executed)}")
    return Outcome(False, f"every forged payment refused: {', '.join(refused)}")


def attack_signature_of_another_payment(verified_payment: Callable[..., object]) -> Outcome:
    """Take the provider's genuine signature of a small payment to Mallory and put it on a
    larger one, or on the same payment with a field added."""
    genuine: dict[str, object] = {"id": 8, "to": "mallory", "amount": "10.00"}
    signature = sign(genuine)
    return _executed(verified_payment, [
        {**genuine, "amount": "9999.00", "signature": signature},
        {**genuine, "fee": "0.00", "signature": signature},
        {**genuine, "id": 9, "signature": signature},
    ])


def attack_uncomparable_signature(verified_payment: Callable[..., object]) -> Outcome:
    """Send a signature with a non-ASCII character: ``hmac.compare_digest`` raises
    ``TypeError`` for it, so the check fails with another exception than
    ``InvalidSignature``."""
    return _executed(verified_payment, [
        {"id": 10, "to": "mallory", "amount": "9999.00", "signature": "é" * 64},
        {"id": 11, "to": "mallory", "amount": "9999.00", "signature": "０" * 64},
    ])


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
        adapted=(
            AdaptedAttack("the genuine signature of another payment, on a larger one",
                          "crypto", attack_signature_of_another_payment),
            AdaptedAttack("a non-ASCII signature: the comparison raises TypeError, not "
                          "InvalidSignature", "type-confusion", attack_uncomparable_signature,
                          beats=verified_payment_first_try),
        ),
    )
)
