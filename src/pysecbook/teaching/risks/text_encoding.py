"""A file read in the locale's encoding: the nightly job that stops on one accented name.

``open(path)`` in text mode, without ``encoding=``, decodes with the locale's encoding, which
is UTF-8 on most Linux desktops and something else on Windows, in a ``C`` locale with UTF-8
mode off, in containers built that way or under services started with a bare environment.
The web application writes the accounts file in UTF-8; the nightly job that disables expired
accounts reads it in whatever its locale says. Mallory, whose contractor account expires,
puts a ``ë`` in her display name, and the job stops on it before it disables anybody. The
secure version names the encoding on both sides. Book page: ``book/practices/text``.
"""

from __future__ import annotations

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import CallResult, call_in_child, private_tmpdir

#: A service started with a bare, non-UTF-8 locale: the C locale with UTF-8 mode switched off
#: (``PYTHONUTF8=0``) and no coercion to C.UTF-8 (``PYTHONCOERCECLOCALE=0``).
NON_UTF8_LOCALE = {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}

#: The accounts file: user, display name, expiry date.
ACCOUNTS = [
    ("alice", "Alice Martin", "2030-01-01"),
    ("mallory", "Zoë Mallory", "2026-11-30"),
    ("oscar", "Oscar Lind", "2026-10-31"),
]


def write_accounts(path: str) -> None:
    """The web application's export of the accounts, in UTF-8."""
    with open(path, "w", encoding="utf-8") as f:
        for user, display, expires in ACCOUNTS:
            f.write(f"{user},{display},{expires}\n")


def expired_accounts_insecure(path: str, today: str) -> list[str]:
    """The nightly job: the accounts in ``path`` whose expiry date is before ``today``."""
    expired = []
    with open(path) as f:  # nosec PSB202 - deliberately insecure: demonstration of PSB-TEXT-LOCALE-ENCODING
        for line in f:
            user, _, expires = line.rstrip("\n").split(",")
            if expires < today:
                expired.append(user)
    return expired


def expired_accounts_secure(path: str, today: str) -> list[str]:
    """The nightly job, reading the file in the encoding it is written in."""
    expired = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            user, _, expires = line.rstrip("\n").split(",")
            if expires < today:
                expired.append(user)
    return expired


def run_nightly_job(job: object, env: dict[str, str] | None = None) -> CallResult:
    """Write the accounts file and run ``job`` on it in a child interpreter with ``env``."""
    with private_tmpdir() as tmp:
        path = str(tmp / "accounts.csv")
        write_accounts(path)
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
    )
)
