"""A file read in the locale's encoding: the nightly job that stops on one accented name.

``open(path)`` in text mode, without ``encoding=``, decodes with the locale's encoding, which
is UTF-8 on most Linux desktops and something else on Windows, in a ``C`` locale with UTF-8
mode off, in containers built that way or under services started with a bare environment.
The web application writes the accounts file in UTF-8; the nightly job that disables expired
accounts reads it in whatever its locale says. Mallory, whose contractor account expires,
puts a ``ë`` in her display name, and the job stops on it before it disables anybody. The
secure version names the encoding on both sides.

Naming the encoding is not all. The display name is still Mallory's text inside a file the
job parses: a comma and a line break in it rewrite her expiry date when the job splits lines
at commas, so the export writes CSV, which quotes such fields, and the job reads CSV. Then one
byte that is not UTF-8 (a name saved by an older export in Latin-1) stops a job that decodes
strictly, exactly as the locale did, and a display name of 200,000 characters stops it on the
csv module's limit of 128 KiB per field. The secure job keeps bytes it cannot decode as
surrogate escapes (losslessly: it never uses the display name), lets a field be as long as the
file, and checks the fields it does use, the dates.
Book page: ``book/practices/text``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import date

from pysecbook.lab.child import CallResult, call_in_child, private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: A service started with a bare, non-UTF-8 locale: the C locale with UTF-8 mode switched off
#: (``PYTHONUTF8=0``) and no coercion to C.UTF-8 (``PYTHONCOERCECLOCALE=0``).
NON_UTF8_LOCALE = {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}

#: The accounts file: user, display name, expiry date.
ACCOUNTS = [
    ("alice", "Alice Martin", "2030-01-01"),
    ("mallory", "Zoë Mallory", "2026-11-30"),
    ("oscar", "Oscar Lind", "2026-10-31"),
]


def write_accounts(path: str, accounts: Iterable[tuple[str, str, str]] = ACCOUNTS) -> None:
    """The web application's export of the accounts: CSV in UTF-8 (a field with a comma, a
    quote or a line break is quoted)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(accounts)


def expired_accounts_insecure(path: str, today: str) -> list[str]:
    """The nightly job: the accounts in ``path`` whose expiry date is before ``today``."""
    expired = []
    with open(path) as f:  # nosec PSB202 - deliberately insecure: demonstration of PSB-TEXT-LOCALE-ENCODING
        for line in f:
            user, _, expires = line.rstrip("\n").split(",")
            if expires < today:
                expired.append(user)
    return expired


def expired_accounts_first_try(path: str, today: str) -> list[str]:
    """A first fix: the nightly job reads the file as the CSV and the encoding it is written in.

    Kept to show the adapted attacks beating it: it stops on the first byte that is not UTF-8,
    and on the first field longer than the csv module's limit (128 KiB by default).
    """
    expired = []
    with open(path, encoding="utf-8", newline="") as f:
        for user, _display, expires in csv.reader(f, strict=True):
            if expires < today:
                expired.append(user)
    return expired


def expired_accounts_secure(path: str, today: str) -> list[str]:
    """The nightly job: the file read as the CSV and the encoding it is written in, so that no
    display name can stop it or change another field.

    Assumes: the export writes CSV with a CSV writer, in UTF-8, to a temporary name that is
    renamed when it is complete; user names and expiry dates are written by the
    application, never by users; the job runs in a process of its own (the csv module's limit
    on the length of a field, which it raises while it reads, is one setting per process).
    Does not stop: a truncated file (an export that failed half-way reads as a shorter list
    of accounts); a line it cannot read (the wrong number of fields, a date that is not a
    date), which stops the job with an error that somebody has to see.
    """
    expired = []
    cutoff = date.fromisoformat(today)
    # No field is longer than the file: a long display name must not stop the job either.
    previous = csv.field_size_limit(max(csv.field_size_limit(), os.path.getsize(path)))
    try:
        # surrogateescape: a byte that is not UTF-8 in a display name, which the job never
        # uses, must not stop it; the fields it does use are checked.
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            for user, _display, expires in csv.reader(f, strict=True):
                if date.fromisoformat(expires) < cutoff:
                    expired.append(user)
    finally:
        csv.field_size_limit(previous)
    return expired


