"""Tar and zip archives, read member by member from a stream, never extracted.

Both formats go through one member classifier (:func:`admit_member`): an unsafe name, a
link, a device or an unsupported type is refused with the same finding whichever format
carried it; only reading a member's bytes differs. Compressed tars are read in one streaming
pass that stops a decompression bomb on the way; zip members are checked against their
declared ratio before they are read. An archive found inside the target (by name or by magic
number, in a file of any name) is opened the same way, to a bounded depth, and its members
get paths such as ``vendor/lib.zip!/module.py``.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import posixpath
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from pysecbook.checker.scan.model import Finding, SourceFile, TargetError, Unscanned
from pysecbook.checker.scan.targets.reader import (
    CHUNK,
    NESTED,
    Bomb,
    Limits,
    Reader,
    Stop,
    finding,
    unsafe_name,
)

__all__ = ["Member", "admit_member", "read_nested", "read_tar", "read_zip"]

_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError)


@dataclass(frozen=True)
class Member:
    """One archive member, described the same way whichever format holds it."""

    name: str
    #: "file", "dir", "symlink", "hardlink", "device" or "other".
    kind: str
    size: int | None
    link: str = ""
    type_code: str = ""


def admit_member(reader: Reader, member: Member, path: str, *, sizes: bool = True) -> bool:
    """Whether to read ``member`` (stored as ``path``); a refusal is recorded, with its finding.

    ``sizes=False`` leaves the size limits to the caller (a zip checks its ratio first).
    """
    why = unsafe_name(member.name)
    if why:
        reader.refuse(path, why, finding("PSB-ARCHIVE-TRAVERSAL", path,
                      f"Archive member with an unsafe path ({why}): extracting it naively "
                      "writes outside the destination."))
        return False
    if member.kind == "dir":
        return False
    if member.kind in ("symlink", "hardlink"):
        if inside_link(member) is not None:
            # It points at another place of this archive, whose member is read there.
            reader.links.append((path, member))
            return False
        refuse_link(reader, path, member, "extraction could overwrite or expose files "
                    "outside the destination")
        return False
    if member.kind == "device":
        reader.refuse(path, "device or FIFO member: not read",
                      finding("PSB-ARCHIVE-DEVICE", path, "Archive member is a device file or "
                              "a FIFO; no distribution needs one."))
        return False
    if member.kind != "file":
        reader.refuse(path, f"unsupported member type {member.type_code!r}: not read")
        return False
    if reader.skip(path):
        return False
    return reader.admit(path, member.size) if sizes else True


#: Most folders a link's own path or its target may name (the chain check is quadratic in it).
MAX_LINK_PARTS = 256


def refuse_link(reader: Reader, path: str, member: Member, why: str) -> None:
    what = "symlink" if member.kind == "symlink" else "hard link"
    to = f" (to {member.link!r})" if member.link else ""
    reader.refuse(path, f"{what} member{to}: not followed",
                  finding("PSB-ARCHIVE-LINK", path, f"Archive member is a {what}{to}; {why}."))


def inside_link(member: Member) -> str | None:
    """Where a link member points, as a path from the archive's root, when that place is
    inside the archive; None when it is outside, absolute, or not given.

    A symbolic link is read from its own folder, a hard link from the archive's root, as tar
    and Python's ``data`` extraction filter read them. Source distributions use such links
    (``NEWS.txt`` to ``CHANGELOG``, a test's data file to the package's own); the member they
    point at is read and scanned under its own name. Whether a link passes through another
    link on its way is decided once every member is known (:func:`check_links`).
    """
    link = member.link.replace("\\", "/")
    if not link or link.startswith("/") or (len(link) > 1 and link[1] == ":") or "\x00" in link:
        return None
    base = posixpath.dirname(member.name.replace("\\", "/")) if member.kind == "symlink" else ""
    resolved = posixpath.normpath(posixpath.join(base, link))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        return None
    return resolved


def check_links(reader: Reader, members: list[str], prefix: str = "") -> None:
    """Refuse the links kept by :func:`admit_member` that leave the archive's top folder or
    pass through another link, once ``members`` (every name the archive holds) are known.

    pip extracts a source distribution without its single top folder (``demo-1.0/``), then
    refuses any link that points outside the folder it extracted into, so a link is inside
    only below that top folder, when the archive has one. And each link must stay inside
    without the help of another link: ``a/up -> ..`` stays inside, and so does
    ``a/b -> up/..`` read on its own, yet extracting both puts ``a/b`` two levels up.
    Extraction tools have been caught out by exactly such chains, so a link whose way passes
    through any link member, or a hard link to a link, is refused as a link out of the
    destination.
    """
    top = strip_top([n for n in members if not unsafe_name(n)])
    mine = [(path, m) for path, m in reader.links if path.startswith(prefix)
            and NESTED not in path[len(prefix):]]
    names = {posixpath.normpath(m.name.replace("\\", "/")) for _, m in mine}
    for path, member in mine:
        name = posixpath.normpath(member.name.replace("\\", "/"))
        resolved = inside_link(member)
        if resolved is None or not (resolved + "/").startswith(top):
            refuse_link(reader, path, member, "extraction could overwrite or expose files "
                        "outside the destination")
            continue
        base = posixpath.dirname(name) if member.kind == "symlink" else ""
        walk = [part for part in posixpath.join(base, member.link.replace("\\", "/")).split("/")
                if part not in ("", ".")]
        if len(walk) > MAX_LINK_PARTS or name.count("/") > MAX_LINK_PARTS:
            refuse_link(reader, path, member, f"its path has more than {MAX_LINK_PARTS} parts")
            continue
        steps = [posixpath.normpath("/".join(walk[:i])) for i in range(1, len(walk) + 1)]
        parents = [posixpath.normpath("/".join(name.split("/")[:i]))
                   for i in range(1, name.count("/") + 1)]
        if any(step in names and step != name for step in steps + parents):
            refuse_link(reader, path, member, "it leads through another link, and the two "
                        "together can reach outside the destination")
    reader.links = [(p, m) for p, m in reader.links
                    if not (p.startswith(prefix) and NESTED not in p[len(prefix):])]


def _tar_member(info: tarfile.TarInfo) -> Member:
    if info.isdir():
        kind = "dir"
    elif info.issym():
        kind = "symlink"
    elif info.islnk():
        kind = "hardlink"
    elif info.ischr() or info.isblk() or info.isfifo():
        kind = "device"
    elif info.isreg():
        kind = "file"
    else:
        kind = "other"
    return Member(info.name, kind, info.size, info.linkname, repr(info.type))


def _zip_member(info: zipfile.ZipInfo) -> Member:
    mode = info.external_attr >> 16
    if info.is_dir():
        kind = "dir"
    elif stat.S_ISLNK(mode):
        kind = "symlink"
    elif mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)):
        kind = "device"
    else:
        kind = "file"
    return Member(info.filename, kind, info.file_size)


class Counting(io.RawIOBase):
    """A read-only stream that counts bytes and stops a decompression bomb while streaming.

    On the compressed side it counts what is read from the archive; wrapped around the
    decompressed stream (``compressed`` given) it counts what comes out and compares.
    """

    def __init__(self, inner: IO[bytes], limits: Limits, compressed: Counting | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.limits = limits
        self.compressed = compressed
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        if self.compressed is not None:
            # Decompressed side: the whole stream, members we skip included.
            if self.count > self.limits.max_total_size + self.limits.max_file_size:
                raise Bomb(f"more than {self.limits.max_total_size} bytes once decompressed")
            packed = max(self.compressed.count, 1)
            if self.count >= self.limits.ratio_min_bytes and self.count / packed > self.limits.max_ratio:
                raise Bomb(f"compression ratio above {self.limits.max_ratio:g}:1")
        return n


def decompressed(raw: IO[bytes], compression: str, limits: Limits) -> IO[bytes]:
    """``raw`` decompressed (``gzip``, ``bz2``, ``xz`` or ``none``), counted against the limits."""
    counted = Counting(raw, limits)
    if compression == "gzip":
        inner: IO[bytes] = gzip.GzipFile(fileobj=counted, mode="rb")  # type: ignore[assignment]
    elif compression == "bz2":
        inner = bz2.BZ2File(counted, mode="rb")  # type: ignore[assignment]
    elif compression == "xz":
        inner = lzma.LZMAFile(counted, mode="rb")  # type: ignore[assignment]
    else:
        return io.BufferedReader(counted, CHUNK)
    return io.BufferedReader(Counting(inner, limits, compressed=counted), CHUNK)


def strip_top(names: list[str]) -> str:
    """The single top-level directory of an sdist's members (with its slash), or ''."""
    tops = {n.replace("\\", "/").lstrip("./").split("/", 1)[0] for n in names if n.strip("./")}
    if len(tops) == 1 and any("/" in n.replace("\\", "/").lstrip("./") for n in names):
        return tops.pop() + "/"
    return ""


