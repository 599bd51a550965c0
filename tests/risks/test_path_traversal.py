"""Reading an upload by name (book/practices/files): the race the issue describes, for real.

The adapted attack ``attack_swap_after_check`` hits the window between check and open
exactly, with an audit hook standing in for an unlucky scheduler. Here the same window is hit
without any help: a child process flips ``avatar.png`` between a file and a link to the
secret while the reader loops. The first try loses within a few hundred calls on any machine
this was tried on; each test stops at the first leak, so its bound (a minute) is only there
for a machine so loaded that the flipper hardly runs. The secure reader is run until it has
seen the link and the file many times each, and must never return the secret.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import path_traversal as pt

#: The flipper: replaces avatar.png by a link to the secret and back, as fast as it can,
#: for at most a minute (it is killed as soon as the test is done).
FLIPPER = """\
import os, sys, time
uploads, secret = sys.argv[1], sys.argv[2]
link, honest = os.path.join(uploads, ".link"), os.path.join(uploads, ".honest")
target = os.path.join(uploads, "avatar.png")
print("flipping", flush=True)
end = time.monotonic() + 60
yield_cpu = getattr(os, "sched_yield", lambda: None)  # on one core, let the reader run
while time.monotonic() < end:
    os.symlink(secret, link)
    os.replace(link, target)
    yield_cpu()
    with open(honest, "w") as f:
        f.write("an honest picture")
    os.replace(honest, target)
    yield_cpu()
"""

BOUND_SECONDS = 60.0


@pytest.fixture()
def flipping() -> Iterator[Path]:
    """An uploads folder whose ``avatar.png`` another process keeps swapping for a link."""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        (tmp / "secret.txt").write_text(pt.SECRET, encoding="utf-8")
        (uploads / "avatar.png").write_text("an honest picture", encoding="utf-8")
        with subprocess.Popen(  # nosec B603 - this interpreter, a fixed snippet
                [sys.executable, "-c", FLIPPER, str(uploads), str(tmp / "secret.txt")],
                stdout=subprocess.PIPE, text=True) as flipper:
            try:
                assert flipper.stdout is not None and flipper.stdout.readline() == "flipping\n"
                yield uploads
            finally:
                flipper.kill()


def _race(read: Callable[[str, str], bytes], uploads: Path, enough: int) -> dict[str, int]:
    """Call ``read`` until it returns the secret, or has seen the link and the honest file
    ``enough`` times each, or the bound is reached. Counts what each call got."""
    seen = {"secret": 0, "honest": 0, "refused": 0}
    end = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < end:
        try:
            data = read(str(uploads), "avatar.png")
        except OSError:
            seen["refused"] += 1
        else:
            seen["secret" if pt.SECRET.encode() in data else "honest"] += 1
        if seen["secret"] or min(seen["honest"], seen["refused"]) >= enough:
            break
    return seen


def test_a_real_race_beats_the_first_try(flipping: Path) -> None:
    """Nothing but another process flipping a link: the check passes on the file, the read
    follows the link."""
    seen = _race(pt.read_upload_first_try, flipping, enough=10**9)
    assert seen["secret"] == 1, seen


def test_a_real_race_never_beats_the_secure_reader(flipping: Path) -> None:
    seen = _race(pt.read_upload_secure, flipping, enough=500)
    assert seen["secret"] == 0, seen
    assert seen["honest"] >= 500 and seen["refused"] >= 500, seen


def test_the_secure_reader_reads_honest_uploads_and_works_out_dot_dot() -> None:
    with private_tmpdir() as tmp:
        (tmp / "a" / "b").mkdir(parents=True)
        (tmp / "a" / "b" / "c.txt").write_bytes(b"ok")
        for name in ("a/b/c.txt", "./a//b/./c.txt", "a/x/../b/c.txt", "a/b/../b/c.txt"):
            assert pt.read_upload_secure(str(tmp), name) == b"ok", name


def test_the_secure_reader_refuses_a_file_over_its_limit_unread() -> None:
    with private_tmpdir() as tmp:
        (tmp / "f").write_bytes(b"x" * 11)
        assert pt.read_upload_secure(str(tmp), "f", max_bytes=11) == b"x" * 11
        with pytest.raises(PermissionError, match="larger than 10 bytes"):
            pt.read_upload_secure(str(tmp), "f", max_bytes=10)


@pytest.mark.parametrize("name", [b"../secret.txt", ["a"], None], ids=["bytes", "list", "None"])
def test_the_secure_reader_takes_only_a_str_name(name: object) -> None:
    with private_tmpdir() as tmp, pytest.raises(TypeError, match="an upload name is a str"):
        pt.read_upload_secure(str(tmp), name)  # type: ignore[arg-type]


def test_a_fifo_that_passes_for_a_file_at_lstat_does_not_hang_the_reader(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The second guard on its own: even if the ``lstat`` before the open were fooled (a
    FIFO swapped in right after it), ``O_NONBLOCK`` opens the FIFO at once and the ``fstat``
    after it refuses it."""
    real_stat = os.stat

    def regular_at_lstat(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_stat(path, *args, **kwargs)
        if kwargs.get("follow_symlinks") is False and stat.S_ISFIFO(result.st_mode):
            return os.stat_result((stat.S_IFREG | 0o644, *result[1:]))
        return result

    with private_tmpdir() as tmp:
        os.mkfifo(tmp / "pipe.png")
        monkeypatch.setattr(pt.os, "stat", regular_at_lstat)
        outcome: list[BaseException | bytes] = []

        def read() -> None:
            try:
                outcome.append(pt.read_upload_secure(str(tmp), "pipe.png"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome.append(exc)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=10)
        if reader.is_alive():  # it blocked: give it a writer so that the thread can end
            os.close(os.open(tmp / "pipe.png", os.O_WRONLY | os.O_NONBLOCK))
            reader.join(timeout=10)
            pytest.fail("the secure reader waited on a FIFO")
    assert isinstance(outcome[0], PermissionError), outcome
    assert "not a regular file with a single link" in str(outcome[0])
