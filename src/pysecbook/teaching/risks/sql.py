"""SQL built from strings, and a database connection that may do more than it needs.

Two risks with ``sqlite3``. A query built with an f-string lets a customer name rewrite the
query (``' OR '1'='1``) and list every customer's orders; placeholders (``?``) send the value
separately from the SQL text, so it is only ever compared, never parsed. And a "report
builder" that runs SQL written by its users is only as safe as the connection it uses: on a
read-write connection a report can ``UPDATE``; on a read-only one (``mode=ro`` URI) with an
authorizer that permits reads only, the same statement is refused.

Placeholders carry values, and only values. A sort column cannot be one, so a first fix
pastes it into the text, and an ``ORDER BY`` expression then reads other customers' card
digits one bit per request from the order of Mallory's own rows; a first fix that matches
names with ``LIKE`` passes ``%`` as a pattern. The secure query is chosen whole from an
allowlist and compares with ``=``. For user-written reports, a read-only URI alone still
lets ``VACUUM INTO`` write a file anywhere the service can, and a read-only query can still
run for hours or ask for a gigabyte: the secure connection also has an authorizer, a time
limit, a size limit per value and a row limit.
Book page: ``book/practices/database``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The example shop: who ordered what, and account balances.
SCHEMA = """
CREATE TABLE orders (customer TEXT NOT NULL, item TEXT NOT NULL, card_last4 TEXT NOT NULL);
CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL);
INSERT INTO orders VALUES ('alice', 'laptop', '4242'), ('bob', 'guitar', '1881'),
                          ('mallory', 'pencil', '0007'), ('mallory', 'eraser', '0007');
INSERT INTO accounts VALUES ('alice', 1200), ('bob', 800), ('mallory', 5);
"""


def shop_database(path: str = ":memory:") -> sqlite3.Connection:
    """A connection to a fresh example shop database at ``path``."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.commit()
    return conn


def orders_for_insecure(conn: sqlite3.Connection, customer: str) -> list[tuple[str, ...]]:
    """A customer's orders; the query is built with an f-string."""
    query = f"SELECT customer, item, card_last4 FROM orders WHERE customer = '{customer}'"  # nosec B608 - deliberately insecure: demonstration of PSB-SQL-INJECTION
    return conn.execute(query).fetchall()


def orders_for_first_try(conn: sqlite3.Connection, customer: str,
                         sort: str = "item") -> list[tuple[str, ...]]:
    """A first fix: the name is a parameter, matched with ``LIKE`` so that case does not
    matter; the sort column, which a placeholder cannot carry, goes into the text.

    Kept to show the adapted attacks beating it: a ``LIKE`` parameter is a pattern, and the
    sort column is SQL.
    """
    query = f"SELECT customer, item, card_last4 FROM orders WHERE customer LIKE ? ORDER BY {sort}"  # nosec B608 - deliberately insecure: demonstration of PSB-SQL-INJECTION
    return conn.execute(query, (customer,)).fetchall()


#: The order-history queries, one per sort the page offers. The user's choice picks a whole
#: query; nothing the user typed becomes SQL text.
ORDERS_QUERIES = {
    "item": "SELECT customer, item, card_last4 FROM orders WHERE customer = ? ORDER BY item",
    "card": "SELECT customer, item, card_last4 FROM orders WHERE customer = ? ORDER BY card_last4",
}


def orders_for_secure(conn: sqlite3.Connection, customer: str,
                      sort: str = "item") -> list[tuple[str, ...]]:
    """A customer's orders, sorted as they chose; the name is passed as a parameter and the
    query is picked whole from an allowlist by the sort's name.

    Assumes: ``customer`` is the authenticated user's own name, set by the server (who may
    see whose orders is an access-control decision, not the query's); names are stored in
    one canonical form, since ``=`` compares exactly.
    Does not stop: a caller that passes another customer's name; the same value pasted into
    SQL somewhere else later (second-order injection); a ``LIKE`` added to this query
    without escaping ``%``, ``_`` and the escape character in the value; timing or row
    counts that reveal whether a name exists.
    """
    if not isinstance(sort, str) or sort not in ORDERS_QUERIES:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(ORDERS_QUERIES)}")
    return conn.execute(ORDERS_QUERIES[sort], (customer,)).fetchall()


#: The "name" Mallory types into the order-history search box.
INJECTION = "mallory' OR '1'='1"


