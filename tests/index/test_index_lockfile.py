"""Lock files read as text: requirements files with hashes and includes, and pylock.toml."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pysecbook.checker.index import LockError, is_pylock, read_locks
from pysecbook.checker.index.lockfile import read_lock

H1, H2, H3 = "a" * 64, "b" * 64, "c" * 64


def test_requirements_lines_hashes_includes_options_and_markers(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text(f"demo==1.0 --hash=sha256:{H3}\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text(
        "# a comment\n"
        "--index-url https://mirror.invalid/simple\n"
        "--extra-index-url=https://extra.invalid/simple\n"
        "-r base.txt\n"
        "-c constraints.txt\n"
        f"tidy-notes==1.2.0 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2.upper()}\n"
        "rich>=13  # not pinned\n"
        "old-parser==2.0.0\n"
        "winonly==1.0 ; sys_platform == 'win32-never'\n"
        "colorama @ git+https://example.invalid/colorama.git\n"
        "-e ./local-checkout\n"
        "not a requirement!!\n", encoding="utf-8")
    lock = read_lock(tmp_path / "requirements.txt")
    by = {e.requirement.split(" ")[0].split("==")[0].split(">=")[0]: e for e in lock.entries}
    assert by["tidy-notes"].hashes == {H1, H2} and by["tidy-notes"].pinned
    assert by["tidy-notes"].origin.endswith("requirements.txt:6")
    assert by["demo"].hashes == {H3} and by["demo"].origin.endswith("base.txt:1")
    assert not by["rich"].pinned and not by["rich"].hashed
    assert by["old-parser"].pinned and not by["old-parser"].hashed
    assert by["winonly"].skipped and "excludes this interpreter" in by["winonly"].skipped
    assert "URL" in (by["colorama"].error or "")
    assert "editable" in (by["./local-checkout"].error or "")
    assert "unreadable" in (by["not"].error or "")
    assert [(s.option, s.value) for s in lock.settings] == [
        ("index-url", "https://mirror.invalid/simple"), ("extra-index-url", "https://extra.invalid/simple")]
    assert any("constraints.txt" in n for n in lock.notes)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_the_encoding_comes_from_the_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    data = f"cafe-tools==1.0 --hash=sha256:{H1}  # caf\u00e9\n".encode(encoding)
    assert data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
                            codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE))
    (tmp_path / "ok.txt").write_bytes(data)
    [entry] = read_lock(tmp_path / "ok.txt").entries
    assert (entry.name, entry.hashes) == ("cafe-tools", frozenset({H1}))


def test_an_include_loop_is_read_once_and_a_missing_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\ndemo==1.0\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("-r a.txt\n", encoding="utf-8")
    lock = read_locks([str(tmp_path / "a.txt")])
    assert [e.requirement for e in lock.entries] == ["demo==1.0"]
    assert any("included twice" in n for n in lock.notes)
    with pytest.raises(LockError, match="no such file"):
        read_locks([str(tmp_path / "missing.txt")])
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9==1\n")
    with pytest.raises(LockError, match="not UTF-8"):
        read_locks([str(tmp_path / "bad.txt")])


def test_pylock_toml(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(f'''lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "tidy-notes"
version = "1.2.0"
index = "https://mirror.invalid/simple"
sdist = {{ url = "https://files.invalid/tidy_notes-1.2.0.tar.gz", hashes = {{ sha256 = "{H1}" }} }}
wheels = [{{ url = "https://files.invalid/tidy_notes-1.2.0-py3-none-any.whl", hashes = {{ sha256 = "{H2}" }} }}]

[[packages]]
name = "nohash"
version = "0.1"

[[packages]]
name = "from-git"
vcs = {{ type = "git", url = "https://example.invalid/x.git", commit-id = "abc" }}
''', encoding="utf-8")
    assert is_pylock(path) and is_pylock("pylock.dev.toml") and not is_pylock("requirements.toml")
    entries = {e.name: e for e in read_lock(path).entries}
    assert entries["tidy-notes"].requirement == "tidy-notes==1.2.0"
    assert entries["tidy-notes"].hashes == {H1, H2}
    assert entries["tidy-notes"].index == "https://mirror.invalid/simple"
    assert entries["nohash"].pinned and not entries["nohash"].hashed
    assert "vcs" in (entries["from-git"].error or "")
    path.write_text('lock-version = "2.0"\n', encoding="utf-8")
    with pytest.raises(LockError, match="lock-version 2.0"):
        read_lock(path)


# ------------------------------------------------------------------ pip's rules, from the one reader

def test_a_coding_comment_is_honoured_as_pip_honours_it(tmp_path: Path) -> None:
    """The lock reader used to know byte-order marks only; pip reads a ``coding:`` comment on
    the first two lines too, and so does the one reader."""
    (tmp_path / "latin.txt").write_bytes("# -*- coding: latin-1 -*-\ncafe-tools==1.0  # caf\u00e9\n"
                                         .encode("latin-1"))
    [entry] = read_lock(tmp_path / "latin.txt").entries
    assert (entry.name, entry.pinned) == ("cafe-tools", True)


def test_several_options_on_one_line_all_count(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "-i https://mirror.invalid/simple --extra-index-url=https://extra.invalid/simple\n"
        "--no-index\n", encoding="utf-8")
    lock = read_lock(tmp_path / "requirements.txt")
    assert [(s.option, s.value, s.where) for s in lock.settings] == [
        ("index-url", "https://mirror.invalid/simple", f"{tmp_path / 'requirements.txt'}:1"),
        ("extra-index-url", "https://extra.invalid/simple", f"{tmp_path / 'requirements.txt'}:1"),
        ("no-index", "true", f"{tmp_path / 'requirements.txt'}:2")]


@pytest.mark.parametrize(("line", "why"), [
    ("--frobnicate", "no such option: --frobnicate"),
    (f"demo==1.0 --hash=SHA256:{H1}", "allowed hash algorithms"),
    ("-r", "requires 1 argument"),
])
def test_a_line_pip_refuses_makes_the_lock_unreadable(tmp_path: Path, line: str, why: str) -> None:
    """pip refuses the whole file; the lock reader used to skip an unknown option in silence."""
    (tmp_path / "requirements.txt").write_text(f"demo==1.0\n{line}\n", encoding="utf-8")
    with pytest.raises(LockError, match=why) as raised:
        read_lock(tmp_path / "requirements.txt")
    assert str(raised.value).startswith(f"{tmp_path / 'requirements.txt'}:2: pip refuses this line")
