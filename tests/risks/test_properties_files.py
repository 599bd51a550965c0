"""Properties of the secure file code (book/practices/files), stated as the attacker's goal.

The adapted attacks in the risk modules are the payloads a person thought of; Hypothesis
composes names, archives and prior states of the disk from the same pieces (``..``, ``.``,
separators, links of both kinds, names that differ only by case or normalisation, lying
sizes, wide modes) in orders nobody wrote down. Each property was checked to fail when
pointed at the module's first try or insecure function (see the report of issue 22).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import file_permissions as fp
from pysecbook.teaching.risks import path_traversal as pt
from pysecbook.teaching.risks import tarfile_extraction as tx
from pysecbook.teaching.risks import temp_files as tf
from pysecbook.teaching.risks import zip_bombs as zb
from pysecbook.teaching.sandbox import other_user_refusal, reachable_dir, run_as_other_user

# --- reading an upload by name ---------------------------------------------------------------

#: What lies in the uploads folder: honest files, a link and a hard link to the secret, a link
#: to the folder above, and a folder whose name looks like an encoded '..'.
HONEST = {"report.txt": b"quarterly report", "sub/inner.txt": b"inner"}
SEGMENTS = st.sampled_from(("", ".", "..", "sub", "report.txt", "inner.txt", "avatar.png",
                            "hard.png", "up", "secret.txt", "%2e%2e", "\uff0e\uff0e", "..\\",
                            "\\", "\0", "proc", "self"))
SEPARATORS = st.sampled_from(("/", "//", "/./", "\\"))


@st.composite
def upload_names(draw: st.DrawFn) -> str:
    parts = draw(st.lists(SEGMENTS, min_size=1, max_size=5))
    joined = parts[0] + "".join(draw(SEPARATORS) + part for part in parts[1:])
    return draw(st.sampled_from(("", "/", "{tmp}/", "/proc/self/root{tmp}/"))) + joined


@pytest.fixture(scope="module")
def uploads() -> Iterator[Path]:
    with private_tmpdir() as tmp:
        base = tmp / "uploads"
        (base / "sub").mkdir(parents=True)
        (base / "%2e%2e").mkdir()
        for name, data in HONEST.items():
            (base / name).write_bytes(data)
        (tmp / "secret.txt").write_text(pt.SECRET, encoding="utf-8")
        (base / "avatar.png").symlink_to(tmp / "secret.txt")
        os.link(tmp / "secret.txt", base / "hard.png")
        (base / "up").symlink_to(tmp)
        (base / "sub" / "up").symlink_to("..")
        yield base


@given(upload_names())
def test_no_generated_name_is_read_from_outside_the_uploads(uploads: Path, name: str) -> None:
    """Goal: any byte of ``secret.txt``, next to ``uploads/`` (and reachable from inside it by
    a link, a hard link, ``..`` or an absolute name). Every answer is a refusal or one of the
    honest uploads, whole."""
    name = name.replace("{tmp}", str(uploads.parent))
    try:
        data = pt.read_upload_secure(str(uploads), name)
    except (OSError, ValueError, TypeError):
        return
    assert pt.SECRET.encode() not in data, name
    assert data in HONEST.values(), (name, data[:40])


# --- unpacking tar archives --------------------------------------------------------------------

NAMES = st.sampled_from(("x", "y", "d", "X", "d/x", "y/x", "caf\u00e9", "cafe\u0301", ".", ".."))
TARGETS = st.lists(st.sampled_from((".", "..", "x", "y", "d", "victim.txt")), min_size=1,
                   max_size=3).map("/".join)
MEMBERS = st.one_of(
    st.tuples(st.just("file"), NAMES, st.just("planted")),
    st.tuples(st.just("dir"), NAMES, st.just("")),
    st.tuples(st.just("sym"), NAMES, TARGETS),
    st.tuples(st.just("hard"), NAMES, TARGETS),
)
ARCHIVES = st.lists(st.lists(MEMBERS, min_size=1, max_size=3), min_size=1, max_size=3)
#: What an earlier job (or another user) may have left in the destination: nothing, or a
#: link of either kind leading out of it, under a name the archives also use.
LEFT_BEHIND = st.sampled_from((None, ("sym", "x", "../victim.txt"), ("sym", "d", ".."),
                               ("sym", "y", "."), ("hard", "x", "victim.txt")))


def _escapes(dest: Path, path: Path) -> bool:
    real = Path(os.path.realpath(path))
    return not real.is_relative_to(dest.resolve())


@given(LEFT_BEHIND, ARCHIVES)
def test_no_run_of_archives_writes_or_points_outside_the_destination(
        left: tuple[str, str, str] | None, archives: list[list[tx.Spec]]) -> None:
    """Goal: write ``victim.txt`` next to the destination, or leave a link in the destination
    that leads out of it, with up to three archives unpacked one after another into the same
    folder, which may hold a link left by an earlier job. Refusals are fine; afterwards the
    victim is intact, nothing new exists beside the destination, and no link inside that the
    archives made resolves outside."""
    with private_tmpdir() as tmp:
        box = tmp / "box"
        dest = box / "dest"
        dest.mkdir(parents=True)
        victim = box / "victim.txt"
        victim.write_text("original", encoding="utf-8")
        if left and left[0] == "sym":
            (dest / left[1]).symlink_to(left[2])
        elif left:
            os.link(victim, dest / left[1])
        for number, members in enumerate(archives):
            try:
                archive = tx._write_archive(tmp / f"{number}.tar", members)
            except (ValueError, tarfile.TarError):
                continue  # not an archive tarfile can write
            try:
                tx.extract_secure(str(archive), str(dest))
            except (tarfile.TarError, OSError):
                pass
        assert victim.read_text(encoding="utf-8") == "original", (left, archives)
        assert sorted(p.name for p in box.iterdir()) == ["dest", "victim.txt"], (left, archives)
        for path in dest.rglob("*"):
            if path.is_symlink() and not (left and path == dest / left[1]):
                assert not _escapes(dest, path), (left, archives, path, os.readlink(path))


# --- zip bombs ---------------------------------------------------------------------------------

#: A member: size, content, stored or deflated, and how many times larger than the truth
#: its declared compressed size is; an archive is one or two runs of identical members (a
#: bomb repeats what works).
ZIP_MEMBER = st.tuples(st.sampled_from((0, 1000, 2**21)),
                       st.sampled_from(("zeros", "text", "random")),
                       st.sampled_from((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)),
                       st.sampled_from((1, 10, 1000)))
ZIP_MEMBERS = st.lists(st.tuples(ZIP_MEMBER, st.integers(1, 4)), min_size=1, max_size=2).map(
    lambda runs: [member for member, count in runs for _ in range(count)])


@functools.cache
def _noise(size: int) -> bytes:
    """``size`` bytes that do not compress, the same on every run."""
    return hashlib.shake_256(b"pysecbook").digest(size)


def _content(size: int, kind: str) -> bytes:
    if kind == "zeros":
        return bytes(size)
    if kind == "text":
        return (b"GET /index.html 200\n" * (size // 20 + 1))[:size]
    return _noise(size)


def _lying_zip(members: list[tuple[int, str, int, int]], padding: int) -> bytes:
    """The members, each with its declared compressed size multiplied by its lie (capped
    at what the rest of the file can feed ``zipfile``), and ``padding`` stored bytes after."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for index, (size, kind, method, _) in enumerate(members):
            zf.writestr(zipfile.ZipInfo(f"m{index}"), _content(size, kind), compress_type=method)
        if padding:
            zf.writestr(zipfile.ZipInfo("pad"), _content(padding, "random"))
        infos = zf.infolist()[:len(members)]
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    for info, (_, _, method, lie) in zip(infos, members):
        room = len(data) - info.header_offset - 30 - len(info.filename)
        claimed = min(info.compress_size * lie, room) if method == zipfile.ZIP_DEFLATED else info.compress_size
        struct.pack_into("<I", data, info.header_offset + 18, claimed)
        struct.pack_into("<I", data, central + 20, claimed)
        central = data.find(b"PK\x01\x02", central + 46)
    return bytes(data)