def attack_injection(func: object) -> Outcome:
    """Mallory searches her orders with an injected name: does she see other customers'?"""
    with contextlib.closing(shop_database()) as conn:
        rows = func(conn, INJECTION)  # type: ignore[operator]
    others = [r for r in rows if r[0] != "mallory"]
    if others:
        return Outcome(True, f"{len(rows)} rows returned, including other customers' "
                             f"orders and card digits: {others}")
    return Outcome(False, f"{len(rows)} rows returned: no customer is called {INJECTION!r}")


_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION})


def allow_reads_only(action: int, arg1: str | None, arg2: str | None,
                     db_name: str | None, trigger: str | None) -> int:
    """An SQLite authorizer: permit reading, deny every other action at prepare time."""
    return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY


def run_report_insecure(db_path: str, query: str) -> list[tuple[object, ...]]:
    """Run an analyst's report query on an ordinary (read-write) connection."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute(query).fetchall()
        conn.commit()
    return rows


def run_report_first_try(db_path: str, query: str) -> list[tuple[object, ...]]:
    """A first fix: run an analyst's report query on a read-only connection (``mode=ro``).

    Kept to show the adapted attacks beating it: ``mode=ro`` protects the main database
    file, not the rest of the disk, and limits nothing a read may cost.
    """
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(query).fetchall()


#: The largest string or blob a report may produce, in bytes.
MAX_VALUE_BYTES = 1_000_000
#: The most rows a report may return.
MAX_ROWS = 10_000


def run_report_secure(db_path: str, query: str,
                      time_limit: float = 0.5) -> list[tuple[object, ...]]:
    """Run an analyst's report query on a read-only connection that may only read, and only
    for so long, so much.

    The connection is opened read-only (``mode=ro``); an authorizer permits reading tables
    and calling functions and refuses every other action, including ``ATTACH``, ``PRAGMA``,
    ``VACUUM`` and recursive queries, when the statement is prepared; a progress handler
    interrupts the query after ``time_limit`` seconds; no string or blob may exceed
    ``MAX_VALUE_BYTES``; more than ``MAX_ROWS`` rows is an error.

    Assumes: the analysts may read every table in this database (the authorizer could refuse
    ``SQLITE_READ`` on tables or columns they must not see); ``time_limit`` is set from what
    a report needs (half a second keeps the demonstration quick); the database file is not
    itself hostile (a crafted file can exploit the SQLite library that opens it).
    Does not stop: reading everything the analysts may read, and exporting it by the report
    itself; many reports at once, each within its limits, which together load the server;
    memory SQLite uses inside one query (a large sort or join) before the time limit ends
    it; a bug in SQLite.
    """
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    give_up = time.monotonic() + time_limit
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.set_authorizer(allow_reads_only)
        conn.set_progress_handler(lambda: int(time.monotonic() > give_up), 10_000)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        rows = conn.execute(query).fetchmany(MAX_ROWS + 1)
    if len(rows) > MAX_ROWS:
        raise sqlite3.DataError(f"the report returns more than {MAX_ROWS} rows")
    return rows


#: The "report" Mallory saves: it changes her balance instead of reading anything.
REPORT_ATTACK = "UPDATE accounts SET balance = 1000000 WHERE name = 'mallory'"


def balance(db_path: str, name: str) -> int:
    """The balance of ``name``, read afresh."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return int(conn.execute("SELECT balance FROM accounts WHERE name = ?", (name,)).fetchone()[0])


def attack_privilege(func: object) -> Outcome:
    """Mallory saves a report that is an UPDATE: does her balance change?"""
    with private_tmpdir() as tmp:
        db_path = str(tmp / "shop.db")
        shop_database(db_path).close()
        before = balance(db_path, "mallory")
        try:
            func(db_path, REPORT_ATTACK)  # type: ignore[operator]
            error = ""
        except sqlite3.DatabaseError as exc:
            error = f"{type(exc).__name__}: {exc}"
        after = balance(db_path, "mallory")
    if after != before:
        return Outcome(True, f"the report ran an UPDATE: Mallory's balance went from {before} "
                             f"to {after}")
    return Outcome(False, f"refused ({error}); Mallory's balance is still {after}")


def _connect(db_path: str, *, read_only: bool, authorizer: bool) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(db_path)
    if authorizer:
        conn.set_authorizer(allow_reads_only)
    return conn


#: Connection set-ups compared by :func:`report_layers`: (read-only URI, authorizer).
LAYERS = {
    "read-write": (False, False),
    "mode=ro only": (True, False),
    "authorizer only": (False, True),
    "mode=ro + authorizer": (True, True),
}


