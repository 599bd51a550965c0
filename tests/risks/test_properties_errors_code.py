"""Properties of the secure code of book/practices/errors and book/practices/code, stated as the
attacker's goal.

The adapted attacks in the risk modules are the inputs a person thought of. Hypothesis builds
others from the same pieces: values of another type than the one expected (``None``, bytes, a
list, ``"False"``, NaN, a huge int), exceptions that are not ``Exception`` s, names that cannot
be encoded, a second ``@``, a generator where a list was meant, and failures of the disk or
the log in the middle of the operation.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import broad_except as be
from pysecbook.teaching.risks import error_cleanup as ec
from pysecbook.teaching.risks import file_descriptors as fd
from pysecbook.teaching.risks import finally_return as fr
from pysecbook.teaching.risks import identity_comparison as ic
from pysecbook.teaching.risks import iteration_mutation as im
from pysecbook.teaching.risks import none_checks as nc
from pysecbook.teaching.risks import operator_precedence as op
from pysecbook.teaching.risks import return_values as rv
from pysecbook.teaching.risks import swallowed_errors as se
from pysecbook.teaching.risks import type_confusion as tc
from pysecbook.teaching.risks import variable_reuse as vr

#: What a JSON body, a form or a text export can put where a string or a flag was expected.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=2),
    max_leaves=4)
#: Flags as a text export or a lookup that did not answer delivers them.
FLAGS = st.one_of(st.booleans(), st.sampled_from(("False", "True", "false", "no", "0", "",
                                                  None, 0, 1, float("nan"))))


# --- errors: the decision that a handler makes ------------------------------------------

USERS = st.one_of(st.sampled_from(("alice", "bob", "carol", "Alice", "alice ", "", "bob\x00")),
                  JSON)
DOCUMENTS = st.one_of(st.sampled_from(("payroll.xlsx", "q3-report.pdf", "PAYROLL.xlsx")), JSON)


@given(USERS, DOCUMENTS, st.booleans())
def test_no_input_makes_may_download_allow_a_download_the_policy_denies(
        user: object, document: object, store_down: bool) -> None:
    """Goal: a download the policy does not grant, by any user name or document of any JSON
    type, with the policy store up or made to fail. An exception is a refusal."""
    with be.policy_store_down() if store_down else contextlib.nullcontext():
        try:
            answer = be.may_download_secure(user, document)  # type: ignore[arg-type]
        except Exception:  # the request fails; nothing is downloaded
            return
    granted = (not store_down and isinstance(user, str) and user in be.POLICY
               and isinstance(document, str) and document in be.POLICY[user])
    assert answer is granted, (user, document, store_down, answer)


def _exception(kind: str) -> BaseException | None:
    return {
        "returns": None,
        "ValueError": ValueError("bad index name"),
        "UnicodeEncodeError": UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates"),
        "SystemExit": SystemExit(2),
        "KeyboardInterrupt": KeyboardInterrupt(),
        "GeneratorExit": GeneratorExit(),
        "RecursionError": RecursionError("maximum recursion depth exceeded"),
        "MemoryError": MemoryError(),
        "CancelledError": __import__("asyncio").CancelledError(),
    }[kind]


@given(st.sampled_from(("returns", "ValueError", "UnicodeEncodeError", "SystemExit",
                        "KeyboardInterrupt", "GeneratorExit", "RecursionError", "MemoryError",
                        "CancelledError")),
       st.lists(st.sampled_from(("orders", "orders; drop", "orders\udcff", "--full", "")),
                max_size=2))
def test_no_way_a_task_ends_leaves_an_elevated_session(kind: str, args: list[str]) -> None:
    """Goal: an elevated session, the user's own or the one the task was given (and kept),
    after run_as_admin_secure returns or raises, whatever the task raises, an exception that
    is not an ``Exception`` included."""
    session = ec.Session("mallory")
    given_to_task: list[ec.Session] = []
    error = _exception(kind)

    def task(task_session: ec.Session, *task_args: str) -> str:
        given_to_task.append(task_session)
        assert task_session.elevated is True  # the task does run with the rights
        if error is not None:
            raise error
        return "done"

    raised: BaseException | None = None
    try:
        ec.run_as_admin_secure(session, task, *args)
    except BaseException as exc:  # the property is about every way out
        raised = exc
    assert session.elevated is False, (kind, args)
    assert given_to_task and all(s.elevated is False for s in given_to_task), (kind, args)
    assert raised is error  # and the caller hears of the task's failure, unchanged


NAMES = st.sampled_from(("company", "mallory", "mallory\udcff", "mallory\n", "bob",
                         "company -> mallory: 1", ""))
AMOUNTS = st.one_of(st.integers(-2_000_000, 2_000_000), st.floats(allow_nan=True),
                    st.booleans(), st.sampled_from(("500", None, 10**5000, 0)))
LOGS = st.sampled_from(("file", "directory", "full disk"))


@given(NAMES, NAMES, AMOUNTS, LOGS)
def test_no_transfer_moves_money_unrecorded_or_money_that_was_not_there(
        sender: str, recipient: str, cents: object, log_kind: str) -> None:
    """Goal: money that moves with no record of the transfer (an unwritable log, a full disk,
    a name that cannot be encoded), or money that was never the sender's (a negative amount,
    NaN, a bool). An exception that stops the transfer is a refusal."""
    ledger = se.Ledger({"company": 1_000_000, "mallory": 0})
    before = dict(ledger.balances)
    with private_tmpdir() as tmp:
        log: object = tmp / "audit.log"
        if log_kind == "directory":
            (tmp / "audit.log").mkdir()
        elif log_kind == "full disk":
            log = se.FullDiskLog()
        with contextlib.suppress(Exception):  # a refusal; what moved is checked below
            se.transfer_secure(ledger, log, sender, recipient, cents)  # type: ignore[arg-type]
        path = tmp / "audit.log"
        records = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    balances = {k: v for k, v in ledger.balances.items() if v != 0 or k in before}
    assert all(type(v) is int and v >= 0 for v in balances.values()), balances
    assert sum(balances.values()) == sum(before.values())
    if balances != before:
        assert len(records) == 1 and str(cents) in records[0], (records, balances)


def _open_descriptors() -> int:
    return len(os.listdir("/dev/fd"))


BODIES = st.one_of(st.binary(max_size=64), st.text(max_size=8), st.none(), st.integers(),
                   st.lists(st.integers(0, 255), max_size=3), st.binary(max_size=8).map(bytearray),
                   st.binary(max_size=8).map(memoryview))


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd to count descriptors")
@given(BODIES)
def test_no_upload_leaves_a_descriptor_open_or_a_file_nobody_was_given(body: object) -> None:
    """Goal: a descriptor left open, or a file left in the upload directory under a name the
    service never returned, by an upload of any type, including one whose write fails."""
    with private_tmpdir() as tmp:
        before = _open_descriptors()
        try:
            path = fd.save_upload_secure(str(tmp), body)  # type: ignore[arg-type]
        except Exception:
            path = None
        assert _open_descriptors() == before, body
        assert sorted(os.listdir(tmp)) == ([os.path.basename(path)] if path else []), body


# --- errors: verification whose verdict must decide ---------------------------------------

PAYMENTS = st.fixed_dictionaries({"id": st.integers(1, 99),
                                  "to": st.sampled_from(("mallory", "bob")),
                                  "amount": st.sampled_from(("10.00", "9999.00"))})
FORGERIES = st.sampled_from(("other payment", "changed amount", "added field", "upper case",
                             "truncated", "zeros", "empty", "non-ASCII", "missing", "None",
                             "number", "list", "genuine"))


def _forge(payment: dict[str, object], other: dict[str, object], how: str) -> dict[str, object]:
    genuine = fr.sign(payment)
    forged: dict[str, object] = dict(payment)
    forged["signature"] = {
        "other payment": fr.sign(other), "upper case": genuine.upper(),
        "truncated": genuine[:32], "zeros": "0" * 64, "empty": "", "non-ASCII": "é" * 64,
        "None": None, "number": 0, "list": [genuine], "genuine": genuine,
        "changed amount": genuine, "added field": genuine, "missing": genuine,
    }[how]
    if how == "changed amount":
        forged["amount"] = "99999.00"
    elif how == "added field":
        forged["fee"] = "0.00"
    elif how == "missing":
        del forged["signature"]
    return forged


@given(PAYMENTS, PAYMENTS, FORGERIES)
def test_no_payment_comes_back_verified_unless_signed_as_sent(
        payment: dict[str, object], other: dict[str, object], how: str) -> None:
    """Goal: a payment returned as verified whose signature is not the provider's signature of
    exactly this payment (another payment's, changed, truncated, of another type, absent)."""
    forged = _forge(payment, other, how)
    try:
        fr.verified_payment_secure(forged)
    except Exception:  # refused: the caller executes nothing
        return
    assert forged.get("signature") == fr.sign(forged), (how, forged)


NOTIFICATIONS = st.builds(lambda order, status: json.dumps({"order": order, "status": status}),
                          st.integers(1, 9), st.sampled_from(("paid", "pending", "refunded")))
WEBHOOK_SIGNATURES = st.sampled_from(("own", "other", "upper", "truncated", "zeros", "empty",
                                      "non-ASCII", "bytes", "None", "spaced body"))


@given(NOTIFICATIONS, NOTIFICATIONS, WEBHOOK_SIGNATURES)
def test_no_notification_is_accepted_without_its_own_signature(
        text: str, other: str, how: str) -> None:
    """Goal: a notification accepted with any signature but the provider's signature of its
    exact bytes."""
    body, own = text.encode(), rv.signature_of(text.encode())
    signature: object = {
        "own": own, "other": rv.signature_of(other.encode()), "upper": own.upper(),
        "truncated": own[:40], "zeros": "0" * 64, "empty": "", "non-ASCII": "é" * 64,
        "bytes": own.encode(), "None": None, "spaced body": own,
    }[how]
    if how == "spaced body":
        body += b" "
    try:
        event = rv.accept_webhook_secure(body, signature)  # type: ignore[arg-type]
    except Exception:
        return
    assert signature == rv.signature_of(body), (how, event)


HEADER_STARTS = st.sampled_from(("from=", "FROM=", " from=", "\ufefffrom=", "from:", "", "from"))
HEADER_NAMES = st.sampled_from(("alice", "\u0430lice", "\uff41lice", "", "x" * 40, "\x00alice",
                                "mallory"))
HEADER_ENDS = st.sampled_from(("", "; body=x", "\n", "\r\nfrom=bob", "\udcff"))
HEADERS = st.one_of(st.tuples(HEADER_STARTS, HEADER_NAMES, HEADER_ENDS).map("".join), JSON,
                    st.binary(max_size=12))


@given(st.lists(HEADERS, max_size=4))
def test_no_message_stops_the_consumer_or_is_given_a_sender_it_does_not_name(
        poison: list[object]) -> None:
    """Goal: a consumer stopped by messages queued ahead of other people's (a header of any
    type, or text that nearly matches), or a message handled under a sender its header does
    not start with."""
    handled = nc.consume([*poison, *nc.QUEUE[1:]], nc.sender_of_secure)  # type: ignore[list-item]
    assert handled[len(poison):] == ["alice: done", "bob: done", "carol: done"]
    for header, result in zip(poison, handled):
        if result.endswith(": done"):
            sender = result.removesuffix(": done")
            assert isinstance(header, str) and header.startswith(f"from={sender}"), header


# --- code: comparisons, loops, names and types -----------------------------------------

BOB_TOKEN = "tok-4f1c9a"
SPELLINGS = st.sampled_from((BOB_TOKEN, BOB_TOKEN.upper(), f" {BOB_TOKEN}", f"{BOB_TOKEN}\n",
                             f"{BOB_TOKEN}\x00", "tok-4f1c9\u0430", "tok-7d22e0"))
REVOKED_SHAPES = st.sampled_from(("list", "tuple", "set", "dict", "generator", "map", "bytes",
                                  "text", "lines with newlines"))


def _revoked(shape: str) -> object:
    text = ic.REVOCATION_FILE
    lines = [line.strip() for line in text.splitlines()]
    return {
        "list": lines, "tuple": tuple(lines), "set": set(lines), "dict": dict.fromkeys(lines),
        "generator": (line for line in lines), "map": map(str.strip, text.splitlines()),
        "bytes": [line.encode() for line in lines], "text": text,
        "lines with newlines": __import__("io").StringIO(text),
    }[shape]


@given(SPELLINGS, REVOKED_SHAPES, st.booleans())
def test_no_request_signs_in_as_bob_once_his_token_is_revoked(
        token: str, shape: str, earlier_request: bool) -> None:
    """Goal: Bob's session, with his revoked token in any spelling, whatever shape the
    revocation list was given in (a generator another request may have read first, bytes,
    the file's text)."""
    revoked = _revoked(shape)
    if earlier_request:
        with contextlib.suppress(Exception):
            ic.authenticate_secure("tok-7d22e0", revoked)  # type: ignore[arg-type]
    try:
        user = ic.authenticate_secure(token, revoked)  # type: ignore[arg-type]
    except (PermissionError, KeyError, TypeError):
        return
    assert user != "bob", (token, shape, earlier_request)


SESSION_LISTS = st.lists(st.builds(im.Session, st.sampled_from(("mallory", "alice", "bob")),
                                   st.sampled_from(("laptop", "phone"))), max_size=12)


@given(SESSION_LISTS)
def test_no_session_of_the_revoked_user_survives_in_the_servers_table(
        table: list[im.Session]) -> None:
    """Goal: a session of Mallory's still in the server's table (the list object it holds)
    after her sessions are revoked, in any order and number; nobody else's is lost."""
    expected = [s for s in table if s.user != "mallory"]
    mallorys = len(table) - len(expected)
    removed = im.revoke_sessions_secure(table, "mallory")
    assert table == expected, table  # the list passed in, which the server holds
    assert removed == mallorys


MEMBERS = st.lists(st.tuples(st.sampled_from(("mallory", "bob", "carol")), FLAGS),
                   min_size=1, max_size=4)


@given(MEMBERS, st.sampled_from(("mallory", "bob", "carol")), st.sampled_from(("mallory", "bob")))
def test_no_generated_team_lets_a_non_manager_or_the_claimant_approve(
        members: list[tuple[str, object]], requester: str, claimant: str) -> None:
    """Goal: an expense approved by someone who is not a manager of the team (whose flag is
    text, ``None``, a number) or by its own claimant."""
    team = [vr.User(name, is_manager=flag) for name, flag in members]  # type: ignore[arg-type]
    user = next((m for m in team if m.name == requester), vr.User(requester))
    expense = vr.Expense(1, claimant=claimant)
    try:
        vr.approve_secure(user, expense, team)
    except PermissionError:
        return
    assert requester != claimant
    assert any(m.name == requester and m.is_manager is True for m in team), members
    assert expense.approved_by == requester


@given(st.sampled_from(("ops-admin", "alice", "", "mallory")), FLAGS, FLAGS,
       st.sampled_from(("alice", "", "mallory")))
def test_no_generated_account_deletes_a_record_the_rule_does_not_give_it(
        name: str, is_admin: object, locked: object, owner: str) -> None:
    """Goal: a record deleted by an account that is locked, or whose lock state is unknown,
    or that is neither an administrator (``True`` itself) nor the record's named owner."""
    user = op.User(name, is_admin=is_admin, locked=locked)  # type: ignore[arg-type]
    allowed = op.may_delete_secure(user, op.Record("r-1", owner=owner))
    assert type(allowed) is bool
    if allowed:
        assert locked is False and (is_admin is True or (owner != "" and name == owner))
    if locked is False and is_admin is True:
        assert allowed  # an unlocked administrator still may


LOCAL_PARTS = st.sampled_from(("eve", "ann.lee", "", "a+b", '"eve"', "eve@ple.invalid",
                               "eve\x00", " eve", "\uff45ve"))
ATS = st.sampled_from(("@", "", "@@", "\x00@", "\r\n@", " @"))
DOMAINS = st.sampled_from(("example.invalid", "EXAMPLE.invalid", "ple.invalid",
                           "example.invalid.", "evil.example.invalid", "partner.invalid\n",
                           "\u0435xample.invalid", "example.invalid@ple.invalid", "",
                           "\u212aelvin.invalid", "kelvin.invalid"))
TAILS = st.sampled_from(("", "\n", " ", "\x00", "@ple.invalid", "@example.invalid"))
ADDRESSES = st.tuples(LOCAL_PARTS, ATS, DOMAINS, TAILS).map("".join)
ALLOWLISTS = st.sampled_from((["example.invalid", "partner.invalid"],
                              ["example.invalid", "partner.invalid", ""],
                              ("example.invalid", "kelvin.invalid"), {"Partner.invalid"},
                              "example.invalid,partner.invalid"))


@given(ADDRESSES, ALLOWLISTS)
def test_no_generated_address_signs_up_unless_it_is_one_address_at_an_allowed_domain(
        email: str, allowed: object) -> None:
    """Goal: sign-up granted to a string that is not one plain address (one local part, one
    ``@``, one domain, printable ASCII) whose domain is one of the allowed domains."""
    try:
        granted = tc.may_sign_up_secure(email, allowed)  # type: ignore[arg-type]
    except TypeError:
        return
    if not granted:
        return
    local, _, domain = email.partition("@")
    assert local and '"' not in local and "@" not in domain, email
    assert all(c.isascii() and c.isprintable() and not c.isspace() for c in email), email
    assert domain.lower() in {d.lower() for d in allowed if d}, (email, allowed)  # type: ignore[attr-defined]
