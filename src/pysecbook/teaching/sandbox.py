"""Run untrusted snippets the way every demonstration in the book does.

A demonstration never runs attacker-controlled code in the process that builds the book.
It runs it in a child interpreter, inside a private temporary directory, with a timeout,
resource limits and a minimal environment, and it reads back what the child printed.
Book page: ``book/security-model/no-sandbox`` (section "Real isolation lives outside").
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shutil
import socket
import subprocess  # nosec B404 - the whole point of this module is a controlled child process
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Environment every child starts from: no PYTHON* variables, no proxies, no secrets.
MINIMAL_ENV: Mapping[str, str] = {
    "PATH": os.defpath,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}

DEFAULT_TIMEOUT = 20.0

_REFUSING: socket.socket | None = None


def refusing_address() -> str:
    """``127.0.0.1:PORT``, a TCP port that refuses every connection while this process lives.

    The port is bound by this process and never listens, so the kernel answers every
    connection attempt with a reset and no other program can take the port. A child pointed
    at it (as its proxy, say) is offline by construction, whatever network the machine has.
    """
    global _REFUSING
    if _REFUSING is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        atexit.register(sock.close)  # closed on purpose, not found open by the collector
        _REFUSING = sock
    host, port = _REFUSING.getsockname()
    return f"{host}:{port}"


def offline_env() -> dict[str, str]:
    """Proxy settings that send every HTTP(S) request of a child to :func:`refusing_address`."""
    proxy = f"http://{refusing_address()}"
    return {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy,
            "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}


@dataclass(frozen=True)
class Completed:
    """What a child interpreter did: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@contextlib.contextmanager
def private_tmpdir(prefix: str = "pysecbook-") -> Iterator[Path]:
    """A fresh directory only the current user can read, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        path = Path(name)
        path.chmod(0o700)
        yield path


def _limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_python(
    code: str | None = None,
    *,
    cwd: Path,
    flags: Sequence[str] = (),
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    python: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    input_text: str | None = None,
    limits: bool = True,
    cpu_seconds: int = 30,
    memory_bytes: int = 2 * 2**30,
) -> Completed:
    """Run ``python FLAGS -c CODE ARGS`` (or ``python FLAGS ARGS`` without code) in ``cwd``.

    The child gets :data:`MINIMAL_ENV` updated with ``env``; nothing else from the parent's
    environment leaks in. It is killed after ``timeout`` seconds, and, with ``limits``, it
    cannot use more than ``cpu_seconds`` of CPU, ``memory_bytes`` of address space, or write
    files larger than 16 MiB.
    """
    argv = [os.fspath(python or sys.executable), *flags]
    if code is not None:
        argv += ["-c", code]
    argv += list(args)
    child_env = dict(MINIMAL_ENV)
    if env:
        child_env.update(env)
    preexec = (lambda: _limit_resources(cpu_seconds, memory_bytes)) if limits else None
    try:
        proc = subprocess.run(  # nosec B603 - fixed interpreter, argument list, no shell
            argv,
            cwd=cwd,
            env=child_env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec,  # noqa: PLW1509 - only setrlimit, no locks taken
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Completed(
            returncode=-9,
            stdout=_text(exc.stdout),
            stderr=_text(exc.stderr),
            timed_out=True,
        )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


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
        _limit_resources(10, 2**30)

    try:
        proc = subprocess.run(  # nosec B603 - fixed argument list, no shell of ours
            list(argv), cwd=cwd, env=dict(MINIMAL_ENV), capture_output=True, text=True,
            timeout=timeout, preexec_fn=drop, check=False)  # noqa: PLW1509 - drops ids only
    except subprocess.TimeoutExpired as exc:
        return Completed(-9, _text(exc.stdout), _text(exc.stderr), timed_out=True)
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


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` (a child's final message), or ``""``."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


_CALL_SNIPPET = """\
import importlib, json, sys
module_name, _, qualname = sys.argv[1].partition(":")
target = importlib.import_module(module_name)
for part in qualname.split("."):
    target = getattr(target, part)
try:
    value = target(*json.loads(sys.argv[2]))
except Exception as exc:
    print(json.dumps({"raised": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({"returned": repr(value)}))
"""


@dataclass(frozen=True)
class CallResult:
    """The result of calling a library function in a child interpreter."""

    returned: str | None
    raised: str | None
    message: str
    completed: Completed

    def __str__(self) -> str:
        if self.raised:
            return f"raised {self.raised}: {self.message}"
        if self.returned is not None:
            return f"returned {self.returned}"
        return f"child failed: {last_line(self.completed.stderr) or 'no output'}"


def call_in_child(
    func: object,
    *args: object,
    flags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> CallResult:
    """Call ``func(*args)`` in a fresh interpreter started with ``flags`` (say ``-O``).

    ``func`` must be importable by module and qualified name, and ``args`` JSON-serialisable.
    """
    import json

    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    with private_tmpdir() as tmp:
        done = run_python(
            _CALL_SNIPPET,
            cwd=tmp,
            flags=flags,
            args=[ref, json.dumps(list(args))],
            env=env,
            timeout=timeout,
        )
    try:
        data = json.loads(last_line(done.stdout))
    except ValueError:
        data = {}
    return CallResult(
        returned=data.get("returned"),
        raised=data.get("raised"),
        message=data.get("message", ""),
        completed=done,
    )


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