def report_layers() -> list[tuple[str, str, str]]:
    """Run two hostile 'reports' under each connection set-up; say what each achieved.

    The second report attaches a new database file and copies the accounts into it: a
    read-only URI applies to the main database only, so that works without an authorizer.
    """
    rows = []
    for label, (read_only, authorizer) in LAYERS.items():
        for attack_name in ("UPDATE a balance", "ATTACH a new file, copy accounts"):
            with private_tmpdir() as tmp:
                db_path = str(tmp / "shop.db")
                exfil = tmp / "copy.db"
                shop_database(db_path).close()
                queries = [REPORT_ATTACK] if attack_name.startswith("UPDATE") else [
                    f"ATTACH DATABASE '{exfil}' AS copy",
                    "CREATE TABLE copy.accounts AS SELECT * FROM accounts",
                ]
                try:
                    with contextlib.closing(_connect(db_path, read_only=read_only,
                                                     authorizer=authorizer)) as conn:
                        for query in queries:
                            conn.execute(query)
                        conn.commit()
                except sqlite3.DatabaseError as exc:
                    rows.append((label, attack_name, f"refused: {exc}"))
                    continue
                if balance(db_path, "mallory") != 5:
                    rows.append((label, attack_name, "balance changed"))
                elif exfil.exists():
                    rows.append((label, attack_name, f"{exfil.name} written ({exfil.stat().st_size} bytes)"))
                else:
                    rows.append((label, attack_name, "no effect"))
    return rows


def _mallorys_items(func: object, sort: str) -> list[str] | None:
    """The items of Mallory's own order history sorted by ``sort``, or None if refused."""
    with contextlib.closing(shop_database()) as conn:
        try:
            return [row[1] for row in func(conn, "mallory", sort)]  # type: ignore[operator]
        except (ValueError, sqlite3.Error):
            return None


def attack_sort_column(func: object) -> Outcome:
    """Put an expression where the sort column goes: Mallory's two orders come back in one
    order or the other depending on a digit of Alice's card, one bit per request."""
    digits, requests = "", 0
    for position in range(1, 5):
        for digit in "0123456789":
            requests += 1
            sort = (f"CASE WHEN (SELECT substr(card_last4, {position}, 1) FROM orders "  # nosec B608 - the attacker's payload: demonstration of PSB-SQL-INJECTION
                    f"WHERE customer = 'alice') = '{digit}' THEN item ELSE rowid END")
            items = _mallorys_items(func, sort)
            if items is None:
                return Outcome(False, f"the sort {sort[:40]!r}... was refused; nothing "
                                      f"learnt after {requests} request(s)")
            if items == sorted(items):  # true: sorted by item; false: by rowid
                digits += digit
                break
    if len(digits) == 4:
        return Outcome(True, f"Alice's card digits {digits!r} read from the order of "
                             f"Mallory's own rows in {requests} requests")
    return Outcome(False, f"no digits learnt ({digits!r} after {requests} requests)")


#: Names that match every customer as ``LIKE`` patterns: any string, any five characters.
LIKE_PATTERNS = ("%", "_____", "%o%")


def attack_like_wildcards(func: object) -> Outcome:
    """Type ``%`` as the name: compared with ``LIKE``, a parameter is still a pattern, and
    ``%`` matches every customer."""
    with contextlib.closing(shop_database()) as conn:
        for name in LIKE_PATTERNS:
            rows = func(conn, name)  # type: ignore[operator]
            others = [r for r in rows if r[0] != "mallory"]
            if others:
                return Outcome(True, f"the name {name!r} returned other customers' orders "
                                     f"and card digits: {others}")
    return Outcome(False, f"no rows for any of {list(LIKE_PATTERNS)!r}: no customer has "
                          "those names")


INJECTION_RISK = register(
    Risk(
        id="PSB-SQL-INJECTION",
        title="SQL query built from a string",
        summary="A value pasted into SQL text can rewrite the query; placeholders keep it a "
        "value.",
        cwe=89,
        bandit=("B608",),
        modules=("sqlite3",),
        page="practices/database",
        insecure=orders_for_insecure,
        secure=orders_for_secure,
        attack=attack_injection,
        adapted=(
            AdaptedAttack("an expression where the sort column goes, read one bit per request",
                          "context", attack_sort_column, beats=orders_for_first_try),
            AdaptedAttack("'%' and '_' as the name, compared with LIKE", "encoding",
                          attack_like_wildcards, beats=orders_for_first_try),
        ),
    )
)

