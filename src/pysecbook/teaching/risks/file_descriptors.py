"""A file descriptor never closed: every upload leaks one, until nobody can upload.

``tempfile.mkstemp()`` returns an open file descriptor, a plain ``int``, along with the path.
Nothing closes an ``int`` when it goes out of scope, unlike a file object. An upload handler
that takes the path and reopens it leaks one descriptor per request; when the process
reaches its limit (``RLIMIT_NOFILE``, often 1024) every ``open()``, ``socket()`` and
``accept()`` fails with ``EMFILE``, for every user. The secure version wraps the descriptor
in a file object at once (``os.fdopen``). The attack runs in a child interpreter whose limit
is lowered to a few dozen descriptors. Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import json
import os
import tempfile

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

#: The descriptor limit of the attacked process, and the uploads Mallory sends.
FD_LIMIT = 48
ATTACK_UPLOADS = 100


def save_upload_insecure(directory: str, data: bytes) -> str:
    """Store an upload under a fresh, unpredictable name in ``directory``."""
    fd, path = tempfile.mkstemp(dir=directory, suffix=".upload")  # nosec PSB306 - deliberately insecure: demonstration of PSB-FD-LEAK
    with open(path, "wb") as f:
        f.write(data)
    return path


def save_upload_secure(directory: str, data: bytes) -> str:
    """Store an upload under a fresh, unpredictable name; the descriptor is closed with it."""
    fd, path = tempfile.mkstemp(dir=directory, suffix=".upload")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


_SNIPPET = """\
import importlib, json, resource, sys
module_name, _, name = sys.argv[1].partition(":")
save = getattr(importlib.import_module(module_name), name)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
stored = failed = 0
for _ in range(int(sys.argv[3])):
    try:
        save(".", b"mallory's upload")
        stored += 1
    except OSError:
        failed += 1
try:
    save(".", b"alice's upload")
    alice = "stored"
except OSError as exc:
    alice = f"failed: {exc.strerror}"
print(json.dumps({"stored": stored, "failed": failed, "alice": alice}))
"""


def attack(save_upload: object) -> Outcome:
    """Send 100 uploads to a process limited to 48 descriptors, then let Alice upload one."""
    ref = f"{save_upload.__module__}:{save_upload.__qualname__}"  # type: ignore[attr-defined]
    with private_tmpdir() as tmp:
        done = run_python(_SNIPPET, cwd=tmp, args=[ref, str(FD_LIMIT), str(ATTACK_UPLOADS)],
                          timeout=20)
    try:
        data = json.loads(last_line(done.stdout))
    except ValueError:
        return Outcome(False, f"the child failed: {last_line(done.stderr) or 'no output'}")
    return Outcome(
        attack_succeeded=data["alice"] != "stored",
        observed=f"descriptor limit {FD_LIMIT}: {data['stored']} of Mallory's {ATTACK_UPLOADS} "
                 f"uploads stored, {data['failed']} failed; then Alice's upload: {data['alice']}",
    )


RISK = register(
    Risk(
        id="PSB-FD-LEAK",
        title="A file descriptor that is never closed",
        summary="mkstemp()'s descriptor is an int that nothing closes; each request leaks "
        "one until the process can open no file for anyone.",
        cwe=775,
        bandit=(),
        detections=("PSB306",),
        modules=("tempfile", "os"),
        page="practices/errors",
        insecure=save_upload_insecure,
        secure=save_upload_secure,
        attack=attack,
    )
)
