"""Tar extraction (book/practices/files): the member check both ways, the writer, the filter's gap.

The generic tests in tests/test_risks.py run the attack and the adapted attacks against the
insecure (or first-try) and the secure version. Here: every rule of ``check_members`` refuses
its case and lets the honest neighbour through; the bypass of issue 22 (three archives into
one folder) is refused, and so is each of its parts by each layer on its own (the empty
destination, the descriptor writer, the filter); the limits hold; and the long-path trick
against ``filter="data"`` alone succeeds exactly on the interpreters that predate the fix of
CVE-2025-4517 in their branch.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tarfile
from pathlib import Path

import pytest

from pysecbook.checker.eol import patches
from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import tarfile_extraction as tx


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 0
    return info


def _device(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


HONEST = {
    "plain files": [_file("docs/readme.txt"), _file("./docs/b.txt")],
    "the destination itself as './'": [_dir("."), _file("./a.txt")],
    "a directory after its files": [_file("d/a.txt"), _dir("d")],
    "relative link inside": [_file("lib/v1/x.so"), _link("lib/current", "v1")],
    "link up and back down": [_file("a/b.txt"), _link("c/d", "../a/b.txt")],
    "hard link to a file": [_file("a.txt"), _link("b.txt", "a.txt", tarfile.LNKTYPE)],
    "names that differ in more than case": [_file("Makefile"), _file("Makefile.in")],
}

NFC, NFD = "caf\u00e9.txt", "cafe\u0301.txt"

REFUSED = {
    "dot-dot name": ([_file("../x")], "absolute name or '..'"),
    "absolute name": ([_file("/etc/x")], "absolute name or '..'"),
    "no name": ([_file(".")], "no name"),
    "NUL in a name": ([_link("l", "a\0b")], "NUL in a name"),
    "too deep": ([_file("/".join(["d"] * (tx.MAX_DEPTH + 1)))], f"more than {tx.MAX_DEPTH} levels deep"),
    "device": ([_device("dev")], "not a file, a directory or a link"),
    "written through a link": ([_link("d", "sub"), _file("d/x")], "written through a link"),
    "through a link spelt in capitals": ([_link("d", "sub"), _file("D/x")], "written through a link"),
    "link to an absolute path": ([_link("l", "/etc")], "link to an absolute path"),
    "link leaves": ([_link("a/l", "../../x")], "link leaves the destination"),
    "link through a link": ([_link("a", "b"), _link("c", "a/../..")],
                            "link target goes through another link"),
    "the three-archive trick in one archive": (
        [_link("x", "y/../victim.txt"), _link("y", "."), ],
        "link target goes through another link"),
    "hard link to a link": ([_link("s", "t"), _link("h", "s", tarfile.LNKTYPE)],
                            "hard link to anything but an earlier file of the archive"),
    "hard link to a file not in the archive": (
        [_link("h", "victim.txt", tarfile.LNKTYPE)],
        "hard link to anything but an earlier file of the archive"),
    "duplicate name": ([_file("a.txt"), _file("a.txt")],
                       "same name as an earlier member, up to case or normalisation"),
    "names equal but for case": ([_file("README"), _file("readme")],
                                 "same name as an earlier member, up to case or normalisation"),
    "names equal but for normalisation": ([_file(NFC), _file(NFD)],
                                          "same name as an earlier member, up to case or "
                                          "normalisation"),
}


@pytest.mark.parametrize("members", HONEST.values(), ids=HONEST.keys())
def test_check_members_lets_honest_archives_through(members: list[tarfile.TarInfo]) -> None:
    tx.check_members(members)


@pytest.mark.parametrize(("members", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_check_members_refuses_each_unsafe_member(members: list[tarfile.TarInfo], reason: str) -> None:
    with pytest.raises(tx.UnsafeMember) as refused:
        tx.check_members(members)
    assert refused.value.member is members[-1] or reason.startswith("link target"), refused.value
    assert str(refused.value).endswith(reason)


def _archive(path: Path, members: list[tx.Spec]) -> str:
    return str(tx._write_archive(path, members))


#: The bypass of issue 22, and its hard-link and existing-link cousins: what each archive
#: holds, in the order they are unpacked into one folder.
THREE_ARCHIVES = [[("sym", "x", "y/../victim.txt")], [("sym", "y", ".")],
                  [("file", "x", "planted")]]


def test_the_three_archive_bypass_is_refused_at_the_second_archive() -> None:
    """Issue 22: each archive passes ``check_members``; only ``filter="data"`` stopped the
    third. Now the second is refused because the folder is not empty."""
    outcome = tx.attack_three_archives(tx.extract_secure)
    assert not outcome.attack_succeeded, outcome.observed
    assert "archive 1 extracted; archive 2 refused (UnsafeArchive: " in outcome.observed
    assert "is not empty" in outcome.observed
    # ... and every archive passes the name check on its own, which is why it is not enough:
    for members in THREE_ARCHIVES:
        with private_tmpdir() as tmp, tarfile.open(_archive(tmp / "a.tar", members)) as tar:
            tx.check_members(tar.getmembers())


@pytest.fixture()
def no_empty_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer and the filter on their own: the destination passes for empty whatever it
    holds."""
    monkeypatch.setattr(tx, "_is_empty", lambda fd: True)


