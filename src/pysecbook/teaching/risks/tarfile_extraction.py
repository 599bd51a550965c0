"""Extracting a tar archive writes wherever its members say, and the "data" filter has holes.

A tar member can be named ``../x`` or ``/abs/x``, or be a symbolic link to a directory
outside the target through which a later member is written. ``TarFile.extractall`` without
a filter honours all of them. The extraction filters of PEP 706 (3.11.4 and later) were meant
to stop this: ``filter="data"`` refuses ``..`` and links that leave the target, and strips
the leading ``/`` of absolute names. But the filter decides with ``os.path.realpath``, and an
archive can build paths that ``realpath`` resolves differently from the kernel: on a path
longer than ``PATH_MAX`` the interpreters before the June 2025 security releases stopped
following links and answered "inside" for a link that leads outside (CVE-2025-4517, with
CVE-2025-4138, CVE-2025-4330 and CVE-2024-12718). More bypasses of the same filter were fixed
in 2026.

A check of the members' names alone is no answer either: it sees one archive, not the disk.
Three archives unpacked one after the other into the same folder (a link through a name
that does not exist yet, then that name as a link to ``.``, then a file) each pass it, and
the third writes outside. So the secure version does three things, each stopping what the
others cannot: it reads the members within limits and checks their names (one archive, before
anything is written); it writes every member itself into an empty destination, through
directory descriptors opened with ``O_NOFOLLOW``, never reusing a path that exists (what is
on disk); and it runs the ``data`` filter on every member on top (modes, device files, and a
second opinion on links).

The archives are built and extracted inside a private temporary directory, and every
"outside" the attack aims at is a directory inside that private directory.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import functools
import gzip
import io
import lzma
import os
import stat
import tarfile
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The links and path lengths of the long-path trick: this many one-letter links in a row.
_DEPTH = 16

#: Limits of the secure extractor: members, bytes of member data in all, components in one
#: name, and the largest block ``tarfile`` may read at once (a PAX or GNU long-name header
#: is read whole, before any member is returned).
MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 32 * 2**20
MAX_DEPTH = 64
MAX_HEADER_READ = 2**20
#: The most of the (decompressed) tar stream read: the data, and 3 KiB of headers and
#: padding per member.
MAX_STREAM_BYTES = MAX_TOTAL_BYTES + MAX_MEMBERS * 3 * 1024 + 64 * 1024
_CHUNK = 64 * 1024


class UnsafeMember(tarfile.TarError):
    """An archive member that could land outside the destination; nothing was extracted."""

    def __init__(self, member: tarfile.TarInfo, reason: str) -> None:
        name = member.name if len(member.name) <= 60 else f"{member.name[:24]}...{member.name[-24:]}"
        super().__init__(f"{name!r}: {reason}")
        self.member = member


class UnsafeArchive(tarfile.TarError):
    """The archive as a whole exceeds a limit, or the destination is not fit for it."""


def extract_insecure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive into ``destination``, trusting every member."""
    import tarfile

    with tarfile.open(archive) as tar:
        # "fully_trusted" is what extractall() does without a filter before Python 3.14; it
        # is written out so that 3.12 and 3.13 do not warn and 3.14 does not change it.
        tar.extractall(destination, filter="fully_trusted")  # nosec B202 - deliberately insecure: demonstration of PSB-TARFILE-EXTRACTALL


