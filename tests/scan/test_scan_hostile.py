"""Hostile input: no traceback, no hang, nothing written, every problem reported as unscanned."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import hermetic
import pytest

from pysecbook.checker.scan import open_target, scan
from pysecbook.checker.scan.targets import local as targets_mod
from pysecbook.lab import builders as fx

# Small limits keep the bombs quick; the defaults are tested separately on one bomb.
SMALL = {"max_file_size": 2**20, "max_total_size": 8 * 2**20}


def snapshot(root: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(root)), p.lstat().st_size) for p in root.rglob("*")}


class Guard:
    """Remembers the parent of tmp_path once the fixture is built; at teardown, that tree
    must be exactly as it was and the (empty) working directory must still be empty."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.before: set[tuple[str, int]] | None = None

    def freeze(self) -> None:
        self.before = snapshot(self.tmp_path.parent)

    def check(self) -> None:
        assert self.before is not None, "freeze() was not called"
        assert snapshot(self.tmp_path.parent) == self.before
        assert not any((self.tmp_path / "cwd").iterdir())


@pytest.fixture
def guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    g = Guard(tmp_path)
    yield g
    g.check()


def read_and_scan(spec: Path, guard: Guard, **limits: int):
    guard.freeze()
    target = open_target(str(spec), **limits)
    outcome = scan(target, jobs=1)
    return target, outcome


def unscanned_paths(outcome) -> dict[str, str]:
    return {u.path: u.reason for u in outcome.unscanned}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("kind", "path", "rule", "reason"), [
    ("traversal", "demo-1.0/../../evil.py", "PSB-ARCHIVE-TRAVERSAL", "climbs out"),
    ("absolute", "/usr/lib/evil.py", "PSB-ARCHIVE-TRAVERSAL", "absolute"),
    ("symlink", "demo/link.py", "PSB-ARCHIVE-LINK", "symlink"),
    ("hardlink", "demo/link.py", "PSB-ARCHIVE-LINK", "hard link"),
    ("device", "demo/dev", "PSB-ARCHIVE-DEVICE", "device"),
    ("fifo", "demo/dev", "PSB-ARCHIVE-DEVICE", "FIFO"),
])
def test_hostile_tar_members(guard: Guard, kind: str, path: str,
                             rule: str | None, reason: str) -> None:
    spec = fx.make_hostile_tar(guard.tmp_path / "fixtures", kind)
    target, outcome = read_and_scan(spec, guard)
    assert reason in unscanned_paths(outcome)[path]
    if rule:
        hit = [f for f in outcome.findings if f.rule_id == rule]
        assert hit and hit[0].severity == "high" and hit[0].path == path
    # The harmless member next to it is still read and scanned.
    assert [f.path for f in target.files] == ["demo/core.py"] and outcome.files_scanned == 1


def linked_sdist(dest: Path, links: list[tuple[str, str, str]]) -> Path:
    """An sdist with ``demo/core.py``, ``CHANGELOG`` and the link members given as
    ``(name under the top folder, "sym" or "hard", link text)``, in that order."""
    import io
    import tarfile

    path = dest / "demo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("demo/core.py", b"X = 1\n"), ("CHANGELOG", b"1.0: first\n")):
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, kind, link in links:
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
            info.linkname = link if kind == "sym" else f"demo-1.0/{link}"
            tar.addfile(info)
    return path


