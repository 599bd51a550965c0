"""A file descriptor never closed: every upload leaks one, until nobody can upload.

``tempfile.mkstemp()`` returns an open file descriptor, a plain ``int``, along with the path.
Nothing closes an ``int`` when it goes out of scope, unlike a file object. An upload handler
that takes the path and reopens it leaks one descriptor per request; when the process
reaches its limit (``RLIMIT_NOFILE``, often 1024) every ``open()``, ``socket()`` and
``accept()`` fails with ``EMFILE``, for every user. The secure version wraps the descriptor
in a file object at once (``os.fdopen``), and removes the file of an upload that fails. The
attacks run in a child interpreter whose limit is lowered to a few dozen descriptors.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import json
import os
import tempfile

from collections.abc import Callable

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The descriptor limit of the attacked process, and the uploads Mallory sends.
FD_LIMIT = 48
ATTACK_UPLOADS = 100


def save_upload_insecure(directory: str, data: bytes) -> str:
    """Store an upload under a fresh, unpredictable name in ``directory``."""
    fd, path = tempfile.mkstemp(dir=directory, suffix=".upload")  # nosec PSB306 - deliberately insecure: demonstration of PSB-FD-LEAK
    with open(path, "wb") as f:
        f.write(data)
    return path


def save_upload_first_try(directory: str, data: bytes) -> str:
    """A first fix: write through the descriptor ``mkstemp`` returned, then close it.

    Kept to show an adapted attack beating it: ``os.close`` is the statement after the write,
    so an upload whose write raises leaks the descriptor all the same.
    """
    fd, path = tempfile.mkstemp(dir=directory, suffix=".upload")
    os.write(fd, data)
    os.close(fd)
    return path


def save_upload_secure(directory: str, data: bytes) -> str:
    """Store an upload under a fresh, unpredictable name; the descriptor is closed with it.

    ``os.fdopen`` makes the descriptor a file object at once, and ``with`` closes it on every
    way out. An upload that fails part-way (a body that is not bytes, a full disk, a file
    larger than the process may write) is removed, so it leaves nothing behind.

    Assumes: ``directory`` belongs to this service (nobody else creates or removes files in
    it), and the caller limits the size and the number of uploads.
    Does not stop: uploads that succeed, as many and as large as the caller lets through; a
    descriptor lost if ``os.fdopen`` itself fails (it would take running out of memory);
    files left behind when the process is killed in the middle of a write.
    """
    fd, path = tempfile.mkstemp(dir=directory, suffix=".upload")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        os.unlink(path)
        raise
    return path


_SNIPPET = """\
import importlib, json, os, resource, signal, sys
module_name, _, name = sys.argv[1].partition(":")
save = getattr(importlib.import_module(module_name), name)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
body = {"bytes": b"mallory's upload", "text": "mallory's upload",
        "large": b"m" * (4 * int(sys.argv[5] or 0))}[sys.argv[4]]
if sys.argv[5]:  # the largest file the service may write; beyond it a write fails with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[5]), int(sys.argv[5])))
os.mkdir("uploads")
stored = failed = 0
for _ in range(int(sys.argv[3])):
    try:
        save("uploads", body)
        stored += 1
    except (OSError, TypeError):
        failed += 1
try:
    left = [os.path.getsize(os.path.join("uploads", n)) for n in os.listdir("uploads")]
except OSError:  # no descriptor left to read the directory with
    left = []
try:
    save("uploads", b"alice's upload")
    alice = "stored"
except OSError as exc:
    alice = f"failed: {exc.strerror}"
print(json.dumps({"stored": stored, "failed": failed, "alice": alice, "left": len(left),
                  "left_bytes": sum(left)}))
"""


def _uploads(save_upload: Callable[..., object], body: str = "bytes", count: int = ATTACK_UPLOADS,
             file_limit: int | None = None) -> dict[str, object] | Outcome:
    """Mallory's ``count`` uploads, then Alice's, in a child whose descriptor limit is
    :data:`FD_LIMIT` (and whose file size limit is ``file_limit``)."""
    ref = f"{save_upload.__module__}:{save_upload.__qualname__}"
    args = [ref, str(FD_LIMIT), str(count), body, str(file_limit or "")]
    with private_tmpdir() as tmp:
        done = run_python(_SNIPPET, cwd=tmp, args=args, timeout=20)
    try:
        return json.loads(last_line(done.stdout))  # type: ignore[no-any-return]
    except ValueError:
        return Outcome(False, f"the child failed: {last_line(done.stderr) or 'no output'}")


def attack(save_upload: object) -> Outcome:
    """Send 100 uploads to a process limited to 48 descriptors, then let Alice upload one."""
    data = _uploads(save_upload)  # type: ignore[arg-type]
    if isinstance(data, Outcome):
        return data
    return Outcome(
        attack_succeeded=data["alice"] != "stored",
        observed=f"descriptor limit {FD_LIMIT}: {data['stored']} of Mallory's {ATTACK_UPLOADS} "
                 f"uploads stored, {data['failed']} failed; then Alice's upload: {data['alice']}",
    )


def attack_failing_writes(save_upload: Callable[..., object]) -> Outcome:
    """Send 100 uploads whose body is text, not bytes (a JSON field, say): every write raises,
    and a close written after the write never runs. Then Alice uploads one."""
    data = _uploads(save_upload, body="text")
    if isinstance(data, Outcome):
        return data
    return Outcome(data["alice"] != "stored",
                   f"descriptor limit {FD_LIMIT}: {data['failed']} of Mallory's "
                   f"{ATTACK_UPLOADS} text uploads failed; then Alice's upload: {data['alice']}")


#: The largest file the attacked service may write (``RLIMIT_FSIZE``), in bytes, and how
#: many uploads four times that size Mallory sends.
FILE_LIMIT = 64 * 1024
LARGE_UPLOADS = 20


def attack_refused_uploads_stay(save_upload: Callable[..., object]) -> Outcome:
    """Send 20 uploads four times the largest file the service may write: each one fails
    part-way, and what was written stays on disk under a name nobody was told about."""
    data = _uploads(save_upload, body="large", count=LARGE_UPLOADS, file_limit=FILE_LIMIT)
    if isinstance(data, Outcome):
        return data
    left, stored, size = int(data["left"]), int(data["stored"]), int(data["left_bytes"])  # type: ignore[call-overload]
    return Outcome(left > stored,
                   f"file size limit {FILE_LIMIT // 1024} KiB: {data['failed']} of Mallory's "
                   f"{LARGE_UPLOADS} uploads refused, {stored} stored; files in the upload "
                   f"directory: {left}, {max(left - stored, 0)} of them from refused uploads "
                   f"({size / 2**20:.2f} MiB in all)")


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
        adapted=(
            AdaptedAttack("uploads whose write raises (text instead of bytes), 100 times",
                          "variant", attack_failing_writes, beats=save_upload_first_try),
            AdaptedAttack("uploads larger than the file size limit: each fails part-way",
                          "exhaustion", attack_refused_uploads_stay),
        ),
    )
)
