"""Properties of the secure logging, command, database and access-control code
(book/practices/logging, os-commands, database, access-control), each stated as the
attacker's goal.

The adapted attacks in the risk modules are the inputs a person thought of; Hypothesis
composes inputs from the same pieces (line breaks, terminal escapes, format characters,
credential names and encodings, SQL fragments, shell syntax, role and path spellings) in
orders nobody wrote down.
"""

from __future__ import annotations

import ast
import base64
import json
import logging
import os
import sqlite3
import urllib.parse
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import access_control as ac
from pysecbook.teaching.risks import client_side_values as cv
from pysecbook.teaching.risks import log_injection as li
from pysecbook.teaching.risks import log_redaction as lr
from pysecbook.teaching.risks import logging_listener as ll
from pysecbook.teaching.risks import shell
from pysecbook.teaching.risks import sql

# --- Log injection -------------------------------------------------------------------------

#: What an attacker splices into a user name: every kind of line break, terminal escapes,
#: other controls, format characters, lone surrogates, odd spaces, and the text of a record.
BREAKS = st.sampled_from(("\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85",
                          "\u2028", "\u2029"))
CONTROLS = st.sampled_from(("\x1b[2K", "\x1b[1G", "\x1b]0;title\x07", "\x9b2K", "\x00", "\x7f",
                            "\t", "\b", "\x1b"))
FORMAT_CHARS = st.sampled_from(("\u202e", "\u202c", "\u200b", "\u2060", "\ufeff", "\u061c",
                                "\u2066", "\u00ad", "\U000e0041"))
ODD = st.sampled_from(("\ud800", "\udfff", "\u00a0", "\u3000", "\U0010ffff", "\u0378"))
WORDS = st.sampled_from(("mallory", li.FORGED_LINE, "admin", " ", "\\n", "'", '"', "%s", "%(x)s"))
USER_NAMES = st.lists(st.one_of(BREAKS, CONTROLS, FORMAT_CHARS, ODD, WORDS), max_size=8).map("".join)


@given(USER_NAMES)
def test_no_user_name_forges_hides_or_drops_a_record(name: str) -> None:
    """Goal: a second line, a character a reader does not see as written, or no line at all.
    The secure call writes exactly one printable line to a UTF-8 log file, and the name in
    it reads back exactly as typed."""
    lines, failures = li.utf8_file_lines(lambda log: li.record_failed_login_secure(log, name))
    assert failures == [] and len(lines) == 1, (name, lines, failures)
    line = lines[0]
    assert line.isprintable(), line
    prefix = "WARNING auth: login failed for "
    assert line.startswith(prefix)
    assert ast.literal_eval(line[len(prefix):]) == name


@given(USER_NAMES, USER_NAMES)
def test_escaping_formatter_writes_one_printable_line_per_record(name: str, reason: str) -> None:
    """Goal: a line that starts like a record, or an unprintable character, through the
    message, an ``extra`` field or an exception's message. Every line the escaping formatter
    writes is printable, and every line after a record's first is a marked continuation."""
    formatter = li.ControlCharEscapingFormatter(li.LOG_FORMAT + " [client %(client)s]")

    def action(log: logging.Logger) -> None:
        try:
            raise ValueError(reason)
        except ValueError:
            log.exception("login failed for %s", name, extra={"client": name})

    lines = li.capture_log(action, lambda stream: li.plain_handler(stream, formatter))
    assert lines[0].startswith("ERROR auth: login failed for ") and lines[0].isprintable(), lines
    for line in lines[1:]:
        assert line.startswith(formatter.CONTINUATION) and line.isprintable(), (line, lines)


# --- Secrets in logs -----------------------------------------------------------------------

#: A credential's name as applications and HTTP spell it, with the separators and schemes
#: that come between it and its value, and the encodings a log line may carry it in.
NAMES = st.sampled_from(("Authorization", "authorization", "Proxy-Authorization", "Cookie",
                         "Set-Cookie", "X-Api-Key", "api_key", "apiKey", "password", "passwd",
                         "access_token", "X-Auth-Token", "session", "sessionid", "client_secret",
                         "refresh_token", "csrftoken", "private_key", "signature", "pwd"))
SEPARATORS = st.sampled_from((": ", "=", "':'", "': '", '": "', '\\": \\"', "%3D", "%253D",
                              " = ", ":", "%3A"))
