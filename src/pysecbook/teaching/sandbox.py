"""Run untrusted snippets the way every demonstration in the book does.

A demonstration never runs attacker-controlled code in the process that builds the book.
It runs it in a child interpreter, inside a private temporary directory, with a timeout,
resource limits and a minimal environment, and it reads back what the child printed: the
runner is the lab's (:mod:`pysecbook.lab.child`), re-exported here for the pages. This module
adds what only the demonstrations need: a child that runs as another, unprivileged user, a
directory that user can reach, a private network namespace, and a call that proves code ran
by the file it wrote.
Book page: ``book/security-model/no-sandbox`` (section "Real isolation lives outside").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess  # nosec B404 - the whole point of this module is a controlled child process
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pysecbook.lab.child import (
    DEFAULT_TIMEOUT,
    MINIMAL_ENV,
    CallResult,
    Completed,
    call_in_child,
    last_line,
    limit_resources,
    offline_env,
    private_tmpdir,
    refusing_address,
    run_python,
    text_of,
)

__all__ = ["DEFAULT_TIMEOUT", "MINIMAL_ENV", "OTHER_USER", "CallResult", "Completed",
           "call_in_child", "call_with_marker", "enter_private_network", "last_line",
           "offline_env", "other_user", "other_user_refusal", "private_tmpdir",
           "reachable_dir", "refusing_address", "run_as_other_user", "run_python"]

#: The account a demonstration runs "another local user" as, when the process may switch.
OTHER_USER = "nobody"


def other_user() -> tuple[int, int]:
    """The uid and gid of :data:`OTHER_USER` (65534 when the account database lacks it)."""
    import pwd

    try:
        entry = pwd.getpwnam(OTHER_USER)
    except KeyError:
        return 65534, 65534
    return entry.pw_uid, entry.pw_gid


def other_user_refusal() -> str | None:
    """Why this process cannot start a child as another, unprivileged user (None if it can)."""
    if not hasattr(os, "geteuid") or not hasattr(os, "setuid"):
        return "there are no POSIX users on this platform"
    if os.geteuid() != 0:
        return (f"starting a process as another user needs root, and this one runs as uid "
                f"{os.geteuid()}")
    return None


def run_as_other_user(argv: Sequence[str], *, cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> Completed:
    """Run ``argv`` as :data:`OTHER_USER`, in ``cwd``, with the minimal environment and limits.

    The child drops its groups, its gid and its uid before the program starts, so what it
    does, it does with that user's rights only. Needs root: see :func:`other_user_refusal`.
    The program must be reachable by that user (a system binary such as ``/bin/sh``).
    """
    reason = other_user_refusal()
    if reason:
        raise PermissionError(reason)
    uid, gid = other_user()

    def drop() -> None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        limit_resources(10, 2**30)

    try:
        proc = subprocess.run(  # nosec B603 - fixed argument list, no shell of ours
            list(argv), cwd=cwd, env=dict(MINIMAL_ENV), capture_output=True, text=True,
            timeout=timeout, preexec_fn=drop, check=False)  # noqa: PLW1509 - drops ids only
    except subprocess.TimeoutExpired as exc:
        return Completed(-9, text_of(exc.stdout), text_of(exc.stderr), timed_out=True)
    return Completed(proc.returncode, proc.stdout, proc.stderr)


@contextlib.contextmanager
def reachable_dir(private: Path, name: str = "shared") -> Iterator[Path]:
    """A directory inside ``private`` that another user can reach by its name, removed after.

    ``private`` is 0o700, which keeps every other user out of everything below it; for the
    duration of the block it becomes 0o711 (others may pass through, not list), and the new
    directory is 0o711 as well. Files in it keep the modes they are created with.
    """
    old = private.stat().st_mode & 0o777
    shared = private / name
    shared.mkdir()
    shared.chmod(0o711)
    private.chmod(0o711)
    try:
        yield shared
    finally:
        private.chmod(old)
        shutil.rmtree(shared, ignore_errors=True)


_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SIOCSIFFLAGS = 0x8914
_IFF_UP, _IFF_LOOPBACK, _IFF_RUNNING = 0x1, 0x8, 0x40


def enter_private_network() -> None:
    """Move the calling process into a new, empty network namespace with only loopback up.

    Nothing bound afterwards can be reached from outside the process's own namespace, so a
    demonstration may bind every interface without exposing anything. Works as root, or as
    an ordinary user where unprivileged user namespaces are allowed (Linux only). Call it in
    a child interpreter, never in the process building the book. Raises ``OSError`` when
    the kernel refuses.
    """
    import ctypes
    import fcntl
    import socket
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.geteuid(), os.getegid()
    flags = _CLONE_NEWNET if uid == 0 else _CLONE_NEWUSER | _CLONE_NEWNET
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    if uid != 0:
        Path("/proc/self/setgroups").write_text("deny", encoding="ascii")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1", encoding="ascii")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1", encoding="ascii")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", _IFF_UP | _IFF_LOOPBACK | _IFF_RUNNING)
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, request)


def call_with_marker(func: object, make_argument: Callable[[str], object]) -> tuple[bool, CallResult]:
    """Call ``func(make_argument(marker))`` in a child interpreter; did it write ``marker``?

    ``marker`` is a path inside a fresh private directory; the payload an attack builds from
    it proves that code ran by creating that file, and nothing else.
    """
    with private_tmpdir() as tmp:
        marker = tmp / "marker"
        result = call_in_child(func, make_argument(str(marker)))
        return marker.is_file(), result
