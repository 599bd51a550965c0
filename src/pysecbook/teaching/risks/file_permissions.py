"""A file made world-writable can be rewritten by every local user.

``os.chmod(path, 0o777)`` (often "to fix a permission error") gives every account on the
machine, and every compromised service running under one, write access to the file: a
configuration, a script that runs later, a key. The umask does not apply to ``chmod``. The
secure version creates the file with mode 0o600 from the start.

The attack is another user doing it: the victim saves its configuration in a directory
other users can reach, and a child process that has dropped to the unprivileged account
``nobody`` appends a line to it. Starting a process as another user needs root; elsewhere
the demonstration says so and does not run.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import (
    last_line,
    other_user,
    other_user_refusal,
    private_tmpdir,
    reachable_dir,
    run_as_other_user,
)

#: What the other user appends: a line that would give them the application's admin role.
PLANTED = "admin_group = nobody"


def save_config_insecure(path: str, text: str) -> None:
    """Write a configuration file and make sure "everybody can use it"."""
    Path(path).write_text(text, encoding="utf-8")
    os.chmod(path, 0o777)  # nosec B103 - deliberately insecure: demonstration of PSB-FILE-PERMISSIONS


def save_config_secure(path: str, text: str) -> None:
    """Write a configuration file that only its owner can read or write."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the file may have existed with a wider mode
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def who_may(path: Path) -> str:
    """The file's mode as ``ls -l`` shows it, with who besides the owner may write it."""
    mode = path.stat().st_mode
    others = [who for who, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH)) if mode & bit]
    return f"{stat.filemode(mode)}, writable by {' and '.join(others) or 'its owner only'}"


def attack(func: Callable[..., None]) -> Outcome:
    """Another local user (``nobody``, in a child that dropped root) appends to the file."""
    uid, _ = other_user()
    with private_tmpdir() as tmp, reachable_dir(tmp) as shared:
        path = shared / "app.conf"
        func(str(path), "admin_group = staff\n")
        done = run_as_other_user(
            ["/bin/sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "sh", PLANTED, str(path)], cwd=shared)
        rewritten = PLANTED in path.read_text(encoding="utf-8")
        mode = who_may(path)
    if rewritten:
        return Outcome(True, f"{mode}; uid {uid} appended {PLANTED!r} to the configuration")
    said = last_line(done.stderr).replace(str(tmp), "<tmp>") or f"exit status {done.returncode}"
    return Outcome(False, f"{mode}; uid {uid} was refused: {said}")


RISK = register(
    Risk(
        id="PSB-FILE-PERMISSIONS",
        title="World-writable file permissions",
        summary="chmod 0o777 lets every local user rewrite the file; create files 0o600.",
        cwe=732,
        bandit=("B103",),
        modules=("os", "stat"),
        page="practices/files",
        insecure=save_config_insecure,
        secure=save_config_secure,
        attack=attack,
        requires=other_user_refusal,
    )
)
