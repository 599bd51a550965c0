"""Isolation outside the interpreter: what a controlled child process gives, and what it does not.

Python cannot isolate code from other code in the same process, so isolation has to come from
the operating system. :func:`pysecbook.teaching.sandbox.run_python` starts a child interpreter with
``-I``-style hygiene (a minimal environment), a wall-clock timeout and resource limits. These
helpers show each of those working, and show the limits of the approach: the child still
reads every file its user can read and can still open sockets.
Book page: ``book/security-model/no-sandbox``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python

__all__ = [
    "Observation",
    "cpu_limit",
    "environment_seen_by_child",
    "file_outside_cwd",
    "loopback_socket",
    "memory_limit",
    "planted_env",
    "wall_clock_timeout",
]


@dataclass(frozen=True)
class Observation:
    """One isolation property, checked in a child: did the child get what it tried?"""

    attempt: str
    child_got_it: bool
    detail: str

    def __str__(self) -> str:
        verdict = "child GOT it" if self.child_got_it else "child was stopped"
        return f"{self.attempt}: {verdict} ({self.detail})"


@contextlib.contextmanager
def planted_env(name: str, value: str) -> Iterator[None]:
    """Set ``name=value`` in this process's environment for the duration of the block."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def environment_seen_by_child(flags: tuple[str, ...] = ("-I",)) -> Observation:
    """Plant a secret in the parent's environment; does a sandboxed child see it?"""
    secret = "psb-canary-" + secrets.token_hex(8)
    code = "import os, json; print(json.dumps(sorted(os.environ)))"
    with planted_env("PSB_PARENT_SECRET", secret), private_tmpdir() as tmp:
        done = run_python(code, cwd=tmp, flags=flags)
    names = last_line(done.stdout)
    return Observation(
        "read the parent's PSB_PARENT_SECRET",
        "PSB_PARENT_SECRET" in names,
        f"variables the child sees: {names}",
    )


def _killed(done: Completed) -> str:
    if done.timed_out:
        return "killed by the timeout"
    if done.returncode < 0:
        return f"killed by {signal.Signals(-done.returncode).name}"
    return f"exit status {done.returncode}: {last_line(done.stderr) or last_line(done.stdout)}"


def wall_clock_timeout(seconds: float = 1.0) -> Observation:
    """A child that never ends is killed after ``seconds``."""
    with private_tmpdir() as tmp:
        done = run_python("while True:\n    pass", cwd=tmp, timeout=seconds, cpu_seconds=30)
    return Observation(f"loop forever (timeout {seconds:g} s)", done.ok, _killed(done))


def cpu_limit(cpu_seconds: int = 1) -> Observation:
    """A child that burns CPU is killed by the kernel at ``RLIMIT_CPU``, before any timeout.

    :func:`pysecbook.teaching.sandbox.run_python` sets the soft and hard limits equal, so Linux sends
    ``SIGKILL`` rather than the catchable ``SIGXCPU``.
    """
    with private_tmpdir() as tmp:
        done = run_python(
            "while True:\n    pass", cwd=tmp, timeout=15, cpu_seconds=cpu_seconds
        )
    return Observation(f"burn CPU (limit {cpu_seconds} s of CPU)", done.ok, _killed(done))


def memory_limit(limit_mib: int = 256, want_mib: int = 1024) -> Observation:
    """A child asking for more memory than ``RLIMIT_AS`` allows gets a ``MemoryError``."""
    code = f"data = bytearray({want_mib} * 2**20)\nprint('allocated', len(data))"
    with private_tmpdir() as tmp:
        done = run_python(code, cwd=tmp, memory_bytes=limit_mib * 2**20)
    return Observation(
        f"allocate {want_mib} MiB (limit {limit_mib} MiB)", done.ok, _killed(done)
    )


def file_outside_cwd() -> Observation:
    """A file in another private directory of the same user is readable by the child."""
    secret = "psb-canary-" + secrets.token_hex(8)
    with private_tmpdir() as elsewhere, private_tmpdir() as cwd:
        target = elsewhere / "parent-only.txt"
        target.write_text(secret, encoding="utf-8")
        code = "import sys; print(open(sys.argv[1], encoding='utf-8').read())"
        done = run_python(code, cwd=cwd, flags=["-I"], args=[str(target)])
    got = secret in done.stdout
    return Observation(
        "read a file outside its working directory", got, f"read {last_line(done.stdout)!r}"
    )


def loopback_socket() -> Observation:
    """Nothing stops the child from opening sockets (shown on 127.0.0.1 only)."""
    code = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.bind(('127.0.0.1', 0))\n"
        "s.listen()\n"
        "print('listening on', s.getsockname())\n"
        "s.close()"
    )
    with private_tmpdir() as tmp:
        done = run_python(code, cwd=tmp, flags=["-I"])
    return Observation("open a socket (loopback)", done.ok, last_line(done.stdout))