def relative(name: str, prefix: str) -> str:
    """A member's path under the target's root, its sdist top directory removed."""
    if unsafe_name(name.split(NESTED, 1)[0]):
        return name.replace("\\", "/")  # reported under the name the archive gives it
    path = posixpath.normpath(name.replace("\\", "/"))
    path = path[2:] if path.startswith("./") else path
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def _iter_tar(stream: IO[bytes]) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    # Stream mode ("r|"): members one after another, no seeking, nothing extracted.
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            yield tar, member


def read_tar(reader: Reader, stream: IO[bytes], name: str, *, prefix: str = "",
             depth: int = 0) -> list[str]:
    """Read a tar from ``stream`` (already decompressed) in one pass; return member names.

    ``name`` is what the archive is called in reports; ``prefix`` is put before each member's
    path (``outer.tar.gz!/`` for a nested one). Problems while reading are recorded on
    ``name``; an archive that yields nothing at all raises :class:`TargetError`.
    """
    names: list[str] = []
    try:
        for tar, info in _iter_tar(stream):
            reader.tick()
            names.append(info.name)
            member = _tar_member(info)
            path = prefix + (info.name.replace("\\", "/") if unsafe_name(info.name)
                             else posixpath.normpath(info.name.replace("\\", "/")).removeprefix("./"))
            if not admit_member(reader, member, path):
                continue
            data_stream = tar.extractfile(info)
            if data_stream is None:  # pragma: no cover - regular members always have data
                reader.refuse(path, "member has no data")
                continue
            if reader.limits.too_big(member.size):
                reader.read_head(path, data_stream, float(info.mtime), member.size)
                continue
            data = reader.read_stream(path, data_stream)
            if data is not None:
                reader.add(path, data, float(info.mtime), depth)
    except Stop as exc:
        reader.refuse(name, f"reading stopped: {exc}; the rest of the archive was not read",
                      blocks=depth == 0)
    except Bomb as exc:
        reader.refuse(name, f"reading stopped: {exc} (possible decompression bomb); members "
                      "after this point were not read",
                      finding("PSB-ARCHIVE-BOMB", name, f"Decompression bomb: {exc}."),
                      blocks=depth == 0)
    except _READ_ERRORS as exc:
        if not names and depth == 0 and not reader.files:
            raise TargetError(f"{name}: not a readable archive ({exc})") from exc
        reader.refuse(name, f"corrupted archive, reading stopped: {exc}", blocks=depth == 0)
    check_links(reader, names, prefix)
    return names


