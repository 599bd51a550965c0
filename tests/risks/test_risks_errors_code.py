"""Errors and code (book/practices/errors, book/practices/code): the fixed secure versions still
do their job, and the bypasses the adapted attacks found stay closed.

The adapted attacks themselves run in ``tests/test_risks.py``; these tests pin what the fixes
changed: the legitimate case still works, and the exact input of each bypass is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import broad_except as be
from pysecbook.teaching.risks import error_cleanup as ec
from pysecbook.teaching.risks import file_descriptors as fd
from pysecbook.teaching.risks import identity_comparison as ic
from pysecbook.teaching.risks import none_checks as nc
from pysecbook.teaching.risks import operator_precedence as op
from pysecbook.teaching.risks import swallowed_errors as se
from pysecbook.teaching.risks import type_confusion as tc
from pysecbook.teaching.risks import variable_reuse as vr


def test_the_task_runs_elevated_and_the_users_session_never_is() -> None:
    session = ec.Session("alice")
    seen: list[tuple[bool, bool]] = []

    def task(task_session: ec.Session) -> str:
        seen.append((task_session.elevated, session.elevated))
        return ec.delete_audit_log(task_session)

    assert ec.run_as_admin_secure(session, task) == "audit log deleted"
    assert seen == [(True, False)] and session.elevated is False


def test_an_outage_is_a_refusal_not_an_error() -> None:
    with be.policy_store_down():
        assert be.may_download_secure("alice", "payroll.xlsx") is False
    assert be.may_download_secure("alice", "payroll.xlsx") is True


def test_a_transfer_is_recorded_then_made() -> None:
    ledger = se.Ledger({"company": 1_000, "alice": 0})
    with private_tmpdir() as tmp:
        assert se.transfer_secure(ledger, tmp / "audit.log", "company", "alice", 250) == "done"
        assert (tmp / "audit.log").read_text(encoding="utf-8") == "'company' -> 'alice': 250\n"
    assert ledger.balances == {"company": 750, "alice": 250}


@pytest.mark.parametrize("cents", [-500_000, 0, float("nan"), 2.5, True, "500"])
def test_amounts_that_are_not_positive_whole_cents_are_refused_before_the_record(
        cents: object) -> None:
    ledger = se.Ledger({"company": 1_000, "mallory": 0})
    with private_tmpdir() as tmp:
        with pytest.raises(ValueError, match="positive whole number"):
            se.transfer_secure(ledger, tmp / "audit.log", "mallory", "company", cents)  # type: ignore[arg-type]
        assert not (tmp / "audit.log").exists()
    assert ledger.balances == {"company": 1_000, "mallory": 0}


def test_an_upload_is_stored_whole_and_a_failed_one_leaves_nothing() -> None:
    with private_tmpdir() as tmp:
        path = Path(fd.save_upload_secure(str(tmp), b"alice's upload"))
        assert path.read_bytes() == b"alice's upload"
        with pytest.raises(TypeError):
            fd.save_upload_secure(str(tmp), "text, not bytes")  # type: ignore[arg-type]
        assert list(tmp.iterdir()) == [path]


@pytest.mark.parametrize("header", [None, b"from=alice", 17, ["from=bob"], {"from": "x"}])
def test_a_header_that_is_not_text_is_rejected_with_the_error_the_consumer_handles(
        header: object) -> None:
    with pytest.raises(ValueError, match="not text"):
        nc.sender_of_secure(header)  # type: ignore[arg-type]


@pytest.mark.parametrize("revoked", [["tok-4f1c9a"], ("tok-4f1c9a",), {"tok-4f1c9a"},
                                     {"tok-4f1c9a": "bob"}.keys()])
def test_any_rereadable_collection_of_tokens_revokes(revoked: object) -> None:
    with pytest.raises(PermissionError):
        ic.authenticate_secure("tok-4f1c9a", revoked)  # type: ignore[arg-type]
    assert ic.authenticate_secure("tok-7d22e0", revoked) == "alice"  # type: ignore[arg-type]


@pytest.mark.parametrize("revoked", [iter(["tok-4f1c9a"]), [b"tok-4f1c9a"], "tok-4f1c9a"])
def test_a_revocation_list_that_cannot_be_compared_reliably_is_refused(revoked: object) -> None:
    with pytest.raises(TypeError):
        ic.authenticate_secure("tok-7d22e0", revoked)  # type: ignore[arg-type]


def test_a_manager_still_approves_someone_elses_expense() -> None:
    carol = vr.User("carol", is_manager=True)
    expense = vr.Expense(7, claimant="bob")
    assert vr.approve_secure(carol, expense, [vr.User("bob"), carol]) == \
        "expense 7 approved by carol"
    assert expense.approved_by == "carol"


@pytest.mark.parametrize(("user", "allowed"), [
    (op.User("alice"), True),
    (op.User("root", is_admin=True), True),
    (op.User("alice", locked=True), False),
    (op.User("root", is_admin="True"), False),  # type: ignore[arg-type]
    (op.User("alice", locked=0), False),  # type: ignore[arg-type]
])
def test_only_real_booleans_grant_deletion(user: op.User, allowed: bool) -> None:
    assert op.may_delete_secure(user, op.Record("r-1", owner="alice")) is allowed


@pytest.mark.parametrize(("email", "allowed"), [
    ("ann.lee+tickets@Partner.invalid", True),
    ("a-b_c@example.invalid", True),
    ("eve@ple.invalid@example.invalid", False),
    ("eve@ple.invalid\x00@example.invalid", False),
    ("example.invalid", False),
    ("eve@example.invalid\n", False),
    ('"eve"@example.invalid', False),
    ("eve@\u212aexample.invalid", False),
])
def test_sign_up_reads_one_plain_address(email: str, allowed: bool) -> None:
    domains = tc.ALLOWED_DOMAINS_SETTING.split(",") + [""]
    assert tc.may_sign_up_secure(email, domains) is allowed