@given(ZIP_MEMBERS, st.sampled_from((0, 2**15, 2**16)))
def test_no_generated_zip_expands_past_the_ratio_or_the_total(
        members: list[tuple[int, str, int, int]], padding: int) -> None:
    """Goal: make the extractor write more than ``MAX_RATIO`` times the archive's size, or more
    than ``MAX_TOTAL_BYTES``, with members that lie about their compressed size."""
    with private_tmpdir() as tmp:
        archive = tmp / "a.zip"
        archive.write_bytes(_lying_zip(members, padding))
        counter = zb.ByteCounter()
        try:
            zb.extract_secure(str(archive), counter)
        except (zb.ZipBombError, zipfile.BadZipFile, EOFError, OSError):
            pass
        size = archive.stat().st_size
    assert counter.total <= zb.MAX_RATIO * size, (members, padding, counter.total, size)
    assert counter.total <= zb.MAX_TOTAL_BYTES


# --- temporary files and saved configurations ------------------------------------------------

ROOT_ONLY = pytest.mark.skipif(other_user_refusal() is not None,
                               reason="acting as another user needs root")
LEVELS = st.lists(st.tuples(st.sampled_from((0o700, 0o711, 0o755, 0o775, 0o777, 0o733, 0o1777,
                                             0o1733)),
                            st.booleans()),  # owned by the other user?
                  min_size=1, max_size=3)


