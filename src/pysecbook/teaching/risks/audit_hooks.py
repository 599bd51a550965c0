"""Audit hooks (PEP 578): good for watching what code does, useless as a sandbox.

``sys.addaudithook`` installs a callback that CPython calls on "auditing events": ``open``,
``subprocess.Popen``, ``socket.connect``, ``exec``, ``import`` and about a hundred more. It
cannot be removed once installed, which makes it a fine monitoring tool. It is not a security
boundary, and PEP 578 says so: native code (``ctypes``, any C extension) does the same work
without raising the events a policy watches, and many operations raise no event at all.

This module registers no risk: a hook-based "sandbox" has no secure twin inside the same
process. It provides the live demonstrations of the page, each in a child interpreter.
Book page: ``book/security-model/audit-hooks``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pysecbook.lab.child import last_line, private_tmpdir, run_python

#: The events the monitoring hook records.
WATCHED = ("open", "subprocess.Popen", "socket.connect", "exec", "import", "ctypes.dlopen",
           "ctypes.dlsym")

_MONITOR = """\
import json, sys
# Modules the host application has already loaded before the hook goes in.
import ctypes, os, socket, subprocess
WATCHED = set(json.loads(sys.argv[1]))
BLOCK_OPEN_OF = sys.argv[2]
seen = []

def hook(event, args):
    if event not in WATCHED:
        return
    if event == "open":
        detail = str(args[0])
        if BLOCK_OPEN_OF and BLOCK_OPEN_OF in detail:
            seen.append(("open", detail + " BLOCKED"))
            raise PermissionError(f"audit policy: opening {detail} is not allowed")
    elif event == "subprocess.Popen":
        detail = " ".join(map(str, args[1]))
    elif event == "socket.connect":
        detail = str(args[1])
    elif event == "exec":
        detail = getattr(args[0], "co_name", "?")
    elif event == "import":
        detail = args[0]
    elif event == "ctypes.dlsym":
        detail = str(args[1])
    else:
        detail = str(args[0])
    seen.append((event, detail))

sys.addaudithook(hook)
result = None
try:
    exec(sys.argv[3], {"__name__": "untrusted"})
except Exception as exc:
    result = f"{type(exc).__name__}: {exc}"
print(json.dumps({"events": seen, "error": result}))
"""

#: Harmless "untrusted" code that does one of each watched thing, on loopback and in its cwd.
BUSY_SNIPPET = """\
import colorsys, os, socket, subprocess, sys
with open("note.txt", "w") as f:
    f.write("hello")
subprocess.run([sys.executable, "-c", "pass"], check=True)
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
client = socket.socket(); client.connect(server.getsockname())
client.close(); server.close()
exec("x = 6 * 7")
token = os.environ.get("PATH")  # reading the environment raises no event
"""

#: Opening the secret file with Python's own ``open``: the policy stops it.
PLAIN_READ = "print(open('secret.txt').read())"

#: The same read through libc with ctypes: no ``open`` event, so the policy never fires.
CTYPES_READ = """\
import ctypes
libc = ctypes.CDLL(None)
fd = libc.open(b"secret.txt", 0)
buf = ctypes.create_string_buffer(64)
n = libc.read(fd, buf, 64)
libc.close(fd)
print("read through libc:", buf.raw[:n].decode())
"""


@dataclass(frozen=True)
class HookReport:
    """What the audit hook recorded while the snippet ran, and what the snippet printed."""

    events: list[tuple[str, str]]
    error: str | None
    printed: str

    def lines(self) -> list[str]:
        """The events as ``event: detail`` lines, in order."""
        return [f"{event:17} {detail}" for event, detail in self.events]


def run_with_hook(snippet: str, *, block_open_of: str = "", secret: str = "") -> HookReport:
    """Run ``snippet`` in a child interpreter under a recording (and optionally blocking) hook.

    With ``block_open_of``, the hook refuses ``open`` events whose path contains it. With
    ``secret``, a file ``secret.txt`` holding it is planted in the child's private directory.
    """
    with private_tmpdir() as tmp:
        if secret:
            (tmp / "secret.txt").write_text(secret, encoding="utf-8")
        done = run_python(
            _MONITOR,
            cwd=tmp,
            flags=["-I"],
            args=[json.dumps(WATCHED), block_open_of, snippet],
            timeout=10,
        )
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(last_line(done.stdout))
    except ValueError:
        return HookReport([], f"child failed: {last_line(done.stderr)}", done.stdout)
    events = [(str(e), str(d)) for e, d in data["events"]]
    return HookReport(events, data["error"], "\n".join(lines[:-1]))


def monitor_busy_snippet() -> HookReport:
    """Watch :data:`BUSY_SNIPPET`: every watched event shows up, except reading the env."""
    return run_with_hook(BUSY_SNIPPET)


def bypass_open_policy(secret: str = "psb-canary-audit") -> tuple[HookReport, HookReport]:
    """A hook that blocks ``open('secret.txt')``, then the same read through ``ctypes``."""
    blocked = run_with_hook(PLAIN_READ, block_open_of="secret", secret=secret)
    bypassed = run_with_hook(CTYPES_READ, block_open_of="secret", secret=secret)
    return blocked, bypassed
