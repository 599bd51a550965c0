"""Temporary files and file permissions (book/practices/files): the directory check and the
atomic save, each on its own.

The generic tests run the canonical and adapted attacks (the permission ones as root only).
Here: which directories ``private_path`` accepts; that the secure save is private whatever
the umask, replaces a link or a wide file instead of writing through it even with the
directory check taken away, and leaves no temporary file behind.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import file_permissions as fp
from pysecbook.teaching.risks import temp_files as tf

ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="changing a directory's owner needs root")


@pytest.fixture()
def tmp() -> Iterator[Path]:
    with private_tmpdir() as path:
        yield path


def _dir(path: Path, mode: int) -> Path:
    path.mkdir()
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o700, 0o755, 0o1777, 0o1770], ids=oct)
def test_private_path_accepts_directories_only_the_owner_can_change(tmp: Path, mode: int) -> None:
    folder = _dir(tmp / "d", mode)
    assert tf.private_path(str(folder)) == folder.resolve()


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757, 0o733], ids=oct)
def test_private_path_refuses_a_directory_others_may_write_without_sticky_bit(
        tmp: Path, mode: int) -> None:
    folder = _dir(tmp / "d", mode)
    with pytest.raises(PermissionError, match="writable by others without the sticky bit"):
        tf.private_path(str(folder))


def test_private_path_checks_every_directory_above_and_the_target_of_a_link(tmp: Path) -> None:
    unsafe = _dir(tmp / "open", 0o777)
    inner = _dir(unsafe / "inner", 0o700)
    with pytest.raises(PermissionError, match="open is writable by others"):
        tf.private_path(str(inner))
    (tmp / "link").symlink_to(unsafe)
    with pytest.raises(PermissionError, match="open is writable by others"):
        tf.private_path(str(tmp / "link"))


@ROOT_ONLY
def test_private_path_refuses_a_directory_of_another_user(tmp: Path) -> None:
    folder = _dir(tmp / "theirs", 0o1777)
    os.chown(folder, 65534, 65534)
    with pytest.raises(PermissionError, match="belongs to uid 65534"):
        tf.private_path(str(folder))


def test_the_secure_report_lands_in_the_resolved_private_directory(tmp: Path) -> None:
    folder = _dir(tmp / "reports", 0o1777)
    (tmp / "alias").symlink_to(folder)
    name = Path(tf.write_report_secure(str(tmp / "alias"), lambda: "body\n"))
    assert name.parent == folder.resolve()
    assert stat.S_IMODE(name.stat().st_mode) == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=oct)
def test_the_secure_save_is_private_whatever_the_umask(tmp: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        fp.save_config_secure(str(tmp / "app.conf"), "x = 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp / "app.conf").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp.iterdir()) == ["app.conf"]


def test_the_secure_save_replaces_a_wide_file_with_a_new_one(tmp: Path) -> None:
    path = tmp / "app.conf"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o666)
    with open(path, "a", encoding="utf-8") as kept:  # a descriptor opened while it was wide
        before = os.fstat(kept.fileno()).st_ino
        fp.save_config_secure(str(path), "new\n")
        kept.write("planted\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert path.stat().st_ino != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["symbolic", "hard"])
def test_without_the_directory_check_a_link_is_replaced_not_followed(
        tmp: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second layer alone: even in a directory the check would refuse, ``os.replace``
    puts a new file where the link was and leaves the link's target alone."""
    monkeypatch.setattr(fp, "private_path", lambda directory: Path(directory).resolve())
    victim = tmp / "users.db"
    victim.write_text("alice:admin\n", encoding="utf-8")
    drop = _dir(tmp / "conf.d", 0o777)
    if kind == "symbolic":
        (drop / "app.conf").symlink_to(victim)
    else:
        os.link(victim, drop / "app.conf")
    fp.save_config_secure(str(drop / "app.conf"), "admin_group = staff\n")
    assert victim.read_text(encoding="utf-8") == "alice:admin\n"
    assert not (drop / "app.conf").is_symlink()
    assert (drop / "app.conf").read_text(encoding="utf-8") == "admin_group = staff\n"


def test_a_failed_save_leaves_no_temporary_file(tmp: Path) -> None:
    (tmp / "app.conf").mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(OSError):
        fp.save_config_secure(str(tmp / "app.conf"), "x = 1\n")
    assert sorted(p.name for p in tmp.iterdir()) == ["app.conf"]