@pytest.mark.timeout(30)
@pytest.mark.parametrize("links", [
    [("NEWS.txt", "sym", "CHANGELOG")],
    [("tests/data/core.py", "sym", "../../demo/core.py")],
    [("docs/changes", "sym", "../CHANGELOG"), ("demo/news", "hard", "CHANGELOG")],
    [("demo/here", "sym", "."), ("demo/up", "sym", "..")],
], ids=["sibling", "into-the-package", "up-and-hard", "dot-and-parent"])
def test_a_link_to_a_member_of_the_same_archive_is_no_finding(guard: Guard, links) -> None:
    # Source distributions do this (a NEWS file linked to the changelog, a test's data file
    # to the package's own); pip extracts them inside its build folder.
    target, outcome = read_and_scan(linked_sdist(guard.tmp_path / "fixtures", links), guard)
    assert outcome.unscanned == [] and target.findings == ()
    assert not any(f.rule_id == "PSB-ARCHIVE-LINK" for f in outcome.findings)
    assert sorted(f.path for f in target.files) == ["CHANGELOG", "demo/core.py"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("links", "refused"), [
    ([("NEWS.txt", "sym", "../../etc/passwd")], ["NEWS.txt"]),
    ([("NEWS.txt", "sym", "../outside")], ["NEWS.txt"]),
    ([("NEWS.txt", "hard", "../outside")], ["NEWS.txt"]),
    # Each stays inside on its own; together, a/b is two levels above a.
    ([("a/up", "sym", ".."), ("a/b", "sym", "up/..")], ["a/b"]),
    # The same chain with the links in the other order.
    ([("a/b", "sym", "up/.."), ("a/up", "sym", "..")], ["a/b"]),
    # A link written through a linked folder, and a hard link to a link.
    ([("d", "sym", "demo"), ("d/e", "sym", "core.py")], ["d/e"]),
    ([("NEWS.txt", "sym", "CHANGELOG"), ("NEWS2", "hard", "NEWS.txt")], ["NEWS2"]),
], ids=["absolute-ish", "parent", "hard-parent", "chain", "chain-reversed", "through-folder",
        "hard-to-sym"])
def test_a_link_out_of_the_archive_or_through_another_link_is_refused(
        guard: Guard, links, refused: list[str]) -> None:
    target, outcome = read_and_scan(linked_sdist(guard.tmp_path / "fixtures", links), guard)
    assert sorted(unscanned_paths(outcome)) == refused
    hits = [f for f in outcome.findings if f.rule_id == "PSB-ARCHIVE-LINK"]
    assert [f.path for f in hits] == refused and {f.severity for f in hits} == {"high"}
    assert "demo/core.py" in [f.path for f in target.files]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("kind", "path", "rule"), [
    ("traversal", "demo-1.0/../../evil.py", "PSB-ARCHIVE-TRAVERSAL"),
    ("symlink", "demo/link.py", "PSB-ARCHIVE-LINK"),
    ("bomb", "zeros.py", "PSB-ARCHIVE-BOMB"),
])
def test_hostile_zip_members(guard: Guard, kind: str, path: str,
                             rule: str) -> None:
    spec = fx.make_hostile_zip(guard.tmp_path / "fixtures", kind)
    target, outcome = read_and_scan(spec, guard)
    assert path in unscanned_paths(outcome)
    assert any(f.rule_id == rule and f.severity == "high" for f in outcome.findings)
    assert [f.path for f in target.files] == ["demo/core.py"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("limits", [SMALL, {}], ids=["small-limits", "default-limits"])
def test_tar_bomb_stops_while_streaming(guard: Guard, limits) -> None:
    spec = fx.make_hostile_tar(guard.tmp_path / "fixtures", "bomb")
    target, outcome = read_and_scan(spec, guard, **limits)
    reasons = unscanned_paths(outcome)
    # The member declares 64 MiB, over the file limit either way; skipping it still means
    # decompressing it, and the stream's ratio stops the reading there.
    assert reasons["zeros.py"].startswith("file too large (67108864 bytes")
    assert "compression ratio above" in reasons[spec.name]
    assert any(f.rule_id == "PSB-ARCHIVE-BOMB" for f in outcome.findings)
    assert sum(len(f.data) for f in target.files) < 2**20


@pytest.mark.timeout(30)
def test_tar_bomb_by_ratio_under_the_size_limit(guard: Guard) -> None:
    # 64 MiB of zeros within the size limits: the ratio limit stops it.
    spec = fx.make_hostile_tar(guard.tmp_path / "fixtures", "bomb")
    _, outcome = read_and_scan(spec, guard, max_file_size=2**30, max_total_size=2**30)
    assert "ratio" in unscanned_paths(outcome)[spec.name]


@pytest.mark.timeout(30)
def test_truncated_archive_keeps_what_was_read(guard: Guard) -> None:
    spec = fx.make_truncated_sdist(guard.tmp_path / "fixtures")
    target, outcome = read_and_scan(spec, guard)
    assert "corrupted archive" in unscanned_paths(outcome)[spec.name]
    assert "demo/core.py" in [f.path for f in target.files]
    # What follows the damage was never read: it could be anything, setup.py included.
    assert [u.blocks for u in outcome.unscanned if u.path == spec.name] == [True]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(fx.UNSCANNABLE_SOURCES))