def extract_with_data_filter(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive with the extraction filter alone (the usual advice)."""
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data")


def extract_first_try(archive: str, destination: str) -> None:
    """The first fix: check every member by its name, then extract.

    The check is the one :func:`extract_secure` runs first; here it is all there is, as this
    book once said it could be ("it asks nothing of the interpreter but string handling"), so
    the filter is left out. The check sees one archive and nothing on disk: archives unpacked
    one after another into the same folder, or a link already there, beat it.
    """
    import tarfile

    with tarfile.open(archive) as tar:
        check_members(tar.getmembers())
        tar.extractall(destination, filter="fully_trusted")  # nosec B202 - deliberately insecure: demonstration of PSB-TARFILE-EXTRACTALL


def _key(parts: Iterable[str]) -> str:
    """A path as a case-insensitive, normalisation-insensitive file system compares it."""
    return "/".join(unicodedata.normalize("NFD", unicodedata.normalize("NFD", p).casefold())
                    for p in parts)


def check_members(members: Iterable[tarfile.TarInfo]) -> None:
    """Raise :class:`UnsafeMember` unless every member stays inside the destination by name.

    Decided from the names in this one archive, before anything is written: no absolute
    name, no ``..``, no NUL, at most :data:`MAX_DEPTH` components; nothing but files,
    directories and links; no two members with the same name once case and Unicode
    normalisation are set aside (on a file system that ignores them, they are one file); no
    member written through a link the archive makes; every link target, followed component by
    component from the link's own directory, stays inside without passing through another
    link; a hard link points at a regular file earlier in the archive. This refuses some
    honest archives too (files placed through a link the archive itself makes). It knows
    nothing of the disk: an earlier archive's links, or a file already at a member's name,
    are the writer's part (:func:`extract_secure`). Names are POSIX paths.
    """
    members = list(members)
    links: set[str] = set()
    seen: set[str] = set()
    for m in members:
        key = _key(PurePosixPath(m.name).parts)
        if key and key in seen:
            raise UnsafeMember(m, "same name as an earlier member, up to case or normalisation")
        seen.add(key)
        if m.issym() or m.islnk():
            links.add(key)

    def through_link(parts: Sequence[str]) -> bool:
        return any(_key(parts[:i]) in links for i in range(1, len(parts) + 1))

    files: set[str] = set()
    for m in members:
        path = PurePosixPath(m.name)
        if "\0" in m.name or "\0" in m.linkname:
            raise UnsafeMember(m, "NUL in a name")
        if path.is_absolute() or ".." in path.parts:
            raise UnsafeMember(m, "absolute name or '..'")
        if not path.parts:
            if m.isdir():
                continue  # "./": the destination itself
            raise UnsafeMember(m, "no name")
        if len(path.parts) > MAX_DEPTH:
            raise UnsafeMember(m, f"more than {MAX_DEPTH} levels deep")
        if not (m.isreg() or m.isdir() or m.issym() or m.islnk()):
            raise UnsafeMember(m, "not a file, a directory or a link")
        if through_link(path.parts[:-1]):
            raise UnsafeMember(m, "written through a link")
        if m.isreg():
            files.add(_key(path.parts))
        if not (m.issym() or m.islnk()):
            continue
        target = PurePosixPath(m.linkname)
        if target.is_absolute():
            raise UnsafeMember(m, "link to an absolute path")
        resolved = list(path.parts[:-1]) if m.issym() else []  # hard links: from the root
        steps = [part for part in target.parts if part != "."]
        for i, part in enumerate(steps):
            if part == "..":
                if not resolved:
                    raise UnsafeMember(m, "link leaves the destination")
                if through_link(resolved):  # '..' after a link is the link's parent
                    raise UnsafeMember(m, "link target goes through another link")
                resolved.pop()
            else:
                resolved.append(part)
                if i < len(steps) - 1 and through_link(resolved):
                    raise UnsafeMember(m, "link target goes through another link")
        if m.islnk() and _key(resolved) not in files:
            raise UnsafeMember(m, "hard link to anything but an earlier file of the archive")


_COMPRESSIONS: tuple[tuple[bytes, Callable[[BinaryIO], BinaryIO]], ...] = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", lambda raw: bz2.BZ2File(raw)),
    (b"\xfd7zXZ\x00", lambda raw: lzma.LZMAFile(raw)),
)


class _BoundedStream:
    """The decompressed tar stream, as ``tarfile`` reads it, within :data:`MAX_STREAM_BYTES`
    and never more than :data:`MAX_HEADER_READ` bytes at once."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > MAX_HEADER_READ:
            raise UnsafeArchive(f"tarfile asked for a block of {size:,} bytes at once")
        if self._stream.tell() + size > MAX_STREAM_BYTES:
            raise UnsafeArchive(f"more than {MAX_STREAM_BYTES:,} bytes of tar stream")
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._stream.tell()
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("seek from the end")
        if offset > MAX_STREAM_BYTES:
            raise UnsafeArchive(f"more than {MAX_STREAM_BYTES:,} bytes of tar stream")
        return self._stream.seek(offset)

    def tell(self) -> int:
        return self._stream.tell()


@contextlib.contextmanager
def _open_within_limits(archive: str) -> Iterator[tarfile.TarFile]:
    """``archive`` (plain, gzip, bzip2 or xz) opened through :class:`_BoundedStream`."""
    with contextlib.ExitStack() as stack:
        raw: BinaryIO = stack.enter_context(open(archive, "rb"))
        magic = raw.read(6)
        raw.seek(0)
        stream = raw
        for signature, opener in _COMPRESSIONS:
            if magic.startswith(signature):
                stream = stack.enter_context(opener(raw))
                break
        yield stack.enter_context(tarfile.open(fileobj=_BoundedStream(stream), mode="r:"))  # type: ignore[call-overload]


def _read_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Every member's header, stopping at the first limit exceeded (before its data is read)."""
    members: list[tarfile.TarInfo] = []
    total = 0
    for member in tar:
        members.append(member)
        if len(members) > MAX_MEMBERS:
            raise UnsafeArchive(f"more than {MAX_MEMBERS:,} members")
        if member.isreg():
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise UnsafeArchive(f"declares more than {MAX_TOTAL_BYTES:,} bytes")
    return members


#: A directory opened without following a link: ``O_NOFOLLOW`` refuses a link as the last
#: component (the only one, since every step is opened from its parent's descriptor) and
#: ``O_DIRECTORY`` refuses a file.
_DIR_FLAGS = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))
_NEW_FILE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                   | getattr(os, "O_CLOEXEC", 0))


