"""What a test may assume about the day and the machine: only what it creates itself.

- **The day.** :data:`TODAY` is the one date every test injects where the code takes a date;
  :data:`TODAY_TIMESTAMP` is noon UTC on that day, for file times. Nothing here reads the
  real clock, so the suite can run with the clock moved years ahead (``--clock-ahead``).
- **The network.** :func:`closed_port` gives a port on 127.0.0.1 that refuses connections
  (bound by this process, never listening), so "the service cannot be reached" is a condition
  the test creates, on a networked machine as on an offline one.
- **Privileges.** :func:`network_namespace_refusal` and :func:`privilege_drop_refusal` say
  why the kernel or the user refuses what a test needs (``None`` when it is available), so
  the test can skip with that reason instead of passing by doing nothing.
- **The interpreter's state.** :func:`on_sys_path` puts a directory of the repository
  (``scripts``, ``bench``) on ``sys.path`` only while its block imports from it, so no test
  leaves its search path to the tests that run after it in the same worker.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timezone
from pathlib import Path

#: The one "today" of the test suite.
TODAY = date(2026, 11, 21)
#: Noon UTC on :data:`TODAY`, as a POSIX timestamp: the time stamped on files tests create.
TODAY_TIMESTAMP = datetime.combine(TODAY, time(12), tzinfo=timezone.utc).timestamp()

DAY = 86_400.0


@contextlib.contextmanager
def on_sys_path(directory: Path) -> Iterator[None]:
    """``directory`` first on ``sys.path`` for the block, and removed after it.

    Import what the test needs inside the block: a package imported there keeps finding its
    submodules through its own ``__path__`` afterwards.
    """
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)


def days_before(days: float) -> float:
    """The timestamp ``days`` days before :data:`TODAY_TIMESTAMP`."""
    return TODAY_TIMESTAMP - days * DAY


def stamp_tree(root: Path, when: float = TODAY_TIMESTAMP) -> None:
    """Set the access and modification time of every file and directory under ``root``."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            os.utime(path, (when, when))


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that refuses every connection while the block runs.

    The socket is bound and never listens: the kernel answers each connection attempt with
    a reset, and no other process can take the port meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


_UNSHARE_PROBE = """\
import sys
from pysecbook.teaching.sandbox import enter_private_network
try:
    enter_private_network()
except OSError as exc:
    print(exc)
    sys.exit(1)
"""


@functools.lru_cache(maxsize=1)
def network_namespace_refusal() -> str | None:
    """Why this process cannot enter a private network namespace, or None if it can.

    Probed in a child interpreter, exactly as the demonstrations enter one.
    """
    if not sys.platform.startswith("linux"):
        return f"network namespaces are Linux only (this is {sys.platform})"
    done = subprocess.run([sys.executable, "-c", _UNSHARE_PROBE], capture_output=True,
                          text=True, timeout=60, check=False)
    if done.returncode == 0:
        return None
    reason = (done.stdout.strip() or done.stderr.strip().splitlines()[-1:] or ["unknown"])
    return f"the kernel refuses a private network namespace here ({''.join(reason)[:200]})"


#: The unprivileged user a child switches to (nobody on Debian).
NOBODY = 65534


@functools.lru_cache(maxsize=1)
def interpreter_as_other_user_refusal() -> str | None:
    """Why a child cannot run *this interpreter* as an unprivileged user, or None if it can:
    root is needed, and an interpreter installed under root's home is out of that user's reach."""
    if (why := privilege_drop_refusal()) is not None:
        return why
    try:
        done = subprocess.run([sys.executable, "-c", "pass"], capture_output=True, timeout=60,
                              check=False, user=NOBODY, group=NOBODY, extra_groups=[], cwd="/")
    except OSError as exc:
        return f"an unprivileged user cannot run {sys.executable} here ({exc.strerror or exc})"
    if done.returncode != 0:
        return f"an unprivileged user cannot run {sys.executable} here (exit {done.returncode})"
    return None


def privilege_drop_refusal() -> str | None:
    """Why a child cannot run as another, unprivileged user here, or None if it can (the
    library's own probe, which the demonstrations use)."""
    from pysecbook.teaching.sandbox import other_user_refusal

    return other_user_refusal()


@contextlib.contextmanager
def osv_server(advisories: dict[tuple[str, str], list[dict[str, object]]]) -> Iterator[str]:
    """A loopback OSV API for pip-audit's ``--osv-url``: yields the URL of its query endpoint.

    ``advisories`` maps ``(canonical name, version)`` to the OSV records to answer with;
    every other package gets ``{}``, OSV's answer for "no known vulnerability". The server
    binds 127.0.0.1 only and stops when the block ends.
    """
    import http.server
    import json

    from pysecbook.lab.loopback import serve_http

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            query = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            key = (query["package"]["name"], query["version"])
            body = json.dumps({"vulns": advisories[key]} if key in advisories else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serve_http(Handler, name="osv-api") as address:
        yield f"{address.url}/v1/query"


def osv_record(vuln_id: str, package: str, fixed: str) -> dict[str, object]:
    """A minimal OSV record for ``package``, fixed in version ``fixed``."""
    return {"id": vuln_id, "summary": "a test advisory", "affected": [{
        "package": {"name": package, "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
    }]}


# Workers for the scan's pool, importable by its worker processes (they run in a forkserver
# child, so a test cannot monkeypatch them: it passes one of these as ``scan(worker=...)``).

def crash_on_m07(job):  # type: ignore[no-untyped-def]
    """Scan as usual, but die on ``m07.py`` as a worker hit by a segfault would."""
    from pysecbook.checker.scan import run_job

    if job.path.endswith("m07.py"):
        os._exit(70)
    return run_job(job)


def fail_on_m03(job):  # type: ignore[no-untyped-def]
    """Scan as usual, but raise on ``m03.py``."""
    from pysecbook.checker.scan import run_job

    if job.path.endswith("m03.py"):
        raise ValueError("boom")
    return run_job(job)


def hang_on_slow(job):  # type: ignore[no-untyped-def]
    """Scan as usual, but spin forever on a file named ``slow.py``, as a catastrophic regular
    expression or a parser trap would."""
    from pysecbook.checker.scan import run_job

    if job.path.endswith("slow.py"):
        while True:
            pass
    return run_job(job)
