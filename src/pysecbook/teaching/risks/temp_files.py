"""``tempfile.mktemp`` returns a name, not a file: someone else can create it first.

Between ``mktemp()`` choosing a name that does not exist and the program opening it, any
user who can write to the directory (``/tmp`` is shared) can create that name, for instance
as a symbolic link to a file the victim can write. ``open(name, "w")`` follows the link and
overwrites its target. ``mkstemp`` and ``NamedTemporaryFile`` create the file themselves,
atomically, with ``O_CREAT | O_EXCL`` and mode 0o600, so there is no window for the file.

The name ``mkstemp`` returns is another matter: it is only as safe as the directory it is in.
In a directory that others can write to without the sticky bit (or that belongs to someone
else), they can rename the finished report away and put their own in its place, and whoever
reads the name afterwards reads theirs. The first fix kept here (:func:`write_report_first_try`)
trusts any directory; the secure version checks every directory on the resolved path first.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import copy
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

ORIGINAL = "owner = alice\n"


def write_report_insecure(directory: str, render: Callable[[], str]) -> str:
    """Pick a temporary name, render the report (slow), write it; return the file name."""
    name = tempfile.mktemp(suffix=".txt", dir=directory)  # nosec B306 - deliberately insecure: demonstration of PSB-TEMPFILE-MKTEMP
    text = render()
    with open(name, "w", encoding="utf-8") as out:
        out.write(text)
    return name


def write_report_exclusive_name(directory: str, render: Callable[[], str]) -> str:
    """A first fix: no ``mktemp``; a name of one's own, opened with ``"x"`` (``O_EXCL``).

    No link or file planted at the name can be written through, but the name is predictable
    (the process id and the second), so it can be taken first: the report is never written.
    """
    name = os.path.join(directory, f"report-{os.getpid()}-{int(time.time())}.txt")
    with open(name, "x", encoding="utf-8") as out:
        out.write(render())
    return name


def write_report_first_try(directory: str, render: Callable[[], str]) -> str:
    """The fix as it is usually given: ``mkstemp`` (``O_EXCL``, mode 0o600), in any directory.

    The file is safe while it is written; the name it returns is not, in a directory where
    someone else may rename files: the caller who reads it back may read theirs.
    """
    fd, name = tempfile.mkstemp(suffix=".txt", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render())
    return name


def private_path(directory: str) -> Path:
    """``directory``, resolved, once nobody but this user or root can change the path to it.

    Every directory on the resolved path must belong to this user or to root, and may be
    writable by others only with the sticky bit (as ``/tmp`` is): then nobody else can
    rename or replace what is in it. Raises ``PermissionError`` otherwise.
    """
    if not hasattr(os, "geteuid"):
        raise PermissionError("no POSIX owners and modes here to check the directory with")
    real = Path(directory).resolve(strict=True)
    me = os.geteuid()
    for folder in (real, *real.parents):
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise PermissionError(f"{folder} is not a directory")
        if info.st_uid not in (0, me):
            raise PermissionError(f"{folder} belongs to uid {info.st_uid}, not to this user")
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
            raise PermissionError(f"{folder} is writable by others without the sticky bit")
    return real


def write_report_secure(directory: str, render: Callable[[], str]) -> str:
    """Create the temporary file first (O_EXCL, mode 0o600), in a directory only this user
    (or root) controls, then render and write the report; return its name.

    Assumes: a POSIX system (elsewhere it refuses); nobody else runs as this user or as
    root; the caller uses the name it gets back only while the checked directories keep
    their owners and modes.
    Does not stop: another process of the same user changing the file; a root-owned
    directory that root makes unsafe later; the report left behind when ``render`` raises
    (an empty file, private to this user).
    """
    fd, name = tempfile.mkstemp(suffix=".txt", dir=private_path(directory))
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render())
    return name


def predict_next_name(directory: Path, suffix: str = ".txt") -> Path:
    """The name ``tempfile`` will try next in this process.

    A stand-in for however a real attacker learns or guesses the name (watching the
    directory, reading a command line that contains it, or retrying until a race is won):
    it copies the state of ``tempfile``'s shared name generator, a private detail.
    """
    rng = copy.deepcopy(tempfile._get_candidate_names().rng)  # noqa: SLF001 - see docstring
    name = "".join(rng.choices(tempfile._RandomNameSequence.characters, k=8))  # noqa: SLF001
    return directory / f"{tempfile.template}{name}{suffix}"


def attack(func: Callable[..., str]) -> Outcome:
    """While the victim renders, Mallory plants a symlink at the chosen name."""
    with private_tmpdir() as tmp:
        shared = tmp / "shared-tmp"
        shared.mkdir()
        victim_file = tmp / "victim.conf"
        victim_file.write_text(ORIGINAL, encoding="utf-8")
        predicted = predict_next_name(shared)
        planted = []

        def render() -> str:
            # The slow part of the victim's work is Mallory's window.
            try:
                predicted.symlink_to(victim_file)
                planted.append("symlink planted in time")
            except FileExistsError:
                planted.append("the name already existed as the victim's own file")
            return "report body\n"

        name = Path(func(str(shared), render))
        overwritten = victim_file.read_text(encoding="utf-8") != ORIGINAL
        same_name = "same name as predicted" if name == predicted else "another name"
    verdict = "victim.conf overwritten through the link" if overwritten else "victim.conf intact"
    return Outcome(attack_succeeded=overwritten,
                   observed=f"{planted[0]}; victim wrote {same_name}; {verdict}")


def attack_existing_file(func: Callable[..., str]) -> Outcome:
    """While the victim renders, Mallory creates a plain file at the chosen name, not a link,
    readable and writable by her: a check for links would not see it. Does the report end
    up in her file?"""
    with private_tmpdir() as tmp:
        shared = tmp / "shared-tmp"
        shared.mkdir()
        predicted = predict_next_name(shared)
        planted: list[int] = []

        def render() -> str:
            try:
                fd = os.open(predicted, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return "report body\n"
            planted.append(os.fstat(fd).st_ino)
            os.close(fd)
            return "report body\n"

        name = Path(func(str(shared), render))
        in_hers = bool(planted) and name.stat().st_ino == planted[0]
    if in_hers:
        return Outcome(True, "Mallory's file was at the name in time; the victim wrote its "
                             "report into it, where she can read and rewrite it")
    said = "her file came too late: the name was taken" if not planted else "the victim used another file"
    return Outcome(False, f"{said}; the report is in a file of the victim's own")


def attack_predictable_name(func: Callable[..., str]) -> Outcome:
    """Before the victim starts, Mallory creates files at every name she can predict: the
    next 100 names ``tempfile`` will draw in this process, and ``report-<pid>-<second>.txt``
    for the last and the next minute. Is the report written at all, and where?"""
    with private_tmpdir() as tmp:
        shared = tmp / "shared-tmp"
        shared.mkdir()
        rng = copy.deepcopy(tempfile._get_candidate_names().rng)  # noqa: SLF001 - see predict_next_name
        chars = tempfile._RandomNameSequence.characters  # noqa: SLF001
        taken = {shared / f"{tempfile.template}{''.join(rng.choices(chars, k=8))}.txt"
                 for _ in range(100)}
        now = int(time.time())
        taken |= {shared / f"report-{os.getpid()}-{second}.txt" for second in range(now - 60, now + 61)}
        for path in taken:
            path.write_text("Mallory's\n", encoding="utf-8")
        try:
            name = Path(func(str(shared), lambda: "report body\n"))
        except FileExistsError:
            return Outcome(True, f"{len(taken)} names taken in advance: the victim's name was "
                                 "one of them, and it wrote no report")
        hers = name in taken or name.read_text(encoding="utf-8") != "report body\n"
    if hers:
        return Outcome(True, "the victim wrote into one of Mallory's files")
    return Outcome(False, f"{len(taken)} names taken in advance; the victim drew another "
                          "and wrote its report there")


def attack_replace_after_write(func: Callable[..., str]) -> Outcome:
    """The shared directory may be written by everybody and has no sticky bit, so Mallory
    may rename files in it: once the report is written, she puts her own in its place, and
    the caller reads the name back. (This process makes the swap, standing in for her.)"""
    with private_tmpdir() as tmp:
        shared = tmp / "shared-tmp"
        shared.mkdir()
        shared.chmod(0o777)  # noqa: S103 - the unsafe directory is the point of the attack
        try:
            name = Path(func(str(shared), lambda: "total: 1,250.00\n"))
        except PermissionError as exc:
            return Outcome(False, f"the victim refused the directory: {exc}".replace(str(tmp), "<tmp>"))
        forged = shared / "forged.txt"
        forged.write_text("total: 0.00\n", encoding="utf-8")
        os.replace(forged, name)
        read_back = name.read_text(encoding="utf-8")
    if read_back == "total: 0.00\n":
        return Outcome(True, "the caller read back Mallory's report: 'total: 0.00'")
    return Outcome(False, f"the caller read back {read_back!r}")


RISK = register(
    Risk(
        id="PSB-TEMPFILE-MKTEMP",
        title="tempfile.mktemp: a name somebody else can create first",
        summary="mktemp returns a name that another user can create, as a symlink, before "
        "the program opens it; mkstemp creates the file atomically.",
        cwe=377,
        bandit=("B306",),
        modules=("tempfile",),
        page="practices/files",
        insecure=write_report_insecure,
        secure=write_report_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a plain file of Mallory's, not a link, created at the chosen name "
                          "while the victim renders", "links-races", attack_existing_file),
            AdaptedAttack("files at every name Mallory can predict, before the victim starts",
                          "links-races", attack_predictable_name,
                          beats=write_report_exclusive_name),
            AdaptedAttack("a directory others may write without the sticky bit: the report "
                          "replaced after it is written", "links-races",
                          attack_replace_after_write, beats=write_report_first_try),
        ),
    )
)
