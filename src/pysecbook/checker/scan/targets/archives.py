"""Tar and zip archives, read member by member from a stream, never extracted.

Both formats go through one member classifier
(:func:`~pysecbook.checker.scan.targets.members.admit_member`); only reading a member's bytes
differs. Compressed tars are read in one streaming
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
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from pysecbook.checker.scan.model import TargetError
from pysecbook.checker.scan.targets.members import (
    admit_member,
    check_links,
    relative,
    strip_top,
    tar_member,
    zip_member,
)
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

__all__ = ["Counting", "decompressed", "read_nested", "read_tar", "read_zip"]

_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError)


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
            member = tar_member(info)
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
                member = zip_member(info)
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
