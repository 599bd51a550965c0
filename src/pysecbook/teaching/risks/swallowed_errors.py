"""A swallowed error: the transfer goes through, and its audit record is lost.

A payment service moves the money, then appends an audit record, inside ``try: ... except
Exception: pass`` so that a logging problem never blocks a payment. Whoever can make the
audit write fail (fill the disk, exhaust a quota, break the log's mount) can then move money
with no record of it. The secure version writes the record first and lets a failure stop the
transfer: no record, no payment. Here the audit log cannot be written because a directory
stands where the file should be, in a private temporary directory.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir


@dataclass
class Ledger:
    """Balances, in cents."""

    balances: dict[str, int] = field(default_factory=dict)

    def move(self, sender: str, recipient: str, cents: int) -> None:
        if self.balances.get(sender, 0) < cents:
            raise ValueError("insufficient funds")
        self.balances[sender] -= cents
        self.balances[recipient] = self.balances.get(recipient, 0) + cents


def transfer_insecure(ledger: Ledger, audit_log: Path, sender: str, recipient: str,
                      cents: int) -> str:
    """Move the money, then record it; a failing audit write must not block payments."""
    ledger.move(sender, recipient, cents)
    try:
        with audit_log.open("a", encoding="utf-8") as log:
            log.write(f"{sender} -> {recipient}: {cents}\n")
    except Exception:  # nosec B110 - deliberately insecure: demonstration of PSB-EXCEPT-SWALLOWED
        pass
    return "done"


def transfer_secure(ledger: Ledger, audit_log: Path, sender: str, recipient: str,
                    cents: int) -> str:
    """Record the transfer first; if the record cannot be written, nothing moves."""
    with audit_log.open("a", encoding="utf-8") as log:
        log.write(f"{sender} -> {recipient}: {cents}\n")
        log.flush()
    ledger.move(sender, recipient, cents)
    return "done"


def attack(transfer: object) -> Outcome:
    """With the audit log made unwritable, Mallory moves 5,000.00 to herself."""
    ledger = Ledger({"company": 1_000_000, "mallory": 0})
    with private_tmpdir() as tmp:
        audit_log = tmp / "audit.log"
        audit_log.mkdir()  # stands in for a full disk: the append cannot happen
        try:
            answer = transfer(ledger, audit_log, "company", "mallory", 500_000)  # type: ignore[operator]
        except OSError as exc:
            answer = f"refused ({type(exc).__name__})"
        records = 0 if audit_log.is_dir() else \
            len(audit_log.read_text(encoding="utf-8").splitlines())
    moved = ledger.balances["mallory"]
    return Outcome(
        attack_succeeded=moved > 0 and records == 0,
        observed=f"transfer: {answer}; mallory now holds {moved / 100:,.2f}; audit records: "
                 f"{records}",
    )


RISK = register(
    Risk(
        id="PSB-EXCEPT-SWALLOWED",
        title="An error swallowed by except: pass",
        summary="A payment whose audit write fails silently goes through unrecorded; "
        "write the record first and let its failure stop the payment.",
        cwe=390,
        bandit=("B110",),
        modules=("builtins", "logging"),
        page="practices/errors",
        insecure=transfer_insecure,
        secure=transfer_secure,
        attack=attack,
    )
)
