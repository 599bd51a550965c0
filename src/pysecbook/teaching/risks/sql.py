"""SQL built from strings, and a database connection that may do more than it needs.

Two risks with ``sqlite3``. A query built with an f-string lets a customer name rewrite the
query (``' OR '1'='1``) and list every customer's orders; placeholders (``?``) send the value
separately from the SQL text, so it is only ever compared, never parsed. And a "report
builder" that runs SQL written by its users is only as safe as the connection it uses: on a
read-write connection a report can ``UPDATE``; on a read-only one (``mode=ro`` URI) with an
authorizer that permits reads only, the same statement is refused.
Book page: ``book/practices/database``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

#: The example shop: who ordered what, and account balances.
SCHEMA = """
CREATE TABLE orders (customer TEXT NOT NULL, item TEXT NOT NULL, card_last4 TEXT NOT NULL);
CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL);
INSERT INTO orders VALUES ('alice', 'laptop', '4242'), ('bob', 'guitar', '1881'),
                          ('mallory', 'pencil', '0007');
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


def orders_for_secure(conn: sqlite3.Connection, customer: str) -> list[tuple[str, ...]]:
    """A customer's orders; the name is passed as a parameter."""
    query = "SELECT customer, item, card_last4 FROM orders WHERE customer = ?"
    return conn.execute(query, (customer,)).fetchall()


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


def run_report_secure(db_path: str, query: str) -> list[tuple[object, ...]]:
    """Run an analyst's report query on a read-only connection that may only read."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.set_authorizer(allow_reads_only)
        return conn.execute(query).fetchall()


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
    )
)

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
    )
)
