"""Topic tests for the practices pages on input validation, code injection, databases and
OS commands: the secure versions still do their job, and each page's side demonstrations
show what the prose says they show."""

from __future__ import annotations

import base64
import contextlib
import sqlite3

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import (
    base64_decoding,
    dos_guards,
    eval_injection,
    exec_injection,
    format_strings,
    input_validation,
    redos,
    shell,
    sql,
    templates,
)


def test_secure_upload_stores_an_allowed_name() -> None:
    with private_tmpdir() as tmp:
        stored = input_validation.save_upload_secure(tmp, "report_2024.pdf", b"%PDF")
        assert stored.read_bytes() == b"%PDF"


@pytest.mark.parametrize("name", ["CON.txt", "nul.pdf", "Com1.png", "LPT9.jpg", "aux.txt"])
def test_secure_upload_refuses_windows_device_names(name: str) -> None:
    with private_tmpdir() as tmp, pytest.raises(ValueError, match="not allowed"):
        input_validation.save_upload_secure(tmp, name, b"data")


def test_secure_upload_refuses_a_name_already_taken() -> None:
    with private_tmpdir() as tmp:
        input_validation.save_upload_secure(tmp, "console.txt", b"first")
        with pytest.raises(ValueError, match="already exists"):
            input_validation.save_upload_secure(tmp, "console.txt", b"second")
        assert (tmp / "console.txt").read_bytes() == b"first"


def test_every_bypass_passes_the_denylist_and_fails_the_allowlist() -> None:
    names = input_validation.BYPASSES
    insecure = input_validation.try_names(input_validation.save_upload_insecure, names)
    secure = input_validation.try_names(input_validation.save_upload_secure, names)
    assert all(result.startswith("stored") for _, result in insecure)
    assert all(result.startswith("refused") for _, result in secure)
    assert dict(insecure)["....//escaped.txt"] == "stored as 'escaped.txt'"


@pytest.mark.parametrize("address", ["a.b+tag@example.org", "x@example.co.uk"])
def test_secure_email_validator_accepts_ordinary_addresses(address: str) -> None:
    assert redos.is_valid_email_secure(address)
    assert redos.is_valid_email_insecure("a.b+tag@example.org")


@pytest.mark.parametrize("address", ["no-at-sign", "a@b", "a" * 300 + "@example.org"])
def test_secure_email_validator_refuses(address: str) -> None:
    assert not redos.is_valid_email_secure(address)


def test_secure_authentication_accepts_an_issued_token_only() -> None:
    token = base64.b64encode(base64_decoding.ALICE_TOKEN_BYTES).decode()
    assert base64_decoding.authenticate_secure(token) == "alice"
    for refused in (base64_decoding.STOLEN_TOKEN,  # revoked
                    base64.b64encode(b"apikey:alice:0001").decode(),  # never issued
                    "YWxp\u00e9"):  # not ASCII
        with pytest.raises(PermissionError):
            base64_decoding.authenticate_secure(refused)


def test_strict_base64_is_still_not_canonical() -> None:
    # What the page says: validate=True does not check the unused bits.
    assert base64.b64decode("QR==", validate=True) == base64.b64decode("QQ==") == b"A"


def test_secure_parsers_accept_ordinary_values() -> None:
    assert dos_guards.parse_amount_secure("12345") == 12345
    assert dos_guards.count_unique_ids_secure(["1", "2", "2"]) == 2
    with pytest.raises(ValueError, match="not an account id"):
        dos_guards.count_unique_ids_secure([1, 2])  # type: ignore[list-item]
    assert eval_injection.parse_setting_secure("{'a': [1, 2]}") == {"a": [1, 2]}
    assert exec_injection.load_config_secure("retries = 3\n") == {"retries": 3}
    with pytest.raises(ValueError):
        eval_injection.parse_setting_secure("1" * 2_000)


def test_digit_limit_is_on_by_default_in_a_child() -> None:
    default = dos_guards.int_parse_in_child(5_000)
    assert default.raised == "ValueError"
    unlimited = dos_guards.int_parse_in_child(5_000, ("-X", "int_max_str_digits=0"))
    assert unlimited.raised is None and unlimited.value == (10**5000 - 1).bit_length()


def test_hash_seed_zero_is_reproducible() -> None:
    env = {"PYTHONHASHSEED": "0"}
    assert dos_guards.hash_in_child("x", env) == dos_guards.hash_in_child("x", env)
    assert hash(7 * dos_guards.HASH_MODULUS) == 0


