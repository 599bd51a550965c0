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

import errno
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


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


def transfer_first_try(ledger: Ledger, audit_log: Path, sender: str, recipient: str,
                       cents: int) -> str:
    """A first fix: move the money, record it, and move it back if the log cannot be written.

    Kept to show an adapted attack beating it: the handler names the errors of a full disk
    (``OSError``), and a record that cannot be encoded fails with ``UnicodeEncodeError``,
    after the money has moved.
    """
    ledger.move(sender, recipient, cents)
    try:
        with audit_log.open("a", encoding="utf-8") as log:
            log.write(f"{sender} -> {recipient}: {cents}\n")
    except OSError:
        ledger.move(recipient, sender, cents)
        raise
    return "done"


def transfer_secure(ledger: Ledger, audit_log: Path, sender: str, recipient: str,
                    cents: int) -> str:
    """Record the transfer first; if the record cannot be written, nothing moves.

    The amount is checked before anything is written: a positive whole number of cents (not a
    float, whose NaN passes every ``<`` test, nor a bool). The names are written with
    ``repr``, so no name can end the line or fail to encode. ``flush`` hands the record to the
    operating system before the money moves, so a full disk stops the transfer.

    Assumes: the ledger and the log are used by this one process, and the caller lets the
    exceptions this raises stop the payment (it does not retry without the record).
    Does not stop: a record lost after ``flush`` by a machine crash (``os.fsync`` on the file
    makes it durable, at a cost); a record of a transfer that ``Ledger.move`` then refuses (the
    log holds attempts, to be reconciled with the ledger); a caller that sends money it should
    not (who may pay whom is not decided here).
    """
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise ValueError(f"amount must be a positive whole number of cents, not {cents!r}")
    with audit_log.open("a", encoding="utf-8") as log:
        log.write(f"{sender!r} -> {recipient!r}: {cents}\n")
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


def _records(audit_log: Path) -> int:
    if not audit_log.is_file():
        return 0
    return len(audit_log.read_text(encoding="utf-8", errors="replace").splitlines())


def attack_unencodable_name(transfer: Callable[..., object]) -> Outcome:
    """Pay into an account whose name holds a byte that is not UTF-8 (decoded with
    ``surrogateescape``, as Python decodes file names and command lines): writing the record
    raises ``UnicodeEncodeError``, which is not an ``OSError``."""
    ledger = Ledger({"company": 1_000_000, "mallory\udcff": 0})
    with private_tmpdir() as tmp:
        audit_log = tmp / "audit.log"
        try:
            answer = transfer(ledger, audit_log, "company", "mallory\udcff", 500_000)
        except (OSError, ValueError) as exc:
            answer = f"raised {type(exc).__name__}"
        records = _records(audit_log)
    moved = ledger.balances["mallory\udcff"]
    return Outcome(moved > 0 and records == 0,
                   f"transfer: {answer}; mallory's account now holds {moved / 100:,.2f}; "
                   f"audit records: {records}")


class FullDiskLog:
    """An audit log on a full disk: opening it and writing into the buffer succeed, and the
    data reaching the disk fails with ``ENOSPC`` (what ``/dev/full`` does on Linux)."""

    class _Raw(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def open(self, mode: str = "r", encoding: str | None = None) -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BufferedWriter(self._Raw()), encoding=encoding)

    def is_file(self) -> bool:
        return False


def attack_full_disk(transfer: Callable[..., object]) -> Outcome:
    """Fill the disk that holds the audit log: the ``open`` and the ``write`` still succeed,
    into a buffer, and only the flush fails."""
    ledger = Ledger({"company": 1_000_000, "mallory": 0})
    log = FullDiskLog()
    try:
        answer = transfer(ledger, log, "company", "mallory", 500_000)
    except OSError as exc:
        answer = f"refused ({exc.strerror})"
    moved = ledger.balances["mallory"]
    return Outcome(moved > 0, f"transfer: {answer}; mallory now holds {moved / 100:,.2f}; "
                              "audit records: 0 (the disk is full)")


def attack_special_amounts(transfer: Callable[..., object]) -> Outcome:
    """Amounts the funds check cannot refuse: Mallory, who holds nothing, pays the company
    -5,000.00; then she pays it NaN (``json.loads`` reads ``NaN``), which makes her balance
    NaN, and pays 5,000.00 from it to her other account."""
    ledger = Ledger({"company": 1_000_000, "mallory": 0, "mallory-2": 0})
    steps = []
    with private_tmpdir() as tmp:
        for sender, recipient, cents in (("mallory", "company", -500_000),
                                         ("mallory", "company", float("nan")),
                                         ("mallory", "mallory-2", 500_000)):
            try:
                answer = transfer(ledger, tmp / "audit.log", sender, recipient, cents)
            except ValueError:
                answer = "refused"
            steps.append(f"{cents!r}: {answer}")
    gained = sum(v for k, v in ledger.balances.items() if k.startswith("mallory") and v > 0)
    return Outcome(gained > 0, f"{'; '.join(steps)}; mallory's accounts hold "
                               f"{gained / 100:,.2f} she never had (balances "
                               f"{ledger.balances['mallory']!r}, {ledger.balances['mallory-2']!r})")


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
        adapted=(
            AdaptedAttack("an account name that cannot be encoded, so the write raises "
                          "UnicodeEncodeError", "encoding", attack_unencodable_name,
                          beats=transfer_first_try),
            AdaptedAttack("a full disk: the open and the write succeed, the flush fails",
                          "exhaustion", attack_full_disk),
            AdaptedAttack("a negative amount, then NaN, which the funds check cannot refuse",
                          "type-confusion", attack_special_amounts),
        ),
    )
)