def strip_sdist_prefix(reader: Reader, names: list[str]) -> None:
    """Remove an sdist's single top directory from every path read and reported."""
    prefix = strip_top([n for n in names if not unsafe_name(n)])
    reader.files[:] = [SourceFile(rel, f.data, f.mtime) for f in reader.files
                       if not reader.skip(rel := relative(f.path, prefix))]
    reader.unscanned[:] = [Unscanned(relative(u.path, prefix), u.reason, u.blocks)
                           for u in reader.unscanned]
    reader.findings[:] = [
        Finding(f.rule_id, f.source, relative(f.path, prefix), f.line, f.severity,
                f.confidence, f.cwe, f.message) for f in reader.findings
    ]


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        return None


def read_zip(reader: Reader, source: str | IO[bytes], name: str, *, strip: bool,
             prefix: str = "", depth: int = 0) -> None:
    """Read a zip (a wheel, a zip sdist, or one nested in the target) member by member."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if depth == 0:
            raise TargetError(f"{name}: not a readable zip archive ({exc})") from exc
        reader.refuse(name, f"has an archive's name or signature but is not a readable zip ({exc})")
        return
    with zf:
        infos = zf.infolist()
        top = strip_top([i.filename for i in infos if not unsafe_name(i.filename)]) if strip else ""
        total = 0
        try:
            for info in infos:
                reader.tick()
                member = _zip_member(info)
                path = prefix + (info.filename.replace("\\", "/") if unsafe_name(info.filename)
                                 else relative(info.filename, top))
                if not admit_member(reader, member, path, sizes=False):
                    continue
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size >= reader.limits.ratio_min_bytes and ratio > reader.limits.max_zip_ratio:
                    reader.refuse(path, f"compression ratio {ratio:.0f}:1 above the limit: not read",
                                  finding("PSB-ARCHIVE-BOMB", path, f"Zip bomb: member expands "
                                          f"{ratio:.0f} times."))
                    continue
                if not reader.admit(path, info.file_size):
                    continue
                if total + info.file_size > reader.limits.max_total_size:
                    reader.refuse(path, "total uncompressed size limit reached (overlapping or "
                                  "repeated members?)", finding("PSB-ARCHIVE-BOMB", path,
                                  "Zip members expand beyond the total size limit."))
                    break
                try:
                    with zf.open(info) as stream:
                        if reader.limits.too_big(info.file_size):
                            reader.read_head(path, stream, _zip_time(info), info.file_size)
                            continue
                        data = reader.read_stream(path, stream)
                except _READ_ERRORS as exc:
                    reader.refuse(path, f"corrupted member: {exc}")
                    continue
                if data is not None:
                    total += len(data)
                    reader.add(path, data, _zip_time(info), depth)
        except Stop as exc:
            reader.refuse(name, f"reading stopped: {exc}; the rest of the archive was not read",
                          blocks=depth == 0)


def read_nested(reader: Reader, path: str, data: bytes, kind: str, depth: int) -> None:
    """Open an archive found inside the target (``kind`` from its magic number or name)."""
    prefix = path + NESTED
    if kind == "zip":
        read_zip(reader, io.BytesIO(data), path, strip=False, prefix=prefix, depth=depth)
        return
    if kind == "unknown":
        reader.refuse(path, "has an archive's name but no archive signature: not opened, "
                      "its contents (if any) are not scanned")
        return
    compression = {"gzip": "gzip", "bz2": "bz2", "xz": "xz"}.get(kind, "none")
    try:
        inner = decompressed(io.BytesIO(data), compression, reader.limits)
        head = inner.peek(512)[:512] if hasattr(inner, "peek") else b""
        if kind == "tar" or (len(head) > 262 and head[257:262] == b"ustar"):
            read_tar(reader, inner, path, prefix=prefix, depth=depth)
            return
        base = posixpath.basename(path)
        stem = base.rsplit(".", 1)[0] if "." in base else base
        member = prefix + (stem or "content")
        content = reader.read_stream(member, inner)
    except Bomb as exc:
        reader.refuse(path, f"not opened: {exc} (possible decompression bomb)",
                      finding("PSB-ARCHIVE-BOMB", path, f"Decompression bomb: {exc}."))
        return
    except _READ_ERRORS as exc:
        reader.refuse(path, f"corrupted compressed file, not read: {exc}")
        return
    if content is not None:
        reader.add(member, content, None, depth)
