"""When a Git checkout was last committed to: its HEAD commit's date, read from the objects.

Running ``git`` in a stranger's repository reads its ``.git/config``, which can name programs
to run (``core.fsmonitor``, ``core.pager``...), so git never runs here and the config is
never read. The reflog is no evidence either: a fresh clone records the clone itself, so a
project abandoned for years looks "maintained, 0 days ago". What counts is the committer
date of the commit HEAD names, read with ``dulwich`` from the object store: HEAD and the ref
it points to are read as small files (no symlinks, nothing outside ``.git``), and the object
store never follows ``objects/info/alternates`` out of the repository. This runs in one of
the scan's isolated workers, with a deadline, like every other parse of the target.
Book page: ``book/checklist/could`` (check C4).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["HeadCommit", "head_commit"]

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_REF = re.compile(r"^refs/[A-Za-z0-9._/-]+$")
MAX_REF_FILE = 1_000_000
#: Largest loose commit object read (a commit is a few hundred bytes).
MAX_OBJECT = 1_000_000


@dataclass(frozen=True)
class HeadCommit:
    """The HEAD commit's committer time, or why it could not be read."""

    timestamp: float | None
    reason: str = ""

    @property
    def date(self) -> str | None:
        if self.timestamp is None:
            return None
        return datetime.fromtimestamp(self.timestamp, tz=timezone.utc).date().isoformat()


def _small_file(git_dir: str, rel: str) -> str | None:
    path = os.path.join(git_dir, rel)
    base = os.path.realpath(git_dir)
    if os.path.commonpath([os.path.realpath(path), base]) != base:
        return None  # reached through a symlink out of .git
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_REF_FILE + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_REF_FILE:
        return None
    return data.decode("utf-8", "replace")


def _resolve_head(git_dir: str) -> str | None:
    head = _small_file(git_dir, "HEAD")
    if head is None:
        return None
    head = head.strip()
    for _ in range(5):
        if _SHA.match(head):
            return head
        if not head.startswith("ref: "):
            return None
        ref = head[5:].strip()
        if not _REF.match(ref) or ".." in ref.split("/"):
            return None
        loose = _small_file(git_dir, ref)
        if loose is not None:
            head = loose.strip()
            continue
        packed = _small_file(git_dir, "packed-refs") or ""
        for line in packed.splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref and _SHA.match(sha):
                return sha
        return None
    return None


def head_commit(root: str) -> HeadCommit:
    """The committer time of the commit HEAD names in ``root/.git``."""
    from dulwich.errors import ObjectFormatException
    from dulwich.object_store import DiskObjectStore
    from dulwich.objects import Commit

    git_dir = os.path.join(root, ".git")
    if os.path.islink(git_dir):
        return HeadCommit(None, ".git is a symlink: not followed")
    if os.path.isfile(git_dir):
        return HeadCommit(None, ".git is a file pointing elsewhere (a worktree or submodule): "
                          "not followed")
    if not os.path.isdir(git_dir):
        return HeadCommit(None, "not a Git checkout")
    sha = _resolve_head(git_dir)
    if sha is None:
        return HeadCommit(None, "HEAD names no commit that can be read")
    objects = os.path.join(git_dir, "objects")
    if os.path.islink(objects) or not os.path.isdir(objects):
        return HeadCommit(None, "the object store is missing or a symlink")
    store = DiskObjectStore(objects, loose_object_size_limit=MAX_OBJECT)
    store._alternates = []  # noqa: SLF001 - never follow objects/info/alternates out of the tree
    try:
        obj = store[sha.encode("ascii")]
    except (KeyError, ValueError, OSError, ObjectFormatException) as exc:
        return HeadCommit(None, f"the HEAD commit cannot be read ({type(exc).__name__})")
    if not isinstance(obj, Commit):
        return HeadCommit(None, "HEAD does not name a commit")
    return HeadCommit(float(obj.commit_time))