@ROOT_ONLY
@given(LEVELS, st.booleans())
def test_no_accepted_report_can_be_renamed_by_another_user(
        levels: list[tuple[int, bool]], through_link: bool) -> None:
    """Goal, as ``nobody``: rename away (and so replace) the report the victim wrote, or a
    directory above it, in a chain of directories with any modes and owners, possibly named
    through a link. Every report the secure version writes is out of ``nobody``'s reach."""
    with private_tmpdir() as tmp, reachable_dir(tmp) as shared:
        folder = shared
        made = []
        for index, (mode, theirs) in enumerate(levels):
            folder = folder / f"d{index}"
            folder.mkdir()
            folder.chmod(mode)
            if theirs:
                os.chown(folder, 65534, 65534)
            made.append(folder)
        named = folder
        if through_link:
            named = shared / "alias"
            named.symlink_to(folder)
        try:
            report = Path(tf.write_report_secure(str(named), lambda: "total: 1,250.00\n"))
        except PermissionError:
            return
        for target in (report, *made):
            done = run_as_other_user(["/bin/mv", str(target), f"{target}.away"], cwd=shared)
            assert done.returncode != 0, (levels, through_link, target)


PRIOR = st.sampled_from(("nothing", "private file", "wide file", "wide file held open",
                         "link to victim", "hard link to victim", "dangling link"))


@given(PRIOR, st.sampled_from((0o000, 0o022, 0o077)), st.sampled_from((0o700, 0o755, 0o777, 0o1777)))
def test_a_saved_configuration_is_private_and_writes_nothing_else(
        prior: str, umask: int, directory_mode: int) -> None:
    """Goal: after the save, still be able to write the configuration (a wide mode kept, an
    old descriptor that still reaches it), or have the save write through a link into
    another file. The save either refuses, or leaves a regular 0o600 file with one link that
    holds exactly the new text, and the victim file untouched."""
    with private_tmpdir() as tmp:
        victim = tmp / "users.db"
        victim.write_text("alice:admin\n", encoding="utf-8")
        folder = tmp / "conf.d"
        folder.mkdir()
        folder.chmod(directory_mode)
        path = folder / "app.conf"
        if prior in ("private file", "wide file", "wide file held open"):
            path.write_text("old\n", encoding="utf-8")
            path.chmod(0o600 if prior == "private file" else 0o666)
        elif prior == "link to victim":
            path.symlink_to(victim)
        elif prior == "hard link to victim":
            os.link(victim, path)
        elif prior == "dangling link":
            path.symlink_to(tmp / "nowhere")
        kept = open(path, "a", encoding="utf-8") if prior == "wide file held open" else None  # noqa: SIM115
        old = os.umask(umask)
        try:
            fp.save_config_secure(str(path), "admin_group = staff\n")
            saved = True
        except PermissionError:
            saved = False
        finally:
            os.umask(old)
            if kept:
                kept.write("admin_group = nobody\n")
                kept.close()
        assert victim.read_text(encoding="utf-8") == "alice:admin\n", (prior, umask, directory_mode)
        assert not (tmp / "nowhere").exists()
        if saved:
            info = path.lstat()
            assert stat.S_ISREG(info.st_mode) and info.st_nlink == 1, prior
            assert stat.S_IMODE(info.st_mode) == 0o600, (prior, umask)
            assert path.read_text(encoding="utf-8") == "admin_group = staff\n", prior
