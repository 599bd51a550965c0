"""Zip bombs (book/practices/files): the limits of the secure extractor, one by one.

The generic tests run the canonical and the adapted attacks. Here: the central directory is
bounded whichever end record ``zipfile`` would pick (a ZIP64 one included); the ratio holds
on counted bytes against the archive's size; a budget is shared by nested extractions; and
honest archives pass.
"""

from __future__ import annotations

import inspect
import io
import os
import struct
import zipfile

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import zip_bombs as zb


def _zip(members: dict[str, bytes], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.comment = comment
    return buffer.getvalue()


def test_the_declared_directory_is_what_zipfile_would_read() -> None:
    data = _zip({"a.txt": b"a", "b.txt": b"b"}, comment=b"a comment")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert len(zf.infolist()) == 2
    assert zb.declared_directory_size(io.BytesIO(data)) == 2 * (46 + 5)


def test_every_end_record_in_the_tail_counts() -> None:
    """A second end record hidden in the comment, declaring a huge directory: the bound
    takes the largest candidate, whichever one ``zipfile`` settles on."""
    fake = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 5 * 2**20, 0, 0)
    data = _zip({"a.txt": b"a"}, comment=fake + b"!")
    assert zb.declared_directory_size(io.BytesIO(data)) == 5 * 2**20


def test_a_zip64_end_record_is_read_too() -> None:
    """A ZIP64 end record before the plain one: ``zipfile`` prefers it, so the bound must
    read it as well."""
    data = bytearray(zb.wide_directory_archive(10))
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack_from("<L", data, end + 12)[0]
    offset = struct.unpack_from("<L", data, end + 16)[0]
    zip64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 10, 10, 5 * 2**20, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    faked = bytes(data[:end]) + zip64 + locator + bytes(data[end:])
    assert zb.declared_directory_size(io.BytesIO(bytes(data))) == directory
    assert zb.declared_directory_size(io.BytesIO(faked)) == 5 * 2**20
    with private_tmpdir() as tmp:
        (tmp / "z.zip").write_bytes(faked)
        with pytest.raises(zb.ZipBombError, match="central directory of 5,242,880 bytes"):
            zb.extract_secure(str(tmp / "z.zip"), zb.ByteCounter())


def test_the_ratio_holds_on_counted_bytes_whatever_the_headers_say() -> None:
    """The lying archive, with its declared total let through: the count stops it at
    ``MAX_RATIO`` times the archive's size."""
    with private_tmpdir() as tmp:
        archive = tmp / "liar.zip"
        archive.write_bytes(zb.lying_ratio_archive())
        counter = zb.ByteCounter()
        with pytest.raises(zb.ZipBombError):
            zb.extract_secure(str(archive), counter, budget=zb.Budget(total_bytes=2**40))
        assert counter.total <= zb.MAX_RATIO * archive.stat().st_size


def test_one_budget_is_shared_by_every_call_that_gets_it() -> None:
    with private_tmpdir() as tmp:
        archive = tmp / "ok.zip"
        archive.write_bytes(_zip({"a.bin": os.urandom(3000)}))
        budget = zb.Budget(total_bytes=7000, members=3)
        for _ in range(2):
            zb.extract_secure(str(archive), zb.ByteCounter(), budget=budget)
        assert (budget.bytes_left, budget.members_left) == (1000, 1)
        with pytest.raises(zb.ZipBombError, match="declares 3,000 bytes, more than 1,000"):
            zb.extract_secure(str(archive), zb.ByteCounter(), budget=budget)
        with pytest.raises(zb.ZipBombError, match="over the upload's budget"):
            zb.extract_secure(str(archive), zb.ByteCounter(), budget=zb.Budget(members=0))


def test_an_honest_archive_that_compresses_too_well_is_refused() -> None:
    """The price of a ratio held on real bytes, stated in the contract."""
    with private_tmpdir() as tmp:
        archive = tmp / "log.zip"
        archive.write_bytes(_zip({"log.txt": b"GET / 200\n" * 100_000}))
        with pytest.raises(zb.ZipBombError):
            zb.extract_secure(str(archive), zb.ByteCounter())


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_members_zipfile_decompresses_without_a_bound_are_refused_unread(method: int) -> None:
    """``zipfile`` passes no ``max_length`` to the bzip2 and LZMA decompressors (CPython
    gh-156002): a member declaring 1,000 bytes is decompressed whole before it is cut."""
    with private_tmpdir() as tmp:
        archive = tmp / "m.zip"
        with zipfile.ZipFile(archive, "w", compression=method) as zf:
            zf.writestr("a.txt", b"honest text\n")
        counter = zb.ByteCounter()
        with pytest.raises(zb.ZipBombError, match=f"compression method {method}, not stored"):
            zb.extract_secure(str(archive), counter)
        assert counter.total == 0


def _zipfile_refuses_overlapped_entries() -> bool:
    """gh-109858 (3.11.8, 3.12.2): ``ZipInfo`` gained the end offset it checks claims against."""
    return "_end_offset" in zipfile.ZipInfo.__slots__


def _zipfile_bounds_every_decompressor() -> bool:
    """gh-156002 (3.11.17, 3.12.15, 3.13.16, 3.14.8): zipfile's LZMA wrapper takes a bound."""
    return "max_length" in inspect.signature(zipfile.LZMADecompressor.decompress).parameters


@pytest.mark.parametrize(("attack", "fixed_here"), [
    (zb.attack_lying_ratio, _zipfile_refuses_overlapped_entries()),
    (zb.attack_bzip2_member, _zipfile_bounds_every_decompressor()),
], ids=["lying compressed sizes", "bzip2 member"])
def test_the_interpreter_dependent_bombs_beat_the_first_try_exactly_where_zipfile_is_unfixed(
        attack, fixed_here: bool) -> None:  # type: ignore[no-untyped-def]
    """Not adapted attacks, since their success depends on the patch level; the secure version
    stops both on every interpreter."""
    assert attack(zb.extract_first_try).attack_succeeded is not fixed_here
    held = attack(zb.extract_secure)
    assert not held.attack_succeeded, held.observed