def test_unscannable_sources(guard: Guard, name: str) -> None:
    data, reason = fx.UNSCANNABLE_SOURCES[name]
    spec = fx.make_sdist(guard.tmp_path / "fixtures", {**fx.SAMPLE_FILES, f"demo/{name}": data})
    _, outcome = read_and_scan(spec, guard)
    assert reason in unscanned_paths(outcome)[f"demo/{name}"]
    assert outcome.files_scanned == 2  # the two good Python files


def test_coding_cookie_makes_latin1_scannable(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n")
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    assert not outcome.unscanned and outcome.files_scanned == 1


@pytest.mark.timeout(30)
def test_huge_file(guard: Guard) -> None:
    huge = {**fx.SAMPLE_FILES, "demo/huge.py": b"x = 1\n" * 400_000}
    spec = fx.make_sdist(guard.tmp_path / "fixtures", huge)
    _, outcome = read_and_scan(spec, guard, max_file_size=2**20)
    assert "too large" in unscanned_paths(outcome)["demo/huge.py"]


@pytest.mark.timeout(30)
def test_directory_links_and_special_files(guard: Guard) -> None:
    root = guard.tmp_path / "fixtures" / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\n")
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (root / "outside.py").symlink_to("/etc/passwd")
    (root / "up").symlink_to("..")
    (root / "inside").symlink_to("pkg")
    (root / "dangling").symlink_to("missing")
    os.mkfifo(root / "pkg" / "fifo")
    target, outcome = read_and_scan(root, guard)
    reasons = unscanned_paths(outcome)
    assert "loop" in reasons["loop1"] and "loop" in reasons["loop2"]
    assert "outside" in reasons["outside.py"] and "outside" in reasons["up"]
    assert "broken" in reasons["dangling"]
    assert "not a regular file" in reasons["pkg/fifo"]
    assert "inside" not in reasons  # points inside: its target is read under its own path
    assert [f.path for f in target.files] == ["pkg/a.py"]
    assert {"PSB-DIR-SYMLINK-LOOP", "PSB-DIR-SYMLINK-OUTSIDE", "PSB-DIR-SPECIAL-FILE"} <= {
        f.rule_id for f in outcome.findings}


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, who can read any file whatever its mode; so the permission error
    # is simulated where the reader opens files.
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "secret.py").write_text("x = 2\n")
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(targets_mod.os, "open", deny)
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    assert unscanned_paths(outcome) == {"secret.py": "cannot read: Permission denied"}
    assert outcome.files_scanned == 1


