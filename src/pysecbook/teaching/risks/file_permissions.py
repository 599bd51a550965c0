"""A file made world-writable can be rewritten by every local user.

``os.chmod(path, 0o777)`` (often "to fix a permission error") gives every account on the
machine, and every compromised service running under one, write access to the file: a
configuration, a script that runs later, a key. The umask does not apply to ``chmod``.

Creating the file with mode 0o600 is not the whole answer either. The mode given to
``os.open`` applies only when the file is created, not to one that exists; ``fchmod`` fixes
the mode but not a descriptor someone opened while the mode was wide; and a link at the path,
placed by someone who may write to the directory, is followed. The secure version writes a
new private file next to the old one and renames it into place, in a directory nobody else
can write to: nothing that was there before is reused.

The attack is another user doing it: the victim saves its configuration in a directory
other users can reach, and a child process that has dropped to the unprivileged account
``nobody`` appends a line to it. Starting a process as another user needs root; elsewhere
the demonstration says so and does not run.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import os
import stat
import subprocess  # nosec B404 - a fixed program, started as another user, no shell of ours
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pysecbook.lab.child import MINIMAL_ENV, last_line, private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.temp_files import private_path
from pysecbook.teaching.sandbox import (
    other_user,
    other_user_refusal,
    reachable_dir,
    run_as_other_user,
)

#: What the other user appends: a line that would give them the application's admin role.
PLANTED = "admin_group = nobody"


def save_config_insecure(path: str, text: str) -> None:
    """Write a configuration file and make sure "everybody can use it"."""
    Path(path).write_text(text, encoding="utf-8")
    os.chmod(path, 0o777)  # nosec B103 - deliberately insecure: demonstration of PSB-FILE-PERMISSIONS


def save_config_mode_on_create(path: str, text: str) -> None:
    """A first fix: ask for 0o600 when opening. It applies only if the file is created."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def save_config_first_try(path: str, text: str) -> None:
    """The fix as the book gave it first: 0o600 on creation, ``fchmod`` for a file that
    existed. It still writes into the old file: a descriptor opened while the mode was wide
    keeps working, and a link at the path is followed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the file may have existed with a wider mode
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def save_config_secure(path: str, text: str) -> None:
    """Write a configuration file that only its owner can read or write: a new file, put in
    place by a rename, in a directory nobody else can write to.

    ``mkstemp`` creates the new file next to ``path`` with ``O_EXCL`` and mode 0o600, whatever
    the umask; the text is written and flushed to disk; ``os.replace`` then puts it at
    ``path`` in one step. The old file, whatever its mode and whoever holds it open, and a
    link at ``path``, are replaced, never written through. Before that, every directory on
    the way must belong to this user or root and be writable by nobody else without the
    sticky bit (:func:`~pysecbook.teaching.risks.temp_files.private_path`).

    Assumes: a POSIX system; nobody else runs as this user or as root; the configuration may
    take a new inode (hard links to the old file keep the old text).
    Does not stop: a reader who opened the old file before keeps reading the old text; the
    old file's owner, group, ACLs and extended attributes are not carried over (the new one
    belongs to this process's user); a crash between ``mkstemp`` and ``os.replace`` leaves a
    private temporary file next to the configuration.
    """
    directory = private_path(os.path.dirname(os.path.abspath(path)))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".config-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, directory / os.path.basename(path))
    except BaseException:
        os.unlink(temporary)
        raise


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


def _start_as_other_user(argv: Sequence[str], cwd: Path) -> subprocess.Popen[str]:
    """Start ``argv`` as :data:`~pysecbook.teaching.sandbox.OTHER_USER`, talking through pipes.

    Like :func:`~pysecbook.teaching.sandbox.run_as_other_user`, but it returns at once, so
    that the other user can act, wait, and act again while the victim runs. Needs root.
    """
    reason = other_user_refusal()
    if reason:
        raise PermissionError(reason)
    uid, gid = other_user()

    def drop() -> None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    return subprocess.Popen(  # nosec B603 - fixed argument list, no shell of ours
        list(argv), cwd=cwd, env=dict(MINIMAL_ENV), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=drop)  # noqa: PLW1509 - drops ids only


#: The other user's part: open the file for appending, say so, wait, then write through the
#: descriptor it kept.
KEEP_AND_WRITE = 'exec 3>>"$1" || exit 1; echo opened; read go; printf "%s\\n" "$2" >&3'


def attack_descriptor_kept(func: Callable[..., None]) -> Outcome:
    """The configuration is world-writable from an older release (the insecure one made it
    so), and ``nobody`` opened it then and kept the descriptor. The victim saves the new
    configuration with its fix; then ``nobody`` writes through the old descriptor."""
    with private_tmpdir() as tmp, reachable_dir(tmp) as shared:
        path = shared / "app.conf"
        save_config_insecure(str(path), "admin_group = staff\n")
        with _start_as_other_user(["/bin/sh", "-c", KEEP_AND_WRITE, "sh", str(path), PLANTED],
                                  cwd=shared) as mallory:
            opened = mallory.stdout is not None and mallory.stdout.readline().strip() == "opened"
            func(str(path), "admin_group = staff\n")
            try:
                mallory.communicate("go\n", timeout=10)
            except subprocess.TimeoutExpired:
                mallory.kill()
                mallory.communicate()
        rewritten = PLANTED in path.read_text(encoding="utf-8")
        mode = who_may(path)
    if not opened:
        return Outcome(False, f"{mode}; nobody could not open the old file")
    if rewritten:
        return Outcome(True, f"{mode}, but nobody's old descriptor still wrote "
                             f"{PLANTED!r} into the configuration")
    return Outcome(False, f"{mode}; nobody's old descriptor wrote into the replaced file, "
                          "not into the configuration")


def attack_wide_file_kept(func: Callable[..., None]) -> Outcome:
    """The configuration exists already, world-writable from an older release. The victim
    saves with its fix; afterwards ``nobody`` appends to it, as in the first attack."""
    uid, _ = other_user()
    with private_tmpdir() as tmp, reachable_dir(tmp) as shared:
        path = shared / "app.conf"
        save_config_insecure(str(path), "admin_group = staff\n")
        func(str(path), "admin_group = staff\n")
        done = run_as_other_user(
            ["/bin/sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "sh", PLANTED, str(path)], cwd=shared)
        rewritten = PLANTED in path.read_text(encoding="utf-8")
        mode = who_may(path)
    if rewritten:
        return Outcome(True, f"{mode}: the old mode stayed; uid {uid} appended {PLANTED!r}")
    said = last_line(done.stderr).replace(str(tmp), "<tmp>") or f"exit status {done.returncode}"
    return Outcome(False, f"{mode}; uid {uid} was refused: {said}")


def attack_link_at_path(func: Callable[..., None]) -> Outcome:
    """The configuration lives in a directory ``nobody`` may write to (no sticky bit). Before
    the victim saves, ``nobody`` puts a link at its name, pointing at a file of the
    victim's (here ``users.db``); the save writes through the link and ruins that file."""
    with private_tmpdir() as tmp, reachable_dir(tmp) as shared:
        victim = tmp / "users.db"
        victim.write_text("alice:admin\n", encoding="utf-8")
        drop = shared / "conf.d"
        drop.mkdir()
        drop.chmod(0o777)  # noqa: S103 - the directory others may write to is the point
        path = drop / "app.conf"
        made = run_as_other_user(["/bin/ln", "-s", str(victim), str(path)], cwd=shared)
        try:
            func(str(path), "admin_group = staff\n")
            said = "the victim saved"
        except PermissionError as exc:
            said = f"the victim refused: {exc}".replace(str(tmp), "<tmp>")
        ruined = victim.read_text(encoding="utf-8") != "alice:admin\n"
    if not path.is_symlink() and made.returncode:
        return Outcome(False, f"nobody could not place the link: {last_line(made.stderr)}")
    if ruined:
        return Outcome(True, f"{said}, through nobody's link: users.db now holds the configuration")
    return Outcome(False, f"{said}; users.db intact")


RISK = register(
    Risk(
        id="PSB-FILE-PERMISSIONS",
        title="World-writable file permissions",
        summary="chmod 0o777 lets every local user rewrite the file; write a new 0o600 file "
        "and rename it into place, in a directory only its owner can write to.",
        cwe=732,
        bandit=("B103",),
        modules=("os", "stat"),
        page="practices/files",
        insecure=save_config_insecure,
        secure=save_config_secure,
        attack=attack,
        requires=other_user_refusal,
        adapted=(
            AdaptedAttack("a descriptor nobody opened while the file was world-writable, "
                          "written through after the fix", "links-races",
                          attack_descriptor_kept, beats=save_config_first_try),
            AdaptedAttack("a world-writable file left by an older release: the mode of "
                          "os.open applies only to new files", "links-races",
                          attack_wide_file_kept, beats=save_config_mode_on_create),
            AdaptedAttack("a link at the configuration's name, in a directory others may "
                          "write to", "links-races", attack_link_at_path,
                          beats=save_config_first_try),
        ),
    )
)
