"""The one child-process runner: untrusted or costly code runs in a fresh interpreter, never here.

:func:`run_python` runs a snippet, a module (``flags=["-m", ...]``) or a script in a child
interpreter, inside a directory the caller names (usually a :func:`private_tmpdir`), with a
timeout, resource limits and a minimal environment, and returns what it printed.
:func:`call_in_child` calls one importable library function there with JSON arguments and
reads back what it returned or raised; :func:`timed_call` does the same and times the call
inside the child, so interpreter start-up is not counted. Arguments go through stdin, because
one command-line argument is limited to 128 KiB on Linux.

A child that must stay offline gets :func:`offline_env`: its proxy is a loopback port that
refuses every connection (:func:`refusing_address`), so it is offline by construction.

Used by the demonstrations of the book (``pysecbook.teaching``), the pip-audit runner
(:mod:`pysecbook.lab.pip_audit`, which the checker runs) and the tests. Imports nothing of
pysecbook.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import socket
import subprocess  # nosec B404 - the whole point of this module is a controlled child process
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_TIMEOUT", "MINIMAL_ENV", "CallResult", "ChildCall", "Completed", "Timed",
           "call_in_child", "last_line", "limit_resources", "offline_env", "private_tmpdir",
           "refusing_address", "run_python", "text_of", "timed_call"]

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


def limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    """In a child about to start: cap its CPU time, address space and file size; no core."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def text_of(data: str | bytes | None) -> str:
    """What a killed child had printed (``TimeoutExpired`` gives bytes, text or None)."""
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` (a child's final message), or ``""``."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


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
    preexec: Callable[[], None] | None = (
        (lambda: limit_resources(cpu_seconds, memory_bytes)) if limits else None)
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
        return Completed(returncode=-9, stdout=text_of(exc.stdout), stderr=text_of(exc.stderr),
                         timed_out=True)
    return Completed(proc.returncode, proc.stdout, proc.stderr)


# One snippet for both kinds of call. Timed, it measures the call only, and keeps the answer
# short: a CPU-burning demonstration may return a huge number whose repr alone takes seconds.
_CALL_SNIPPET = """\
import importlib, json, sys, time
module_name, _, qualname = sys.argv[1].partition(":")
timed = sys.argv[2] == "timed"
target = importlib.import_module(module_name)
for part in qualname.split("."):
    target = getattr(target, part)
args = json.loads(sys.stdin.read())
start = time.perf_counter()
try:
    value = target(*args)
except Exception as exc:
    out = {"raised": type(exc).__name__, "message": str(exc)[:300] if timed else str(exc)}
else:
    if timed and isinstance(value, int) and value.bit_length() > 1000:
        value = f"<int of {value.bit_length()} bits>"
    out = {"returned": repr(value)[:300] if timed else repr(value)}
    if timed:
        try:
            out["value"] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            pass
out["seconds"] = time.perf_counter() - start
print(json.dumps(out))
"""


@dataclass(frozen=True)
class ChildCall:
    """One library call made in a child interpreter: what it returned or raised; timed, how
    long the call itself ran there (``seconds``) and its value when it is JSON (``value``)."""

    returned: str | None
    raised: str | None
    message: str
    completed: Completed
    seconds: float | None = None
    value: object = None
    timed: bool = False

    @property
    def timed_out(self) -> bool:
        return self.completed.timed_out

    def __str__(self) -> str:
        if self.timed and self.timed_out:
            return "still running when the time limit killed it"
        took = f" after {self.seconds:.4f} s" if self.timed else ""
        if self.raised:
            return f"raised {self.raised}{took}: {self.message}"
        if self.returned is not None:
            return f"returned {self.returned}{took}"
        return f"child failed: {last_line(self.completed.stderr) or 'no output'}"


#: The result of :func:`call_in_child` and of :func:`timed_call` (one type, two names kept for
#: the demonstrations that annotate with them).
CallResult = ChildCall
Timed = ChildCall


def _call(func: object, args: Sequence[object], *, timed: bool, flags: Sequence[str],
          env: Mapping[str, str] | None, timeout: float) -> ChildCall:
    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    with private_tmpdir() as tmp:
        done = run_python(_CALL_SNIPPET, cwd=tmp, flags=flags,
                          args=[ref, "timed" if timed else "plain"], env=env, timeout=timeout,
                          input_text=json.dumps(list(args)))
    data: object = {}
    # A timed call counts only when the child ended cleanly; a plain one reports whatever the
    # child managed to print before it ended.
    if done.ok or not timed:
        try:
            data = json.loads(last_line(done.stdout))
        except ValueError:
            data = {}
    if not isinstance(data, dict):
        data = {}
    return ChildCall(returned=data.get("returned"), raised=data.get("raised"),
                     message=data.get("message", ""), completed=done,
                     seconds=data.get("seconds") if timed else None,
                     value=data.get("value"), timed=timed)


def call_in_child(func: object, *args: object, flags: Sequence[str] = (),
                  env: Mapping[str, str] | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> ChildCall:
    """Call ``func(*args)`` in a fresh interpreter started with ``flags`` (say ``-O``).

    ``func`` must be importable by module and qualified name, and ``args`` JSON-serialisable.
    """
    return _call(func, args, timed=False, flags=flags, env=env, timeout=timeout)


def timed_call(func: Callable[..., object], *args: object, flags: Sequence[str] = (),
               env: Mapping[str, str] | None = None, timeout: float = 10.0) -> ChildCall:
    """Call ``func(*args)`` in a child interpreter and time the call itself."""
    return _call(func, args, timed=True, flags=flags, env=env, timeout=timeout)