@pytest.mark.timeout(60)
def test_crashing_worker_loses_no_file(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(f"x = {i}\n")
    outcome = scan(open_target(str(tmp_path)), jobs=2, worker=hermetic.crash_on_m07)
    assert unscanned_paths(outcome) == {"m07.py": "the scanner's worker process crashed on this file"}
    assert outcome.files_scanned == 39


@pytest.mark.timeout(60)
def test_a_file_that_never_finishes_times_out_alone(tmp_path: Path) -> None:
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(f"x = {i}\n")
    (tmp_path / "slow.py").write_text("x = 'slow'\n")
    outcome = scan(open_target(str(tmp_path)), jobs=2, worker=hermetic.hang_on_slow, file_timeout=2)
    assert unscanned_paths(outcome) == {"slow.py": "timed out: scanning took longer than 2 s"}
    assert outcome.files_scanned == 6


@pytest.mark.timeout(60)
def test_the_run_deadline_reports_what_was_left(tmp_path: Path) -> None:
    import time

    for i in range(4):
        (tmp_path / f"m{i}.py").write_text(f"x = {i}\n")
    (tmp_path / "slow.py").write_text("x = 'slow'\n")
    outcome = scan(open_target(str(tmp_path)), jobs=1, worker=hermetic.hang_on_slow,
                   deadline=time.monotonic() + 3, file_timeout=600)
    reasons = unscanned_paths(outcome)
    assert reasons["slow.py"] == "not scanned: the run's time limit passed first"
    assert outcome.files_scanned + len(reasons) == 5


@pytest.mark.timeout(30)
@pytest.mark.parametrize("maker", [fx.make_sdist, fx.make_zip_sdist, fx.make_wheel])
def test_too_many_members_stops_reading(guard: Guard, maker) -> None:
    spec = maker(guard.tmp_path / "fixtures")
    target, outcome = read_and_scan(spec, guard, max_members=2)
    assert "reading stopped" in unscanned_paths(outcome)[spec.name]
    assert len(target.files) == 2


def test_a_duplicate_member_name_is_reported_and_the_clean_twin_is_not(tmp_path: Path) -> None:
    """Two members called demo/core.py: pip's unpacker and a scanner may not pick the same
    one, so the duplicate is a finding; the same archive without it has none."""
    import warnings
    import zipfile

    def archive(name: str, members: list[tuple[str, bytes]]) -> Path:
        path = tmp_path / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate
            with zipfile.ZipFile(path, "w") as zf:
                for member, data in members:
                    zf.writestr(member, data)
        return path

    twin = archive("twin-1.0.zip", [("demo/core.py", b"x = 1\n")])
    dup = archive("dup-1.0.zip", [("demo/core.py", b"x = 1\n"), ("demo/core.py", b"x = 2\n")])
    assert not [f for f in scan(open_target(str(twin)), jobs=1).findings if f.source == "redflag"]
    found = [(f.rule_id, f.path, f.severity) for f in scan(open_target(str(dup)), jobs=1).findings
             if f.rule_id.startswith("PSB-ARCHIVE-")]
    assert found == [("PSB-ARCHIVE-DUPLICATE", "core.py", "medium")]  # the one root folder goes


@pytest.mark.timeout(30)
def test_a_native_executable_over_the_size_limit_is_a_native_binary_not_a_gap(guard: Guard) -> None:
    # A browser driver's bundled runtime (`driver/node`, 150 MB) has no suffix: it could be a
    # script, so its size alone made it unscanned. Its first bytes say it is an executable,
    # which no scan of source can review at any size: it is reported as such.
    import random

    elf = b"\x7fELF\x02\x01\x01" + random.Random(0).randbytes(2 * 2**20)
    script = b"#!/bin/sh\n" + b"echo hi\n" * (2**20 // 4)
    spec = fx.make_wheel(guard.tmp_path / "fixtures", {
        "demo/__init__.py": b"", "demo/driver/node": elf, "demo/driver/run": script})
    target, outcome = read_and_scan(spec, guard, **SMALL)
    reasons = unscanned_paths(outcome)
    assert list(reasons) == ["demo/driver/run"]
    assert reasons["demo/driver/run"].startswith("file too large (") and "not a native" in reasons["demo/driver/run"]
    node = target.file("demo/driver/node")
    assert node is not None and node.truncated and len(node.data) < len(elf)
    assert [f.path for f in outcome.findings if f.rule_id == "PSB-RF-NATIVE-BINARY"] == ["demo/driver/node"]


@pytest.mark.timeout(30)
def test_a_start_up_file_that_cannot_be_read_blocks(guard: Guard) -> None:
    # A .pth file runs at every interpreter start once the wheel is installed, imported by
    # nobody: too large to read, it is no mere gap. A large module is one.
    big = b"import os\n" + b"#" * (2**20 + 10) + b"\n"
    spec = fx.make_wheel(guard.tmp_path / "fixtures", {
        "demo/__init__.py": b"", "demo_boot.pth": big, "demo/table.py": big})
    _, outcome = read_and_scan(spec, guard, **SMALL)
    assert {u.path: u.blocks for u in outcome.unscanned} == {"demo_boot.pth": True, "demo/table.py": False}