SCHEMES = st.sampled_from(("", "Bearer ", "Basic ", "Token ", "Digest ", "theme=dark; sid="))
#: Random credentials; the "Q9" start keeps one from being a piece of the surrounding text.
SECRETS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789",
                  min_size=10, max_size=24).map(lambda text: "Q9" + text)
ENCODINGS = st.sampled_from(("plain", "json", "json twice", "percent", "base64", "base64 glued"))
PLACES = st.sampled_from(("message", "argument", "mapping", "nested mapping", "exception"))


def _encoded(text: str, encoding: str) -> str:
    if encoding == "json":
        return json.dumps({"line": text})
    if encoding == "json twice":
        return json.dumps({"body": json.dumps({"line": text})})
    if encoding == "percent":
        return "next=" + urllib.parse.quote(text, safe="")
    if encoding == "base64":
        return "raw " + base64.b64encode(text.encode()).decode()
    if encoding == "base64 glued":
        return "raw:X" + base64.urlsafe_b64encode(text.encode()).decode()
    return text


@given(NAMES, SEPARATORS, SCHEMES, SECRETS, ENCODINGS, PLACES)
def test_no_named_credential_reaches_the_log(name: str, sep: str, scheme: str, secret: str,
                                             encoding: str, place: str) -> None:
    """Goal: a credential, stored under a name the filter knows, in the log, in any encoding
    and by any route into the record. Neither the credential nor an encoded blob that holds
    it is written."""
    text = _encoded(f"{name}{sep}{scheme}{secret}", encoding)

    def action(log: logging.Logger) -> None:
        if place == "message":
            log.info("upstream said " + text)
        elif place == "argument":
            log.info("upstream said %s", text)
        elif place == "mapping":
            log.info("request %s", {name: scheme + secret, "note": text})
        elif place == "nested mapping":
            log.info("request %s", {"headers": [{name: scheme + secret}], "raw": text})
        else:
            try:
                raise RuntimeError(text)
            except RuntimeError:
                log.exception("upstream call failed")

    written = "\n".join(lr.capture_log(action, lr.make_handler_secure))
    assert secret not in written, written
    if encoding.startswith("base64"):
        assert text.split()[-1].split(":X")[-1] not in written, written


@given(SECRETS, st.sampled_from(("", "Bearer ", "token for alice: ", "id=")), ENCODINGS)
def test_no_service_token_reaches_the_log_under_any_name(secret: str, before: str,
                                                         encoding: str) -> None:
    """Goal: one of this service's own tokens (``psb_live_...``) in the log, named or not."""
    token = f"psb_live_{secret}"
    text = _encoded(before + token, encoding)
    written = "\n".join(lr.capture_log(lambda log: log.info("%s", text), lr.make_handler_secure))
    assert token not in written, written


# --- The logging configuration listener ----------------------------------------------------

BODIES = st.binary(min_size=0, max_size=64)
SERVICES = st.sampled_from((ll.SERVICE, ll.OTHER_SERVICE, "", "orders", "orders-api\0"))


@given(BODIES, SERVICES, st.integers(min_value=0, max_value=200), st.integers(0, 255),
       st.sampled_from(("flip", "truncate", "extend", "replay", "other service", "stale",
                        "future")))
def test_no_altered_replayed_or_misaddressed_configuration_is_accepted(
        body: bytes, service: str, position: int, byte: int, change: str) -> None:
    """Goal: the listener applies a configuration its operators did not send to this
    service just now. A fresh, signed configuration is accepted once; the same bytes again,
    any flipped, cut or added byte, another service's signature, or a stale or future
    signing time are refused."""
    # patch.dict puts the environment back as it was, a value set before the test included
    with mock.patch.dict(os.environ, {ll.KEY_ENV: ll.DEMO_KEY}):
        verify = ll.SignedConfigVerifier(ll.SERVICE)
        now = ll.time.time_ns()
        signed = ll.sign_config(body, ll.DEMO_KEY, ll.SERVICE, now)
        if change == "flip":
            index = position % len(signed)
            bad = signed[:index] + bytes([signed[index] ^ (byte or 1)]) + signed[index + 1:]
        elif change == "truncate":
            bad = signed[: position % len(signed)]
        elif change == "extend":
            bad = signed + bytes([byte])
        elif change == "other service":
            if service == ll.SERVICE:
                service = ll.OTHER_SERVICE
            bad = ll.sign_config(body, ll.DEMO_KEY, service, now)
        elif change == "stale":
            bad = ll.sign_config(body, ll.DEMO_KEY, ll.SERVICE, now - (61 + position) * 10**9)
        elif change == "future":
            bad = ll.sign_config(body, ll.DEMO_KEY, ll.SERVICE, now + (6 + position) * 10**9)
        else:
            assert verify(signed) == body
            bad = signed
        assert verify(bad) is None, change