def _writes_without_following() -> bool:
    """Can this platform create files relative to a directory descriptor without following
    links (``openat`` with ``O_NOFOLLOW``, ``mkdirat``, ``symlinkat``, ``linkat``)?"""
    return (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
            and {os.open, os.mkdir, os.symlink, os.link, os.stat} <= os.supports_dir_fd
            and os.listdir in os.supports_fd and os.link in os.supports_follow_symlinks)


def _descend(root_fd: int, parts: Sequence[str], *, create: bool) -> int:
    """A new descriptor of the directory ``parts`` below ``root_fd``, one step at a time.

    Each step is opened from its parent's descriptor with :data:`_DIR_FLAGS`: a link or a
    file on the way raises ``OSError`` (``ELOOP``, ``ENOTDIR``) instead of being followed.
    """
    fd = os.dup(root_fd)
    for part in parts:
        parent = fd
        try:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=parent)
            fd = os.open(part, _DIR_FLAGS, dir_fd=parent)
        finally:
            os.close(parent)
    return fd


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, root_fd: int,
                  written: set[tuple[int, int]]) -> None:
    """Create one (checked, filtered) member below ``root_fd``, following no link on disk and
    reusing no path that exists. ``written`` collects the files this extraction created."""
    parts = PurePosixPath(member.name).parts
    if not parts:
        return
    parent = _descend(root_fd, parts[:-1], create=True)
    name = parts[-1]
    try:
        if member.isdir():
            with contextlib.suppress(FileExistsError):  # made earlier for a member inside it
                os.mkdir(name, 0o755, dir_fd=parent)
            os.close(os.open(name, _DIR_FLAGS, dir_fd=parent))  # a directory, not a link
        elif member.issym():
            os.symlink(member.linkname, name, dir_fd=parent)  # EEXIST if anything is there
        elif member.islnk():
            source = PurePosixPath(member.linkname).parts
            src_parent = _descend(root_fd, source[:-1], create=False)
            try:
                info = os.stat(source[-1], dir_fd=src_parent, follow_symlinks=False)
                if (info.st_dev, info.st_ino) not in written:
                    raise UnsafeMember(member, "hard link to a file this extraction did not write")
                os.link(source[-1], name, src_dir_fd=src_parent, dst_dir_fd=parent,
                        follow_symlinks=False)
            finally:
                os.close(src_parent)
        else:
            fd = os.open(name, _NEW_FILE_FLAGS, 0o600, dir_fd=parent)
            with os.fdopen(fd, "wb") as out:
                data = tar.extractfile(member)
                if data is None:
                    raise UnsafeMember(member, "no data for a regular file")
                while chunk := data.read(_CHUNK):
                    out.write(chunk)
                os.fchmod(out.fileno(), 0o600 if member.mode is None else member.mode & 0o777)
                info = os.fstat(out.fileno())
                written.add((info.st_dev, info.st_ino))
    finally:
        os.close(parent)