def run_nightly_job(job: object, env: dict[str, str] | None = None,
                    accounts: Iterable[tuple[str, str, str]] = ACCOUNTS,
                    raw: bytes | None = None) -> CallResult:
    """Write the accounts file (``accounts`` exported, or the bytes ``raw``) and run ``job`` on
    it in a child interpreter with ``env``."""
    with private_tmpdir() as tmp:
        path = str(tmp / "accounts.csv")
        if raw is None:
            write_accounts(path, accounts)
        else:
            (tmp / "accounts.csv").write_bytes(raw)
        return call_in_child(job, path, "2026-12-01", env=env)


def attack(job: object) -> Outcome:
    """Run the nightly job as a service with a non-UTF-8 locale would run it."""
    result = run_nightly_job(job, NON_UTF8_LOCALE)
    disabled = result.returned or "nothing (the job stopped)"
    return Outcome(
        attack_succeeded="mallory" not in (result.returned or ""),
        observed=f"nightly job under LC_ALL=C, UTF-8 mode off: {result}; accounts disabled: "
                 f"{disabled}",
    )


#: Mallory's display name: ASCII, with a comma and a line break that give her line a new
#: expiry date and push the real one onto a line of its own.
REWRITING_NAME = "Zoe,2099-12-31\nzed,x"


def attack_long_name(job: object) -> Outcome:
    """Set a display name of 200,000 characters, past the csv module's limit of 128 KiB for
    one field: does the job stop on it?"""
    accounts = [(u, "Z" * 200_000 if u == "mallory" else d, e) for u, d, e in ACCOUNTS]
    result = run_nightly_job(job, NON_UTF8_LOCALE, accounts)
    return Outcome(
        attack_succeeded="'mallory'" not in (result.returned or ""),
        observed=f"a display name of 200,000 characters: {result}",
    )


def attack_rewrite_line(job: object) -> Outcome:
    """Put a comma and a line break in the display name, so that a job splitting lines at
    commas reads a later expiry date for Mallory."""
    accounts = [(u, REWRITING_NAME if u == "mallory" else d, e) for u, d, e in ACCOUNTS]
    result = run_nightly_job(job, NON_UTF8_LOCALE, accounts)
    return Outcome(
        attack_succeeded="'mallory'" not in (result.returned or ""),
        observed=f"display name {REWRITING_NAME!r}: {result}",
    )


#: The accounts file as an older export wrote Mallory's line: her name in Latin-1.
LATIN1_FILE = ("alice,Alice Martin,2030-01-01\r\n".encode()
               + "mallory,Zoë Mallory,2026-11-30\r\n".encode("latin-1")
               + "oscar,Oscar Lind,2026-10-31\r\n".encode())


def attack_byte_not_utf8(job: object) -> Outcome:
    """Mallory's display name reaches the file as one byte that is not UTF-8 (``Zo\\xeb``,
    from an export in Latin-1): does the job stop on it?"""
    result = run_nightly_job(job, NON_UTF8_LOCALE, raw=LATIN1_FILE)
    return Outcome(
        attack_succeeded="'mallory'" not in (result.returned or ""),
        observed=f"'Zoë' written in Latin-1: {result}",
    )


RISK = register(
    Risk(
        id="PSB-TEXT-LOCALE-ENCODING",
        title="A text file read in the locale's encoding",
        summary="open() without encoding= decodes with whatever the locale says; one "
        "accented name stops the job that disables expired accounts.",
        cwe=175,
        bandit=(),
        detections=("PSB202",),
        modules=("io", "locale", "builtins"),
        page="practices/text",
        insecure=expired_accounts_insecure,
        secure=expired_accounts_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a comma and a line break in the display name, which rewrite the "
                          "expiry date", "context", attack_rewrite_line),
            AdaptedAttack("one byte of the display name that is not UTF-8", "encoding",
                          attack_byte_not_utf8, beats=expired_accounts_first_try),
            AdaptedAttack("a display name of 200,000 characters, past the csv module's field "
                          "limit", "exhaustion", attack_long_name,
                          beats=expired_accounts_first_try),
        ),
    )
)