# --- Shell commands ------------------------------------------------------------------------

#: What an attacker puts in a "file name": shell syntax, options, globs, stdin, paths.
NAME_PIECES = st.sampled_from(("-", "--", "--files0-from=/proc/self/environ", "*", "?", "[a-z]*",
                               "$(touch pwned)", "`touch pwned`", ";touch pwned",
                               "\ntouch pwned", "|touch pwned", "&touch pwned", ">pwned",
                               "notes.txt", "~", "$HOME", "-c", "--version", " ", "'", '"',
                               "\\"))
FILE_NAMES = st.lists(NAME_PIECES, min_size=1, max_size=4).map("".join)


@given(FILE_NAMES)
def test_no_file_name_runs_a_command_or_reaches_another_file(name: str) -> None:
    """Goal: a second command (a file ``pwned`` appears), another user's file named in the
    output (a glob), or the service's environment. Only ``notes.txt`` can be counted."""
    with private_tmpdir() as tmp:
        (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
        (tmp / "bob-salaries-2025.csv").write_text("bob,52000\n", encoding="utf-8")
        before = sorted(p.name for p in tmp.iterdir())
        try:
            output = shell.byte_count_secure(str(tmp), name)
        except ValueError:  # a NUL byte or the like, refused by subprocess
            output = ""
        assert sorted(p.name for p in tmp.iterdir()) == before, name
    assert "bob-salaries" not in output and "PATH=" not in output, (name, output)


# --- SQL -----------------------------------------------------------------------------------

CUSTOMER_PIECES = st.sampled_from(("mallory", "alice", "MALLORY", "'", "%", "_", " OR '1'='1",
                                   "--", ";", "\\", "/*", "*/", "\u02bc", "\uff07", " ", "\x00"))
CUSTOMERS = st.lists(CUSTOMER_PIECES, max_size=4).map("".join)
SORTS = st.one_of(
    st.sampled_from(tuple(sql.ORDERS_QUERIES)),
    st.lists(st.sampled_from(("item", "card", "card_last4", "ITEM", " ", "--", "rowid", ",",
                              "1", "DESC", "CASE WHEN 1 THEN item END", "(SELECT 1)")),
             min_size=1, max_size=3).map("".join),
)
ALL_ORDERS = [("alice", "laptop", "4242"), ("bob", "guitar", "1881"),
              ("mallory", "pencil", "0007"), ("mallory", "eraser", "0007")]


@given(CUSTOMERS, SORTS)
def test_the_order_query_returns_exactly_the_named_customers_rows(customer: str, sort: str) -> None:
    """Goal: another customer's row, or an order of rows that carries information (an
    expression in ORDER BY). A sort outside the allowlist is refused; otherwise the rows are
    exactly the named customer's, sorted by the chosen column."""
    with sql.contextlib.closing(sql.shop_database()) as conn:
        try:
            rows = sql.orders_for_secure(conn, customer, sort)
        except ValueError:
            assert sort not in sql.ORDERS_QUERIES
            return
    assert sort in sql.ORDERS_QUERIES, sort
    assert sorted(rows) == sorted(r for r in ALL_ORDERS if r[0] == customer), (customer, rows)
    column = 1 if sort == "item" else 2
    assert [r[column] for r in rows] == sorted(r[column] for r in rows)


STATEMENTS = st.sampled_from((
    "UPDATE accounts SET balance = 0", "DELETE FROM orders", "DROP TABLE orders",
    "INSERT INTO accounts VALUES ('x', 1)", "REPLACE INTO accounts VALUES ('mallory', 9)",
    "ATTACH DATABASE '{dir}/x.db' AS x", "VACUUM INTO '{dir}/y.db'", "VACUUM",
    "PRAGMA journal_mode = WAL", "PRAGMA user_version = 7", "CREATE TABLE t (x)",
    "CREATE TEMP TABLE t AS SELECT * FROM accounts", "CREATE INDEX i ON orders (item)",
    "ANALYZE", "REINDEX", "SELECT load_extension('x')", "SAVEPOINT a",
    "WITH x AS (SELECT 1) UPDATE accounts SET balance = 1",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3) SELECT * FROM c",
    "SELECT * FROM accounts",
))
PREFIXES = st.sampled_from(("", " ", "/* report */ ", "-- report\n", "\n"))


