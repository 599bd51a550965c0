"""Errors, concurrency and code (book/practices/errors, concurrency, code): edges and repeats."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pysecbook.teaching.risks import broad_except as be
from pysecbook.teaching.risks import deadlocks as dl
from pysecbook.teaching.risks import error_cleanup as ec
from pysecbook.teaching.risks import future_results as fr
from pysecbook.teaching.risks import iteration_mutation as im
from pysecbook.teaching.risks import none_checks as nc
from pysecbook.teaching.risks import operator_precedence as op
from pysecbook.teaching.risks import race_conditions as rc
from pysecbook.teaching.risks import thread_locals as tl
from pysecbook.teaching.risks import type_confusion as tc


def test_the_policy_still_grants_what_it_grants() -> None:
    assert be.may_download_secure("alice", "payroll.xlsx") is True
    assert be.may_download_secure("bob", "payroll.xlsx") is False


def test_rights_are_dropped_when_the_task_succeeds_too() -> None:
    session = ec.Session("mallory")
    assert ec.run_as_admin_secure(session, ec.rebuild_index, "orders") == "index orders rebuilt"
    assert session.elevated is False


def test_the_consumer_handles_a_well_formed_queue() -> None:
    assert nc.consume(nc.QUEUE[1:], nc.sender_of_secure) == ["alice: done", "bob: done",
                                                              "carol: done"]


@pytest.mark.parametrize("attempt", range(5))
def test_the_double_spend_is_certain_not_likely(attempt: int) -> None:
    assert rc.attack(rc.withdraw_insecure).attack_succeeded is True
    assert rc.attack(rc.withdraw_secure).attack_succeeded is False


def test_a_declined_payment_gives_the_reservation_back() -> None:
    account = rc.Account(10_000)

    def declining(cents: int) -> None:
        raise rc.PaymentDeclined("card blocked")

    with pytest.raises(rc.PaymentDeclined):
        rc.withdraw_secure(account, 10_000, declining)
    assert account.balance_cents == 10_000


def test_opposite_transfers_in_lock_order_finish_with_balances_kept() -> None:
    ref = f"{dl.transfer_secure.__module__}:{dl.transfer_secure.__qualname__}"
    result = dl.opposite_transfers(ref)
    assert result["stuck"] == 0 and result["balances"] == [90, 110]


def test_secure_revocation_succeeds_and_says_so_when_nothing_fails() -> None:
    revoked: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        answer = fr.revoke_all_secure(pool, ["a", "b", "c"], revoked.append)
    assert answer == "sessions of 3 accounts revoked" and sorted(revoked) == ["a", "b", "c"]


def test_the_thread_local_is_cleared_even_when_the_request_fails(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken() -> str:
        raise RuntimeError("inbox store down")

    monkeypatch.setattr(tl, "read_inbox", broken)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(RuntimeError):
            pool.submit(tl.handle_secure, {"token": "t-alice-8f2c"}).result()
        assert pool.submit(lambda: getattr(tl._CURRENT, "user", "unset")).result() is None


def test_secure_revocation_of_sessions_keeps_other_users_and_the_list_object() -> None:
    sessions = [im.Session("a", "x"), im.Session("m", "y"), im.Session("m", "z")]
    same = sessions
    assert im.revoke_sessions_secure(sessions, "m") == 2
    assert same is sessions and sessions == [im.Session("a", "x")]


@pytest.mark.parametrize(("text", "grouping"), [
    ("a or b and c", "(a or (b and c))"),
    ("(a or b) and c", "((a or b) and c)"),
    ("p & r | w", "((p & r) | w)"),
    ("not a == b", "(not a == b)"),
])
def test_grouping_shows_what_the_parser_reads(text: str, grouping: str) -> None:
    assert op.grouping(text) == grouping


def test_secure_sign_up_compares_whole_domains_of_a_real_collection() -> None:
    allowed = tc.ALLOWED_DOMAINS_SETTING.split(",")
    assert tc.may_sign_up_secure("ann@Partner.invalid", allowed) is True
    assert tc.may_sign_up_secure("eve@ple.invalid", allowed) is False