def test_literal_eval_fails_on_long_hostile_input_in_a_child() -> None:
    assert eval_injection.literal_eval_in_child("-" * 100_000 + "1").raised == "MemoryError"


def test_secure_renderers_render_ordinary_input() -> None:
    alice = format_strings.Customer("alice")
    assert format_strings.render_greeting_secure("Hi $name", alice) == "Hi alice"
    assert "<p>Nice &amp; useful</p>" in templates.render_comment_secure("Nice & useful")


def test_secure_query_returns_the_customers_own_orders() -> None:
    with contextlib.closing(sql.shop_database()) as conn:
        assert sql.orders_for_secure(conn, "alice") == [("alice", "laptop", "4242")]


def test_report_layers_match_the_page() -> None:
    rows = {(setup, attack[:6]): result for setup, attack, result in sql.report_layers()}
    assert rows[("mode=ro only", "UPDATE")].startswith("refused")
    assert rows[("mode=ro only", "ATTACH")].startswith("copy.db written")
    assert all(rows[("mode=ro + authorizer", a)].startswith("refused") for a in ("UPDATE", "ATTACH"))


def test_secure_report_reads() -> None:
    with private_tmpdir() as tmp:
        db_path = str(tmp / "shop.db")
        sql.shop_database(db_path).close()
        assert len(sql.run_report_secure(db_path, "SELECT * FROM accounts")) == 3
        with pytest.raises(sqlite3.DatabaseError):
            sql.run_report_secure(db_path, "DELETE FROM accounts")


def test_secure_byte_count_counts_and_treats_options_as_names() -> None:
    with private_tmpdir() as tmp:
        (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
        assert shell.byte_count_secure(str(tmp), "notes.txt") == "6 notes.txt"
        assert "No such file" in shell.byte_count_secure(str(tmp), "--version")


def test_sanitised_comments_keep_the_allowed_markup_and_lose_the_rest() -> None:
    from pysecbook.teaching.risks import templates

    honest, attack = (templates.sanitize_comment_html(c) for c in templates.RICH_COMMENTS)
    assert '<b>very</b>' in honest and 'href="https://docs.python.org/3/"' in honest
    assert attack == ("<article class='comment'><p>Nice <a rel=\"noopener noreferrer\">post</a>"
                      "</p></article>")


def test_secure_order_query_sorts_from_its_allowlist_only() -> None:
    with contextlib.closing(sql.shop_database()) as conn:
        assert [r[1] for r in sql.orders_for_secure(conn, "mallory")] == ["eraser", "pencil"]
        assert sql.orders_for_secure(conn, "alice", "card") == [("alice", "laptop", "4242")]
        for sort in ("rowid", "item DESC", "ITEM", ["item"], "card_last4"):
            with pytest.raises(ValueError, match="unknown sort"):
                sql.orders_for_secure(conn, "mallory", sort)  # type: ignore[arg-type]
        assert sql.orders_for_secure(conn, "%") == []


def test_secure_report_is_limited_in_time_size_and_rows() -> None:
    with private_tmpdir() as tmp:
        db_path = str(tmp / "shop.db")
        sql.shop_database(db_path).close()
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            sql.run_report_secure(db_path, sql.ENDLESS_REPORT, time_limit=0.2)
        with pytest.raises(sqlite3.DataError, match="too big"):
            sql.run_report_secure(db_path, "SELECT randomblob(2000000)")
        with pytest.raises(sqlite3.DataError, match="more than"):
            sql.run_report_secure(db_path, "SELECT 1 FROM orders a, orders b, orders c, "
                                           "orders d, orders e, orders f, orders g")
        with pytest.raises(sqlite3.DatabaseError):
            sql.run_report_secure(db_path, f"VACUUM INTO '{tmp / 'copy.db'}'")
        assert sorted(p.name for p in tmp.iterdir()) == ["shop.db"]
        assert sql.run_report_secure(db_path, "SELECT count(*) FROM orders") == [(4,)]


def test_secure_byte_count_reads_no_stdin_and_passes_no_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_API_TOKEN", "tok-from-the-test")
    with private_tmpdir() as tmp:
        assert shell.byte_count_secure(str(tmp), "-") == "0 -"
        out = shell.byte_count_secure(str(tmp), "--files0-from=/proc/self/environ")
    assert "tok-from-the-test" not in out and "No such file" in out
