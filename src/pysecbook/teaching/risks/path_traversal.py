"""A user-supplied file name escapes its base directory.

``Path(base) / name`` does not keep ``name`` inside ``base``: ``..`` components walk out of
it, an absolute ``name`` replaces ``base`` altogether, and a symbolic link inside ``base`` can
point anywhere. Resolving the joined path and checking that it is still under the resolved
base stops all three as long as nothing changes on disk, and that is the first fix kept here
(:func:`read_upload_first_try`): between the check and the open, a link can be swapped in; a
hard link passes any check of names; a FIFO makes the read wait for ever. The secure version
opens the file one component at a time from a descriptor of the base, following no link,
checks what it opened, and reads from that same descriptor. The attacks read a "secret" file
next to the base directory, inside a private temporary directory.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

SECRET = "db_password=hunter2"  # nosec B105 - a fake secret the attack tries to read

#: The largest upload the secure reader returns; a bigger file is refused unread.
MAX_UPLOAD_BYTES = 16 * 2**20


def read_upload_insecure(base: str, name: str) -> bytes:
    """Return the content of the uploaded file ``name``."""
    return (Path(base) / name).read_bytes()


def read_upload_first_try(base: str, name: str) -> bytes:
    """The first fix: resolve the joined path, check it is inside ``base``, then read it.

    Right about the names, wrong about the disk: the check and the read are two look-ups of
    the same path, so a link swapped in between them is followed; a hard link is a file
    like any other; and ``read_bytes`` waits for ever on a FIFO.
    """
    root = Path(base).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise PermissionError(f"{name!r} is outside the upload directory")
    return target.read_bytes()


def _components(name: str) -> list[str]:
    """``name`` as plain components, ``..`` worked out on paper; refuses what leaves."""
    if not isinstance(name, str):
        raise TypeError(f"an upload name is a str, not {type(name).__name__}")
    if not name or name.startswith("/") or "\0" in name or "\\" in name:
        raise PermissionError(f"{name[:60]!r}: empty, absolute, NUL or backslash")
    parts: list[str] = []
    for part in name.split("/"):
        if part == "..":
            if not parts:
                raise PermissionError(f"{name[:60]!r} is outside the upload directory")
            parts.pop()  # no link is followed below, so '..' is the lexical parent
        elif part not in ("", "."):
            parts.append(part)
    if not parts:
        raise PermissionError(f"{name[:60]!r} names no file")
    return parts


#: Open flags: every component without following a link; directories must be directories;
#: the file without blocking (a FIFO with no writer would wait for ever).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_directory(base: str, parts: list[str]) -> int:
    """A descriptor of ``base/parts...``: ``base`` opened as given, then each component
    from its parent's descriptor with :data:`_DIR_FLAGS`, so a link there raises ``OSError``."""
    fd = os.open(base, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    for part in parts:
        parent = fd
        try:
            fd = os.open(part, _DIR_FLAGS, dir_fd=parent)
        finally:
            os.close(parent)
    return fd


def read_upload_secure(base: str, name: str, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """Return the content of the uploaded file ``name``, opened inside ``base`` without
    following any link.

    ``name`` must be relative, without NUL or backslash, and may not climb above ``base``.
    From a descriptor of ``base``, each directory is opened with ``O_NOFOLLOW |
    O_DIRECTORY`` and the file with ``O_NOFOLLOW | O_NONBLOCK``; the file must be, by
    ``lstat`` before the open and by ``fstat`` after it, a regular file with a single link
    and at most ``max_bytes`` bytes. The bytes are read from the descriptor that was checked,
    so nothing can be swapped in between the check and the read.

    Assumes: ``base`` and the directories above it belong to the caller (a link there is
    followed once, when ``base`` is opened); the platform has ``O_NOFOLLOW`` and
    ``dir_fd`` (Linux, macOS, the BSDs; elsewhere it refuses); any file inside ``base`` may
    be read by whoever may name it, as no per-user check is made.
    Does not stop: a file rewritten while it is read (the bytes come from one file, not
    necessarily one version of it); a device node swapped in between the ``lstat`` and the
    open (the open may have side effects, then the ``fstat`` refuses it); reading up to
    ``max_bytes`` into memory for each request.
    """
    parts = _components(name)
    if not _NOFOLLOW or os.open not in os.supports_dir_fd:
        raise PermissionError("this platform cannot open a path without following links")
    directory = _open_directory(base, parts[:-1])
    try:
        seen = os.stat(parts[-1], dir_fd=directory, follow_symlinks=False)
        if not stat.S_ISREG(seen.st_mode):
            raise PermissionError(f"{name[:60]!r} is not a regular file")
        fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=directory)
    finally:
        os.close(directory)
    with os.fdopen(fd, "rb") as upload:
        opened = os.fstat(upload.fileno())
        if not stat.S_ISREG(opened.st_mode) or opened.st_nlink != 1:
            raise PermissionError(f"{name[:60]!r} is not a regular file with a single link")
        if opened.st_size > max_bytes:
            raise PermissionError(f"{name[:60]!r} is larger than {max_bytes:,} bytes")
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PermissionError(f"{name[:60]!r} grew past {max_bytes:,} bytes")
    return data


def attack_names(tmp: Path) -> dict[str, str]:
    """The names Mallory tries, each with the trick it uses."""
    return {
        "dot-dot": "../secret.txt",
        "absolute": str(tmp / "secret.txt"),
        "symlink": "avatar.png",
    }


def _uploads(tmp: Path) -> Path:
    """``tmp/uploads`` with one honest file, and ``tmp/secret.txt`` next to it."""
    uploads = tmp / "uploads"
    uploads.mkdir()
    (uploads / "report.txt").write_text("quarterly report", encoding="utf-8")
    (tmp / "secret.txt").write_text(SECRET, encoding="utf-8")
    return uploads


def _try_names(func: Callable[..., bytes], uploads: Path, names: dict[str, str]) -> Outcome:
    """Ask ``func`` for each name; did any answer carry the secret?"""
    results = []
    leaked = False
    for trick, name in names.items():
        try:
            data = func(str(uploads), name)
        except (OSError, ValueError, TypeError) as exc:
            results.append(f"{trick}: refused ({type(exc).__name__})")
            continue
        got_secret = SECRET.encode() in data
        leaked = leaked or got_secret
        results.append(f"{trick}: {'read the secret' if got_secret else 'read a file'}")
    return Outcome(attack_succeeded=leaked, observed="; ".join(results))


def attack(func: Callable[..., bytes]) -> Outcome:
    """Mallory asks for files by name and tries to read ``secret.txt`` outside the uploads."""
    with private_tmpdir() as tmp:
        uploads = _uploads(tmp)
        # A link Mallory managed to place among the uploads (say, through an archive).
        (uploads / "avatar.png").symlink_to(tmp / "secret.txt")
        return _try_names(func, uploads, attack_names(tmp))


def other_spellings(tmp: Path) -> dict[str, str]:
    """``..`` and absolute names spelt every other way an attacker tries."""
    return {
        "./..": "./../secret.txt",
        "sub/../..": "report.txt/../../secret.txt",
        "double slash": "//" + str(tmp / "secret.txt").lstrip("/"),
        "/proc/self/root": f"/proc/self/root{tmp}/secret.txt",
        "backslash": "..\\secret.txt",
        "percent-encoded": "%2e%2e%2fsecret.txt",
        "full-width dots": "\uff0e\uff0e/secret.txt",
        "NUL byte": "../secret.txt\0.png",
        "5,000 characters": "a/" * 1250 + "../" * 1251 + "secret.txt",
        "a directory": ".",
    }


def attack_other_spellings(func: Callable[..., bytes]) -> Outcome:
    """Ask for ``secret.txt`` with ``..`` and absolute names spelt other ways: ``./..``,
    ``file/../..``, ``//``, ``/proc/self/root``, a backslash, percent-encoded and full-width
    dots, a NUL byte, a 5,000-character name, a directory."""
    with private_tmpdir() as tmp:
        return _try_names(func, _uploads(tmp), other_spellings(tmp))


def attack_hard_link(func: Callable[..., bytes]) -> Outcome:
    """A hard link among the uploads to ``secret.txt``: as a name it is inside, as a file it
    is the secret. (Planted by whoever may link that file, or unpacked from an archive.)"""
    with private_tmpdir() as tmp:
        uploads = _uploads(tmp)
        os.link(tmp / "secret.txt", uploads / "avatar.png")
        return _try_names(func, uploads, {"hard link": "avatar.png"})


def swap_at_each_open(ref: str, uploads: str, rounds: str) -> list[str]:
    """Run in a child: call the reader ``ref`` once per round, and during its ``at``-th
    open of anything named ``uploads``, ``photos`` or ``avatar.png``, swap ``swap`` for a
    link to the secret (then put it back). Returns what each call got.

    The audit hook stands in for the scheduler at its least kind: the victim is paused just
    before that open and the attacker's swap lands there, exactly, every time. A real race
    hits the same moment by luck within a few hundred calls (see the tests).
    """
    import importlib

    module_name, _, qualname = ref.partition(":")
    impl = getattr(importlib.import_module(module_name), qualname)
    base = Path(uploads)
    state: dict[str, object] = {"left": 0, "swap": None}

    def swap(name: str) -> None:
        os.rename(base / name, base / f"{name}.away")
        os.rename(base / f"{name}.link", base / name)

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event != "open" or not isinstance(args[0], (str, bytes)) or state["swap"] is None:
            return
        if os.path.basename(os.fsdecode(args[0])) in ("uploads", "photos", "avatar.png"):
            state["left"] = int(state["left"]) - 1  # type: ignore[call-overload]
            if state["left"] == 0:
                swap(str(state["swap"]))
                state["swap"] = None

    sys.addaudithook(hook)
    results = []
    for item in json.loads(rounds):
        name, swapped, at = item["name"], item["swap"], item["at"]
        state.update(left=at, swap=swapped)
        try:
            data = impl(uploads, name)
            got = "the secret" if SECRET.encode() in data else "the upload"
        except (OSError, ValueError) as exc:
            got = f"refused ({type(exc).__name__})"
        if state["swap"] is None:  # swapped: put it back for the next round
            os.rename(base / swapped, base / f"{swapped}.link")
            os.rename(base / f"{swapped}.away", base / swapped)
        results.append(f"{name}, {swapped} swapped at open {at}: {got}")
    return results


_RUN_SWAPS = """\
import json, sys
from pysecbook.teaching.risks.path_traversal import swap_at_each_open
print(json.dumps(swap_at_each_open(*sys.argv[1:])))
"""


def attack_swap_after_check(func: Callable[..., bytes]) -> Outcome:
    """Swap ``avatar.png`` (or the folder ``photos`` it is in) for a link to the secret at
    the moment the reader opens it, after any check made on the path before. Tried at each
    of the reader's opens in turn, in a child interpreter."""
    with private_tmpdir() as tmp:
        uploads = _uploads(tmp)
        (tmp / "secret").mkdir()
        (tmp / "secret" / "avatar.png").write_text(SECRET, encoding="utf-8")
        (uploads / "photos").mkdir()
        for folder in (uploads, uploads / "photos"):
            (folder / "avatar.png").write_text("an honest picture", encoding="utf-8")
        (uploads / "avatar.png.link").symlink_to(tmp / "secret.txt")
        (uploads / "photos.link").symlink_to(tmp / "secret")
        rounds = [{"name": name, "swap": swapped, "at": at}
                  for name, swapped in (("avatar.png", "avatar.png"),
                                        ("photos/avatar.png", "photos"))
                  for at in (1, 2, 3)]
        done = run_python(_RUN_SWAPS, cwd=tmp, timeout=30,
                          args=[f"{func.__module__}:{func.__qualname__}", str(uploads),
                                json.dumps(rounds)])
    try:
        results: list[str] = json.loads(last_line(done.stdout))
    except ValueError:
        raise RuntimeError(f"the demonstration's child failed: {last_line(done.stderr)}") from None
    leaks = [r for r in results if r.endswith("the secret")]
    if leaks:
        return Outcome(True, "; ".join(leaks))
    return Outcome(False, f"{len(results)} swaps, one at each open: "
                          + ", ".join(sorted({r.rsplit(': ', 1)[1] for r in results})))


_READ_IN_CHILD = """\
import importlib, json, sys, tracemalloc
module_name, _, qualname = sys.argv[1].partition(":")
impl = getattr(importlib.import_module(module_name), qualname)
tracemalloc.start()
try:
    size = len(impl(sys.argv[2], sys.argv[3]))
    out = {"read": size}
except Exception as exc:
    out = {"raised": type(exc).__name__}
out["grew"] = tracemalloc.get_traced_memory()[1]
print(json.dumps(out))
"""


def attack_fifo_and_sparse_file(func: Callable[..., bytes]) -> Outcome:
    """Two uploads that are not what a reader expects: a FIFO (the read waits for a writer
    that never comes) and a sparse file of 256 MiB (next to nothing on disk, all of it in
    memory once read). Each read runs in a child, killed after 5 seconds."""
    results = []
    stalled = False
    with private_tmpdir() as tmp:
        uploads = _uploads(tmp)
        os.mkfifo(uploads / "pipe.png")
        with open(uploads / "huge.png", "wb") as sparse:
            sparse.truncate(256 * 2**20)
        for name in ("pipe.png", "huge.png"):
            done = run_python(_READ_IN_CHILD, cwd=tmp, timeout=5,
                              args=[f"{func.__module__}:{func.__qualname__}", str(uploads), name])
            if done.timed_out or done.returncode < 0:
                stalled = True
                results.append(f"{name}: the reader still waited after 5 s" if done.timed_out
                               else f"{name}: the reader was killed (status {done.returncode})")
                continue
            try:
                out = json.loads(last_line(done.stdout))
            except ValueError:
                raise RuntimeError("the demonstration's child failed: "
                                   f"{last_line(done.stderr)}") from None
            grew = out["grew"] / 2**20
            if "raised" in out:
                results.append(f"{name}: refused ({out['raised']}), {grew:.0f} MiB allocated")
            else:
                stalled = stalled or out["read"] > MAX_UPLOAD_BYTES
                results.append(f"{name}: {out['read'] / 2**20:.0f} MiB read into memory")
    return Outcome(stalled, "; ".join(results))


RISK = register(
    Risk(
        id="PSB-PATH-TRAVERSAL",
        title="A user-supplied name escapes the base directory",
        summary="Joining a base directory and a user's file name lets '..', absolute names "
        "and links reach any file the process can read; open it component by component, "
        "following no link, and check what was opened.",
        cwe=22,
        bandit=(),
        no_static_rule="joining a base directory and a name is everyday code; only the "
                       "containment check after it makes it safe, and it can take many forms.",
        modules=("pathlib", "os.path"),
        page="practices/files",
        insecure=read_upload_insecure,
        secure=read_upload_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a link swapped in at the moment the reader opens the file, after "
                          "the check", "links-races", attack_swap_after_check,
                          beats=read_upload_first_try),
            AdaptedAttack("a hard link to the secret among the uploads", "links-races",
                          attack_hard_link, beats=read_upload_first_try),
            AdaptedAttack("a FIFO and a 256 MiB sparse file among the uploads", "exhaustion",
                          attack_fifo_and_sparse_file, beats=read_upload_first_try),
            AdaptedAttack("'..' and absolute names spelt other ways: './..', '//', "
                          "'/proc/self/root', backslash, encoded dots, NUL, 5,000 characters",
                          "encoding", attack_other_spellings),
        ),
    )
)