#: Run in a child interpreter, in a private directory holding the shop database: run the
#: report ``argv[2]`` with ``argv[1]`` and print how many rows came back, or the error.
_REPORT = """
import json, sys
from pysecbook.teaching.risks import sql
impl = getattr(sql, sys.argv[1])
try:
    rows = impl("shop.db", sys.argv[2])
except BaseException as exc:
    print(json.dumps({"raised": type(exc).__name__, "message": str(exc)[:200]}))
else:
    print(json.dumps({"rows": len(rows)}))
"""


def report_in_child(impl: object, query: str, *, timeout: float,
                    memory_mib: int) -> dict[str, object]:
    """Run the report ``query`` with ``impl`` in a child with ``memory_mib`` MiB of address
    space and ``timeout`` seconds; what it returned or raised, or ``timed_out``."""
    with private_tmpdir() as tmp:
        shop_database(str(tmp / "shop.db")).close()
        done = run_python(_REPORT, cwd=tmp, args=[impl.__name__, query],  # type: ignore[attr-defined]
                          timeout=timeout, memory_bytes=memory_mib * 2**20)
    if done.timed_out:
        return {"timed_out": True}
    try:
        return dict(json.loads(last_line(done.stdout)))
    except ValueError:
        return {"raised": "child failed", "message": last_line(done.stderr)}


def attack_vacuum_into(func: object) -> Outcome:
    """Save a report that is ``VACUUM INTO 'file'``: one statement, allowed on a read-only
    connection, that writes a copy of the database wherever the service may write."""
    with private_tmpdir() as tmp:
        db_path = str(tmp / "shop.db")
        shop_database(db_path).close()
        target = tmp / "www" / "dump.db"
        target.parent.mkdir()
        try:
            func(db_path, f"VACUUM INTO '{target}'")  # type: ignore[operator]
            error = ""
        except sqlite3.DatabaseError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if target.exists():
            return Outcome(True, f"the report wrote {target.stat().st_size} bytes to a file of "
                                 "its choosing (a copy of the whole database, accounts included)")
    return Outcome(False, f"refused ({error}); no file written")


#: A report that reads 4**16 rows: sixteen copies of the orders table, joined.
ENDLESS_REPORT = "SELECT count(*) FROM " + ", ".join(f"orders t{i}" for i in range(16))  # nosec B608 - the attacker's report: demonstration of PSB-SQL-PRIVILEGE
#: Reports that ask for memory: a gigabyte-long value, and millions of rows.
GREEDY_REPORTS = ("SELECT length(randomblob(999999999))",
                  "SELECT 1 FROM " + ", ".join(f"orders t{i}" for i in range(16)))  # nosec B608 - the attacker's report: demonstration of PSB-SQL-PRIVILEGE


def attack_endless_report(func: object) -> Outcome:
    """Save a read-only report that joins the orders table with itself sixteen times: four
    billion rows to count, hours of one worker's time."""
    result = report_in_child(func, ENDLESS_REPORT, timeout=3.0, memory_mib=512)
    if result.get("timed_out"):
        return Outcome(True, "the report was still running when the 3-second watchdog killed "
                             "it (it would run for hours)")
    return Outcome(False, f"the report ended by itself: {result}")


def attack_greedy_report(func: object) -> Outcome:
    """Save read-only reports that ask for a gigabyte-long value, or millions of rows, in a
    service that may use 256 MiB."""
    said = []
    for query in GREEDY_REPORTS:
        result = report_in_child(func, query, timeout=10.0, memory_mib=256)
        if result.get("raised") == "MemoryError" or result.get("timed_out"):
            return Outcome(True, f"{query[:40]!r}...: the service ran out of memory "
                                 f"({result})")
        said.append(f"{result.get('raised')}: {result.get('message')}")
    return Outcome(False, "each report refused before it took the memory: " + "; ".join(said))


PRIVILEGE_RISK = register(
    Risk(
        id="PSB-SQL-PRIVILEGE",
        title="A database connection with more privilege than its job",
        summary="User-written SQL on a read-write connection can change data; open it "
        "read-only and deny writes with an authorizer.",
        cwe=250,
        bandit=(),
        no_static_rule="both versions open a connection and run the query; the privilege a "
                       "connection should have depends on the job it does.",
        modules=("sqlite3",),
        page="practices/database",
        insecure=run_report_insecure,
        secure=run_report_secure,
        attack=attack_privilege,
        adapted=(
            AdaptedAttack("VACUUM INTO a file of the report's choosing", "variant",
                          attack_vacuum_into, beats=run_report_first_try),
            AdaptedAttack("a read-only report that joins a table with itself sixteen times",
                          "exhaustion", attack_endless_report),
            AdaptedAttack("a gigabyte-long value, or millions of rows", "exhaustion",
                          attack_greedy_report),
        ),
    )
)
