"""Tar extraction (book/practices/files): the member check both ways, and the filter's gap.

The generic test in tests/test_risks.py runs the attack against the insecure and the secure
version. Here: every rule of ``check_members`` refuses its case and lets the honest
neighbour through, and the long-path trick against ``filter="data"`` alone succeeds exactly
on the interpreters that predate the fix of CVE-2025-4517 in their branch.
"""

from __future__ import annotations

import io
import sys
import tarfile

import pytest

from pysecbook.checker.eol import patches
from pysecbook.teaching.risks import tarfile_extraction as tx
from pysecbook.teaching.sandbox import private_tmpdir


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


HONEST = {
    "plain files": [_file("docs/readme.txt"), _file("./docs/b.txt")],
    "relative link inside": [_file("lib/v1/x.so"), _link("lib/current", "v1")],
    "link up and back down": [_file("a/b.txt"), _link("c/d", "../a/b.txt")],
    "hard link to a file": [_file("a.txt"), _link("b.txt", "a.txt", tarfile.LNKTYPE)],
}

REFUSED = {
    "dot-dot name": ([_file("../x")], "absolute name, '..' or no name"),
    "absolute name": ([_file("/etc/x")], "absolute name, '..' or no name"),
    "device": ([_device("dev")], "not a file, a directory or a link"),
    "written through a link": ([_link("d", "sub"), _file("d/x")], "written through a link"),
    "link to an absolute path": ([_link("l", "/etc")], "link to an absolute path"),
    "link leaves": ([_link("a/l", "../../x")], "link leaves the destination"),
    "link through a link": ([_link("a", "b"), _link("c", "a/../..")],
                            "link target goes through another link"),
    "hard link to a link": ([_link("s", "t"), _link("h", "s", tarfile.LNKTYPE)], "hard link to a link"),
}


@pytest.mark.parametrize("members", HONEST.values(), ids=HONEST.keys())
def test_check_members_lets_honest_archives_through(members: list[tarfile.TarInfo]) -> None:
    with private_tmpdir() as tmp:
        tx.check_members(members, str(tmp))


@pytest.mark.parametrize(("members", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_check_members_refuses_each_unsafe_member(members: list[tarfile.TarInfo], reason: str) -> None:
    with private_tmpdir() as tmp, pytest.raises(tx.UnsafeMember) as refused:
        tx.check_members(members, str(tmp))
    assert refused.value.member is members[-1]
    assert str(refused.value).endswith(reason)


def test_a_link_already_in_the_destination_is_not_written_through() -> None:
    with private_tmpdir() as tmp:
        (tmp / "out").mkdir()
        (tmp / "out" / "cache").symlink_to(tmp)
        with pytest.raises(tx.UnsafeMember, match="written through a link"):
            tx.check_members([_file("cache/x")], str(tmp / "out"))


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