@given(PREFIXES, STATEMENTS)
def test_no_report_changes_the_database_or_writes_a_file(prefix: str, statement: str) -> None:
    """Goal: a changed byte in the database, or any new file next to it. Whatever the report,
    the directory after it holds the same database file, byte for byte, and nothing else."""
    with private_tmpdir() as tmp:
        db_path = tmp / "shop.db"
        sql.shop_database(str(db_path)).close()
        before = db_path.read_bytes()
        try:
            sql.run_report_secure(str(db_path), prefix + statement.format(dir=tmp))
        except sqlite3.Error:
            pass
        assert sorted(p.name for p in tmp.iterdir()) == ["shop.db"], statement
        assert db_path.read_bytes() == before, statement


# --- Client values -------------------------------------------------------------------------

SKUS = st.sampled_from(("bag-leather", "wallet", "BAG-LEATHER", " bag-leather", "ｂａｇ-leather",
                        "gift-card", None, 1, ("bag-leather",)))
QUANTITIES = st.sampled_from((1, 2, 19, 20, 21, 0, -1, 1.5, 0.01, 19.999, True, "2", "1.5",
                              float("nan"), float("inf"), 2**64, 10**6))
CARTS = st.lists(st.fixed_dictionaries({"sku": SKUS, "quantity": QUANTITIES,
                                        "price": st.sampled_from((1, 4999, -100))}),
                 min_size=1, max_size=4).map(lambda lines: {"lines": lines})


@given(CARTS)
def test_no_cart_packs_more_than_it_pays_for(cart: dict[str, object]) -> None:
    """Goal: goods worth more than the charge, or more than the limit of one product, as the
    warehouse reads the same cart. A cart is refused with ValueError, or the charge equals
    the catalogue value of what is packed and no product exceeds the limit."""
    try:
        charged = cv.checkout_secure(cart)
    except ValueError:
        return
    goods = cv.packed(cart)
    assert charged == sum(cv.CATALOGUE[s] * n for s, n in goods.items()), (cart, charged, goods)
    assert all(n <= cv.MAX_QUANTITY for n in goods.values()), goods


# --- Access control ------------------------------------------------------------------------

ROLE_PIECES = st.sampled_from(("admin", "Admin", "ADMIN", " ", "ａｄｍｉｎ", "istrator", "sys",
                               "-trainee", "editor", "viewer", "\u200b", "admın", "ADMİN", ""))
ROLES = st.one_of(
    st.lists(ROLE_PIECES, min_size=1, max_size=3).map("".join),
    st.sampled_from((["admin"], ("admin",), b"admin", None, ["viewer", "admin"], {"admin": 1})),
)


@given(ROLES)
def test_only_the_exact_admin_role_may_delete(role: object) -> None:
    """Goal: delete a record without holding the role ``admin``, exactly as the policy spells
    it. Every other role, spelling and type is refused, and refused as AccessDenied."""
    result = ac.try_delete(ac.require_permission_secure, (ac.User("x", role),))  # type: ignore[arg-type]
    (outcome,) = result.values()
    assert ("deleted" in outcome) == (role == "admin" and type(role) is str), (role, outcome)


def _spellings(route: str) -> st.SearchStrategy[str]:
    """``route`` as an attacker respells it: each segment as written, in capitals,
    capitalised or with its first letter percent-encoded; each slash single, doubled or
    followed by ``./``; and a suffix the router ignores."""
    slash = st.sampled_from(("/", "//", "/./"))
    parts = [st.tuples(slash, st.sampled_from((seg, seg.upper(), seg.capitalize(),
                                               f"%{ord(seg[0]):02x}{seg[1:]}")))
             for seg in route.strip("/").split("/")]
    suffix = st.sampled_from(("", "/", "?x=1", "/.", "//"))
    return st.tuples(*parts, suffix).map(
        lambda spelt: "".join("".join(p) for p in spelt[:-1]) + spelt[-1])


PATHS = st.sampled_from(("/admin/export", ac.ALIAS, "/health", "/report")).flatmap(_spellings)


@given(PATHS)
def test_no_request_path_reaches_the_export_as_a_viewer(path: str) -> None:
    """Goal: the user export as a viewer, through any spelling of any route to it (the app
    with its check added, and a second route to the export)."""
    routes = ac.build_app(ac.add_route_secure, fixed=True)
    ac.add_route_secure(routes, ac.ALIAS, routes["/admin/export"])
    response = ac.dispatch(routes, path, ac.User("victor", "viewer"))
    assert "exported" not in response, (path, response)