@pytest.fixture()
def no_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer on its own: ``data_filter`` lets every member through unchanged."""
    monkeypatch.setattr(tarfile, "data_filter", lambda member, dest: member)


@pytest.mark.usefixtures("no_empty_check", "no_filter")
@pytest.mark.parametrize("attack", [tx.attack_three_archives, tx.attack_link_at_member_name],
                         ids=["three archives", "link at a member's name"])
def test_the_descriptor_writer_alone_follows_no_link_and_reuses_no_path(attack) -> None:  # type: ignore[no-untyped-def]
    outcome = attack(tx.extract_secure)
    assert not outcome.attack_succeeded, outcome.observed
    assert outcome.observed.endswith("victim.txt intact")


@pytest.mark.usefixtures("no_empty_check", "no_filter")
@pytest.mark.parametrize(("planted", "members", "reason"), [
    ("link-dir", [("file", "sub/x.txt", "planted")], "a link or a file on disk is in its way"),
    ("link-file", [("file", "x.txt", "planted")], "its path already exists on disk"),
    ("hard-link", [("file", "x.txt", "planted")], "its path already exists on disk"),
    ("file", [("file", "x.txt/y", "planted")], "a link or a file on disk is in its way"),
    ("link-file", [("sym", "x.txt", "elsewhere")], "its path already exists on disk"),
], ids=["link as a directory", "link at the name", "hard link at the name",
        "a file as a directory", "a new link over a link"])
def test_the_descriptor_writer_refuses_what_is_on_disk(planted: str, members: list[tx.Spec],
                                                       reason: str) -> None:
    with private_tmpdir() as tmp:
        outside = tmp / "outside"
        outside.mkdir()
        (outside / "x.txt").write_text("original", encoding="utf-8")
        dest = tmp / "dest"
        dest.mkdir()
        if planted == "link-dir":
            (dest / "sub").symlink_to(outside)
        elif planted == "link-file":
            (dest / "x.txt").symlink_to(outside / "x.txt")
        elif planted == "hard-link":
            os.link(outside / "x.txt", dest / "x.txt")
        else:
            (dest / "x.txt").write_text("a file", encoding="utf-8")
        with pytest.raises(tx.UnsafeMember, match=reason):
            tx.extract_secure(_archive(tmp / "a.tar", members), str(dest))
        assert sorted(p.name for p in outside.iterdir()) == ["x.txt"]
        assert (outside / "x.txt").read_text(encoding="utf-8") == "original"


@pytest.mark.usefixtures("no_empty_check")
def test_the_data_filter_on_its_own_stops_the_third_archive() -> None:
    """The second layer, as it stood before the writer existed: ``realpath`` of ``x`` leads
    outside, so the filter refuses it (on this interpreter; see the long-path trick for where
    it does not)."""
    with private_tmpdir() as tmp:
        dest = tmp / "srv" / "uploads"
        dest.mkdir(parents=True)
        for number, members in enumerate(THREE_ARCHIVES[:2]):
            tx.extract_secure(_archive(tmp / f"{number}.tar", members), str(dest))
        with pytest.raises(tarfile.OutsideDestinationError):
            tx.extract_secure(_archive(tmp / "2.tar", THREE_ARCHIVES[2]), str(dest))
        assert not (tmp / "srv" / "victim.txt").exists()


def test_secure_extraction_refuses_a_folder_that_is_not_empty() -> None:
    with private_tmpdir() as tmp:
        (tmp / "out").mkdir()
        (tmp / "out" / "cache").symlink_to(tmp)
        with pytest.raises(tx.UnsafeArchive, match="is not empty"):
            tx.extract_secure(_archive(tmp / "a.tar", [("file", "cache/x", "planted")]),
                              str(tmp / "out"))
        assert not (tmp / "x").exists()


def test_secure_extraction_creates_a_missing_destination_privately() -> None:
    with private_tmpdir() as tmp:
        tx.extract_secure(_archive(tmp / "a.tar", [("file", "a/b.txt", "hi")]), str(tmp / "new"))
        assert (tmp / "new" / "a" / "b.txt").read_text(encoding="utf-8") == "hi"
        assert stat.S_IMODE((tmp / "new").stat().st_mode) == 0o700


def test_secure_extraction_keeps_hard_links_and_drops_set_user_id() -> None:
    with private_tmpdir() as tmp:
        archive = tmp / "ok.tar"
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo("bin/tool")
            info.size, info.mode = 2, 0o4777
            tar.addfile(info, io.BytesIO(b"hi"))
            tar.addfile(_link("bin/alias", "bin/tool", tarfile.LNKTYPE))
        tx.extract_secure(str(archive), str(tmp / "out"))
        tool, alias = tmp / "out" / "bin" / "tool", tmp / "out" / "bin" / "alias"
        assert stat.S_IMODE(tool.stat().st_mode) == 0o755
        assert tool.stat().st_ino == alias.stat().st_ino


@pytest.mark.parametrize("limit", ["MAX_MEMBERS", "MAX_TOTAL_BYTES"])
def test_secure_extraction_stops_at_its_limits_before_writing(
        limit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tx, limit, 3)
    with private_tmpdir() as tmp:
        members = [("file", f"f{i}", "ab") for i in range(4)]
        with pytest.raises(tx.UnsafeArchive, match="more than 3"):
            tx.extract_secure(_archive(tmp / "a.tar", members), str(tmp / "out"))
        assert not (tmp / "out").exists()


def test_secure_extraction_refuses_without_extraction_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    """3.11.0 to 3.11.3 have no ``tarfile.data_filter``: fail closed, with ``TypeError`` as
    ``extractall(filter=...)`` would (book/security-model/python-versions says so)."""
    monkeypatch.delattr(tarfile, "data_filter")
    with private_tmpdir() as tmp, pytest.raises(TypeError, match="no tar extraction filters"):
        tx.extract_secure(_archive(tmp / "a.tar", [("file", "a", "b")]), str(tmp / "out"))


def test_secure_extraction_of_an_honest_archive_keeps_its_links() -> None:
    with private_tmpdir() as tmp:
        archive = tmp / "ok.tar"
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo("lib/v1/readme.txt")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
            tar.addfile(_link("lib/current", "v1"))
        (tmp / "out").mkdir()
        tx.extract_secure(str(archive), str(tmp / "out"))
        assert (tmp / "out" / "lib" / "current" / "readme.txt").read_bytes() == b"hi"
        assert (tmp / "out" / "lib" / "current").is_symlink()


def _filter_is_bypassed_here() -> bool:
    """What the shipped table predicts for the long-path trick on this interpreter."""
    if not hasattr(tarfile, "data_filter"):
        return False  # no filter at all: extractall(filter=...) raises TypeError
    fixed = patches.fixed_in("CVE-2025-4517")
    branch = sys.version_info[:2]
    if branch in fixed:
        return sys.version_info[:3] < fixed[branch]
    return branch < min(fixed)  # a branch newer than every listed one has the fix


def test_the_data_filter_alone_falls_exactly_where_the_table_says() -> None:
    outcome = tx.filter_alone()
    assert outcome.attack_succeeded is _filter_is_bypassed_here(), outcome.observed
    if outcome.attack_succeeded:
        assert outcome.observed == "long-path: wrote long-path.txt outside the target"
    else:
        assert outcome.observed.startswith("long-path: refused (")


def test_extractall_without_a_filter_on_this_python() -> None:
    """The default filter and its warning, exactly as PEP 706 scheduled them."""
    facts = tx.default_filter_behaviour()
    if sys.version_info >= (3, 14):
        assert facts["TarFile.extraction_filter"] is not None and facts["warnings"] == []
    elif sys.version_info >= (3, 12):
        assert facts["TarFile.extraction_filter"] is None
        assert [w.split(":")[0] for w in facts["warnings"]] == ["DeprecationWarning"]
    else:
        assert facts["TarFile.extraction_filter"] is None and facts["warnings"] == []
    assert facts["has_data_filter"] is hasattr(tarfile, "data_filter")
