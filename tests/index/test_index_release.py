"""The release and the files pip would pick: specifiers, pre-releases, yanks, Requires-Python, tags."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.version import Version

from pysecbook.checker.index.release import IndexFile, NoRelease, choose_files, choose_version

PY = Version("3.12.1")


def f(name: str, *, yanked: bool = False, requires: str | None = None) -> IndexFile:
    kind = "wheel" if name.endswith(".whl") else "sdist"
    version = name.split("-")[1].removesuffix(".tar.gz")
    tags = frozenset()
    if kind == "wheel":
        from packaging.utils import parse_wheel_filename

        tags = parse_wheel_filename(name)[3]
    return IndexFile(name, f"https://files.invalid/{name}", kind, version, "0" * 64, yanked=yanked,
                     requires_python=requires, tags=tags)


FILES = [f("demo-1.0.tar.gz"), f("demo-1.1.tar.gz"), f("demo-2.0rc1.tar.gz"),
         f("demo-1.2.tar.gz", yanked=True), f("demo-1.3.tar.gz", requires=">=3.14")]


@pytest.mark.parametrize(("spec", "expected"), [
    ("demo", "1.1"),            # 1.2 yanked, 1.3 needs Python 3.14, 2.0rc1 a pre-release
    ("demo>=1.0,<1.1", "1.0"),
    ("demo==1.2", "1.2"),       # a yanked release is installed only when pinned exactly
    ("demo>=2.0rc1", "2.0rc1"),  # a pre-release only when the specifier names one
])
def test_choose_version(spec: str, expected: str) -> None:
    assert choose_version(FILES, Requirement(spec), PY) == expected


def test_no_release_says_why() -> None:
    with pytest.raises(NoRelease, match="no release matches >=5"):
        choose_version(FILES, Requirement("demo>=5"), PY)
    with pytest.raises(NoRelease, match="yanked or excludes Python 3.12.1"):
        choose_version(FILES, Requirement("demo>=1.2,<1.4"), PY)


def test_choose_files_follows_the_tag_order() -> None:
    files = [f("demo-1.0.tar.gz"), f("demo-1.0-py3-none-any.whl"),
             f("demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"),
             f("demo-1.0-cp312-cp312-win_amd64.whl")]
    here = [Tag("cp312", "cp312", "manylinux_2_28_x86_64"), Tag("py3", "none", "any")]
    assert [x.filename for x in choose_files(files, "1.0", None, here)] == [
        "demo-1.0.tar.gz", "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"]
    assert [x.filename for x in choose_files(files, "1.0", "wheel", here[1:])] == [
        "demo-1.0-py3-none-any.whl"]
    assert [x.filename for x in choose_files(files, "1.0", "sdist", here)] == ["demo-1.0.tar.gz"]
    assert len(choose_files(files, "1.0", "all", here)) == 4
    assert choose_files(files[2:], "1.0", "wheel", [Tag("cp39", "cp39", "macosx_11_0_arm64")]) == []
