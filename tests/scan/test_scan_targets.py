"""Each kind of target is read correctly, in memory, with its paths as in a project tree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hermetic import TODAY_TIMESTAMP

from pysecbook.checker.scan import TargetError, open_target
from pysecbook.lab import builders as fx

SAMPLE = sorted(fx.SAMPLE_FILES)


def paths(target) -> list[str]:
    return sorted(f.path for f in target.files)


def test_directory(tmp_path: Path) -> None:
    for rel, data in fx.SAMPLE_FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / "demo" / "__pycache__").mkdir()
    (tmp_path / "demo" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\x00")
    os.utime(tmp_path / "demo" / "core.py", (TODAY_TIMESTAMP, TODAY_TIMESTAMP))
    target = open_target(str(tmp_path))
    assert target.kind == "directory" and target.root == str(tmp_path.resolve())
    # Version-control data is never read; bytecode caches are (they run instead of sources).
    assert paths(target) == sorted([*SAMPLE, "demo/__pycache__/core.cpython-311.pyc"])
    assert target.file("demo/core.py").data == fx.SAMPLE_FILES["demo/core.py"]
    assert target.file("demo/core.py").mtime == TODAY_TIMESTAMP
    assert not target.unscanned and not target.findings


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_tar_sdist_strips_its_top_directory(tmp_path: Path, compression: str) -> None:
    target = open_target(str(fx.make_sdist(tmp_path, compression=compression)))
    assert target.kind == "sdist" and target.root is None
    assert paths(target) == SAMPLE
    assert target.file("pyproject.toml").data == fx.SAMPLE_FILES["pyproject.toml"]
    assert target.file("demo/core.py").mtime == 1_700_000_000


def test_zip_sdist(tmp_path: Path) -> None:
    target = open_target(str(fx.make_zip_sdist(tmp_path)))
    assert target.kind == "sdist" and paths(target) == SAMPLE and not target.unscanned


def test_wheel_keeps_paths_and_exposes_its_dist_info(tmp_path: Path) -> None:
    target = open_target(str(fx.make_wheel(tmp_path)))
    assert target.kind == "wheel"
    assert {"demo/__init__.py", "demo/core.py", "demo-1.0.dist-info/METADATA"} <= set(paths(target))
    assert b"Name: demo" in target.dist_info["METADATA"]


def test_installed_distribution_reads_record_and_dist_info() -> None:
    # pysecbook itself is installed (editable) in the book's environment, by pip: RECORD,
    # METADATA and PEP 610's direct_url.json are there.
    target = open_target("pysecbook", installed=True)
    assert target.kind == "installed" and target.path == "pysecbook"
    assert b"Name: pysecbook" in target.dist_info["METADATA"]
    assert "RECORD" in target.dist_info
    direct = json.loads(target.dist_info["direct_url.json"])
    assert direct["url"].startswith("file://")
    assert any(f.path.endswith(".pth") for f in target.files)
    assert not target.unscanned


def test_installed_distribution_with_python_files() -> None:
    target = open_target("defusedxml", installed=True)
    assert "defusedxml/__init__.py" in paths(target)
    # The installer's bytecode is read too: the scan compares it with its source.
    assert any(p.startswith("defusedxml/__pycache__/__init__.") and p.endswith(".pyc")
               for p in paths(target))


def test_exclude_globs(tmp_path: Path) -> None:
    sdist = fx.make_sdist(tmp_path, {**fx.SAMPLE_FILES, "tests/test_x.py": b"assert 1\n",
                                     "docs/conf.py": b"x = 1\n"})
    target = open_target(str(sdist), exclude=["tests", "docs/*.py"])
    assert paths(target) == SAMPLE


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "no such file"),
    (lambda p: (p / "x.rar").write_bytes(b"Rar!") and p / "x.rar", "unsupported target"),
    (lambda p: (p / "x.tar.gz").write_bytes(b"not gzip at all") and p / "x.tar.gz",
     "not a readable archive"),
    (lambda p: (p / "x.whl").write_bytes(b"PK nothing") and p / "x.whl",
     "not a readable zip"),
])
def test_target_errors_are_one_line(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(TargetError, match=message) as info:
        open_target(str(make(tmp_path)))
    assert "\n" not in str(info.value)


def test_unknown_installed_distribution() -> None:
    with pytest.raises(TargetError, match="no distribution named"):
        open_target("no-such-distribution-here", installed=True)
