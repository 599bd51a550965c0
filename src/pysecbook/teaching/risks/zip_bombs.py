"""A small zip archive that expands enormously.

Deflate compresses runs of zeros about a thousand to one, so a zip of a few hundred
kilobytes can expand to hundreds of megabytes, and nested or overlapping archives go much
further. Code that extracts whatever the central directory lists fills the disk. The secure
extractor checks the member count, the declared sizes and the compression ratio before
extracting, and counts the bytes it actually writes while streaming, since a header can lie.
The demonstration never writes the expanded bytes: extractors pass each chunk to a
``write`` callable, and the attack's callable only counts.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

CHUNK = 64 * 1024
#: Limits of the secure extractor: total uncompressed bytes, members, compression ratio.
MAX_TOTAL_BYTES = 32 * 2**20
MAX_MEMBERS = 1_000
MAX_RATIO = 100

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


def extract_secure(archive: str, write: Callable[[str, bytes], object]) -> int:
    """Extract ``archive`` within limits on members, declared size, ratio and actual size."""
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


def attack(func: Callable[..., int]) -> Outcome:
    """Mallory uploads a small zip; how many bytes would the server write to disk?"""
    with private_tmpdir() as tmp:
        bomb = build_bomb(tmp / "photos.zip")
        size = bomb.stat().st_size
        counter = ByteCounter()
        try:
            func(str(bomb), counter)
            error = ""
        except ZipBombError as exc:
            error = f"; refused: {exc}"
    ratio = counter.total / size
    blown = ratio > MAX_RATIO
    observed = (f"{size / 1024:.0f} KiB archive: the extractor wrote "
                f"{counter.total / 2**20:.0f} MiB ({ratio:,.0f} times the archive's size){error}")
    return Outcome(attack_succeeded=blown, observed=observed)


RISK = register(
    Risk(
        id="PSB-ZIP-BOMB",
        title="Extracting a zip bomb fills the disk",
        summary="A small archive can expand a thousandfold; check members, sizes and ratios, "
        "and count bytes while extracting.",
        cwe=409,
        bandit=(),
        no_static_rule="both versions read every member; only the limits checked around the "
                       "reads make one safe.",
        modules=("zipfile", "zlib"),
        page="practices/files",
        insecure=extract_insecure,
        secure=extract_secure,
        attack=attack,
    )
)