def _is_empty(directory_fd: int) -> bool:
    return not os.listdir(directory_fd)


def extract_secure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive into an empty directory, following no link on disk.

    First, before anything is written: the headers are read within limits (members, bytes,
    the size of one header, of the whole stream) and every name is checked by
    :func:`check_members`, for this archive. Then each member is written by this function,
    not by ``extractall``: from a descriptor of the destination, each directory opened with
    ``O_NOFOLLOW | O_DIRECTORY``, each file created with ``O_CREAT | O_EXCL | O_NOFOLLOW``,
    so a link on disk is never followed and a path that exists is never reused, whatever an
    earlier archive or another program left there. The ``data`` filter runs on every member
    on top: it clears set-user-id and group or other write bits, refuses device files, and
    checks links once more with ``realpath``.

    Assumes: ``destination`` is new or empty (it is created if missing, refused if not
    empty) and no other process writes into it meanwhile; a POSIX platform with
    ``O_NOFOLLOW`` and the ``*at`` system calls (Linux, macOS, the BSDs; elsewhere it
    refuses), and Python 3.11.4 or later (before, with no extraction filters, it raises
    ``TypeError``); the caller deletes the destination when this raises.
    Does not stop: a refusal after some members were written leaves those members in place;
    links the archive makes inside the destination are created, and a program that later
    copies or serves the tree follows them (they lead inside, by name); hard links inside
    share their file, so writing one later changes the other; the memory a decompressor
    allocates for the dictionary an xz stream declares (CPython gh-155649); whatever the
    files contain.
    """
    import tarfile

    data_filter = getattr(tarfile, "data_filter", None)
    if data_filter is None:
        raise TypeError("this Python has no tar extraction filters (3.11.4 or later needed)")
    if not _writes_without_following():
        raise UnsafeArchive("this platform cannot create files without following links")
    with _open_within_limits(archive) as tar:
        members = _read_members(tar)
        check_members(members)
        with contextlib.suppress(FileExistsError):
            os.mkdir(destination, 0o700)
        root_fd = os.open(destination, _DIR_FLAGS)
        try:
            if not _is_empty(root_fd):
                raise UnsafeArchive(f"{destination} is not empty: extract into a new directory")
            written: set[tuple[int, int]] = set()
            for member in members:
                member = data_filter(member, destination)
                try:
                    _write_member(tar, member, root_fd, written)
                except FileExistsError as exc:
                    raise UnsafeMember(member, "its path already exists on disk") from exc
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
                        raise UnsafeMember(member, "a link or a file on disk is in its "
                                                   "way") from exc
                    raise
        finally:
            os.close(root_fd)


def _add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _add_link(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)


def add_long_path_trick(tar: tarfile.TarFile, destination_length: int) -> None:
    """Members that reach the destination's parent through a path ``realpath`` gives up on.

    Sixteen directories with names of about 250 bytes, each reached by a one-letter link, so
    that ``a/b/.../p`` is short in the archive but long on disk. A link with a 254-byte name at
    the end of that chain points sixteen levels up, back at the destination: legitimate. Its
    full path is longer than ``PATH_MAX``, so the ``realpath`` of an unfixed interpreter stops
    following links there and resolves ``LINK/..`` lexically, inside the chain; the kernel
    follows the link and lands in the destination's parent. A link ``escape`` to ``LINK/..``
    passes the filter, and ``escape/planted.txt`` is written through it. The attacker only
    needs a rough idea of how long the destination's path is; the demonstration computes it.
    """
    room = os.pathconf("/", "PC_PATH_MAX") - 1 - destination_length - 1
    name_len = min(250, room // _DEPTH - 1)
    letters = "abcdefghijklmnop"[:_DEPTH]
    real = ""
    for letter in letters:
        directory = f"{real}/{'d' * name_len}" if real else "d" * name_len
        _add_dir(tar, directory)
        _add_link(tar, f"{real}/{letter}" if real else letter, "d" * name_len)
        real = directory
    long_link = "/".join(letters) + "/" + "l" * 254
    _add_link(tar, long_link, "/".join([".."] * _DEPTH))
    _add_link(tar, "escape", f"{long_link}/..")
    _add_file(tar, "escape/long-path.txt", "planted")


TRICKS = ("dot-dot", "absolute", "symlink", "long-path")


def build_archive(trick: str, box: Path, destination: Path) -> Path:
    """One archive for ``trick``, aiming at a file ``<trick>.txt`` in ``box``, the parent of
    ``destination``."""
    path = box / f"{trick}.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_file(tar, "readme.txt", "harmless")
        if trick == "dot-dot":
            _add_file(tar, "../dot-dot.txt", "planted")
        elif trick == "absolute":
            _add_file(tar, str(box / "absolute.txt"), "planted")
        elif trick == "symlink":
            _add_link(tar, "escape", str(box))
            _add_file(tar, "escape/symlink.txt", "planted")
        else:
            add_long_path_trick(tar, len(str(destination)))
    return path


def attack(func: Callable[..., None], tricks: Iterable[str] = TRICKS) -> Outcome:
    """Mallory uploads one archive per trick; does any of them write outside the target?"""
    results = []
    escaped = False
    with private_tmpdir() as tmp:
        for trick in tricks:
            box = tmp / trick  # "outside" is this directory, itself inside the private one
            target = box / "out"
            target.mkdir(parents=True)
            archive = build_archive(trick, box, target)
            try:
                func(str(archive), str(target))
                error = ""
            except (tarfile.TarError, OSError, TypeError) as exc:
                error = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
                error = error if len(error) < 160 else error[:157] + "..."
            planted = (box / f"{trick}.txt").exists()
            escaped = escaped or planted
            if planted:
                results.append(f"{trick}: wrote {trick}.txt outside the target")
            elif error:
                results.append(f"{trick}: refused ({error})")
            else:
                results.append(f"{trick}: extracted, but kept inside the target")
    return Outcome(attack_succeeded=escaped, observed="; ".join(results))


def filter_alone() -> Outcome:
    """The long-path trick against ``filter="data"`` alone, on the running interpreter."""
    return attack(extract_with_data_filter, ("long-path",))


def default_filter_behaviour() -> dict[str, object]:
    """What this Python does when ``extractall`` is called with no filter at all.

    Extracts a harmless one-file archive with no ``filter=`` argument, recording warnings.
    """
    with private_tmpdir() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        archive = tmp / "plain.tar"
        with tarfile.open(archive, "w") as tar:
            _add_file(tar, "readme.txt", "harmless")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp / "out")  # nosec B202 - trusted one-file archive built just above
        return {
            "has_data_filter": hasattr(tarfile, "data_filter"),
            "TarFile.extraction_filter": tarfile.TarFile.extraction_filter,
            "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        }


#: What the file next to the upload folder holds until an attack rewrites it.
ORIGINAL = "owner = root\n"
#: A member as the adapted attacks describe it: kind ("file", "sym", "hard", "dir"), name,
#: and the file's text or the link's target.
Spec = tuple[str, str, str]


def _short(exc: BaseException, tmp: Path) -> str:
    text = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
    return text if len(text) < 110 else text[:107] + "..."


def _write_archive(path: Path, members: Iterable[Spec]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, value in members:
            if kind == "file":
                _add_file(tar, name, value)
            elif kind == "dir":
                _add_dir(tar, name)
            else:
                info = tarfile.TarInfo(name)
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = value
                tar.addfile(info)
    return path


def _unpack_in_turn(func: Callable[..., None], archives: Sequence[Sequence[Spec]],
                    plant: Callable[[Path, Path], str] | None = None) -> Outcome:
    """Unpack ``archives`` one after another into one folder, ``srv/uploads``; was
    ``srv/victim.txt``, next to it, rewritten? ``plant(folder, victim)`` may first leave
    something in the folder, as another job or another user could."""
    with private_tmpdir() as tmp:
        target = tmp / "srv" / "uploads"
        target.mkdir(parents=True)
        victim = tmp / "srv" / "victim.txt"
        victim.write_text(ORIGINAL, encoding="utf-8")
        steps = [plant(target, victim)] if plant else []
        for number, members in enumerate(archives, 1):
            archive = _write_archive(tmp / f"upload{number}.tar", members)
            try:
                func(str(archive), str(target))
                steps.append(f"archive {number} extracted")
            except (tarfile.TarError, OSError, TypeError) as exc:
                steps.append(f"archive {number} refused ({_short(exc, tmp)})")
        rewritten = victim.read_text(encoding="utf-8") != ORIGINAL
    verdict = "victim.txt outside the folder REWRITTEN" if rewritten else "victim.txt intact"
    return Outcome(rewritten, "; ".join([*steps, verdict]))


def attack_three_archives(func: Callable[..., None]) -> Outcome:
    """Three uploads into the same folder, each harmless on its own: a link ``x`` to
    ``y/../victim.txt`` while ``y`` does not exist, then ``y`` as a link to ``.``, then a
    file ``x``. The last one is written through both links, out of the folder."""
    return _unpack_in_turn(func, [[("sym", "x", "y/../victim.txt")], [("sym", "y", ".")],
                                  [("file", "x", "planted by the third archive")]])


def _plant_links(folder: Path, victim: Path) -> str:
    os.link(victim, folder / "report.txt")
    (folder / "notes.txt").symlink_to(victim)
    return "a hard link report.txt and a symbolic link notes.txt to victim.txt left in the folder"


def attack_link_at_member_name(func: Callable[..., None]) -> Outcome:
    """A link already in the folder, at the very name a member of the next archive has: a
    hard link to ``victim.txt`` (no check of names or of ``is_symlink`` can tell it from a
    file) and a symbolic link to it. Writing the member writes the victim."""
    return _unpack_in_turn(func, [[("file", "report.txt", "planted through a hard link"),
                                   ("file", "notes.txt", "planted through a symbolic link")]],
                           plant=_plant_links)


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read without holding them."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


#: The sizes of the two bombs: a member's data, and a single long-name header.
BOMB_BYTES = 48 * 2**20
HEADER_BOMB_BYTES = 64 * 2**20


@functools.cache
def _bomb(kind: str) -> bytes:
    """A ``.tar.gz``: one member of :data:`BOMB_BYTES` zeros (``data``), or a GNU long-name
    header of :data:`HEADER_BOMB_BYTES` zeros before a small member (``header``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("zeros.bin" if kind == "data" else "././@LongLink")
        if kind == "header":
            info.type = tarfile.GNUTYPE_LONGNAME
        info.size = BOMB_BYTES if kind == "data" else HEADER_BOMB_BYTES
        tar.addfile(info, io.BufferedReader(_Zeros(info.size)))
        if kind == "header":
            _add_file(tar, "readme.txt", "harmless")
    return buffer.getvalue()


def _bytes_under(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def attack_gzip_bomb(func: Callable[..., None]) -> Outcome:
    """A ``.tar.gz`` of 48 KiB whose one member unpacks to 48 MiB of zeros: how much
    lands on the server's disk, against the stated limit of 32 MiB?"""
    with private_tmpdir() as tmp:
        archive = tmp / "photos.tar.gz"
        archive.write_bytes(_bomb("data"))
        target = tmp / "out"
        target.mkdir()
        try:
            func(str(archive), str(target))
            ending = ""
        except (tarfile.TarError, OSError, TypeError) as exc:
            ending = f"; refused ({_short(exc, tmp)})"
        written = _bytes_under(target)
        size = archive.stat().st_size
    return Outcome(written > MAX_TOTAL_BYTES,
                   f"{size / 1024:.0f} KiB archive: {written / 2**20:.0f} MiB written to disk "
                   f"(limit {MAX_TOTAL_BYTES // 2**20} MiB){ending}")


_MEASURE = """\
import importlib, json, sys, tracemalloc
module_name, _, name = sys.argv[1].partition(":")
func = getattr(importlib.import_module(module_name), name)
tracemalloc.start()
try:
    func(sys.argv[2], sys.argv[3])
    error = ""
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
grew = tracemalloc.get_traced_memory()[1]
print(json.dumps({"grew": grew, "error": error[:100]}))
"""


def attack_long_header(func: Callable[..., None]) -> Outcome:
    """A GNU long-name header of 64 MiB of zeros, in a ``.tar.gz`` of some 60 KiB:
    ``tarfile`` reads a header whole, into memory, before it returns the member, so limits
    on members and sizes checked afterwards come too late. Run in a child, whose
    allocations are traced."""
    import json

    with private_tmpdir() as tmp:
        archive = tmp / "photos.tar.gz"
        archive.write_bytes(_bomb("header"))
        size = archive.stat().st_size
        done = run_python(_MEASURE, cwd=tmp, timeout=60,
                          args=[f"{func.__module__}:{func.__qualname__}", str(archive),
                                str(tmp / "out")])
        if done.timed_out or done.returncode < 0:  # killed: out of time or out of memory
            return Outcome(True, f"the extracting process was killed (status {done.returncode})")
        try:
            result = json.loads(last_line(done.stdout))
        except ValueError:
            raise RuntimeError(f"the demonstration's child failed: {last_line(done.stderr)}") from None
        ending = f"; {result['error']}".replace(str(tmp), "<tmp>") if result["error"] else ""
    grew = result["grew"]
    return Outcome(grew > 16 * MAX_HEADER_READ,
                   f"{size / 1024:.0f} KiB archive: the extractor allocated up to "
                   f"{grew / 2**20:.0f} MiB{ending}")


RISK = register(
    Risk(
        id="PSB-TARFILE-EXTRACTALL",
        title="Tar extraction without a filter writes outside the target",
        summary="Members named '../x', '/abs/x' or reached through a link land anywhere; "
        "check every name within limits, write each member into an empty folder without "
        "following links, and keep filter='data' on top.",
        cwe=22,
        bandit=("B202",),
        modules=("tarfile",),
        page="practices/files",
        insecure=extract_insecure,
        secure=extract_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("three archives into one folder: a link through a name not made "
                          "yet, that name as a link to '.', then a file", "links-races",
                          attack_three_archives, beats=extract_first_try),
            AdaptedAttack("a hard link and a symbolic link already in the folder, at the "
                          "names of the next archive's members", "links-races",
                          attack_link_at_member_name, beats=extract_first_try),
            AdaptedAttack("a .tar.gz of 48 KiB whose member unpacks to 48 MiB", "exhaustion",
                          attack_gzip_bomb, beats=extract_first_try),
            AdaptedAttack("a 64 MiB long-name header, read whole before any limit on members",
                          "exhaustion", attack_long_header, beats=extract_first_try),
        ),
    )
)
