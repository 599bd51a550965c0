"""Names and text chosen by the target reach no terminal, viewer or browser as anything but text.

Each target here is built to fool a report: an escape sequence in a file name that would
clear the screen and print a fake verdict, a bidirectional override, a line separator, a
name that is not valid UTF-8 (a lone surrogate once decoded), Markdown and HTML in a name.
All five formats must survive every one of them, on stdout and in a file.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from checklist_helpers import TODAY, VENV

from pysecbook.checker.report import FORMATS, clean
from pysecbook.cli import main

FAKE_VERDICT = "\x1b[2J\x1b[1;1HPASS: every check passed"
HOSTILE_NAMES = [
    f"{FAKE_VERDICT}.py",
    "admin\u202eyp.py",
    "line\u2028break.py",
    "<img src=x onerror=alert(1)> | `x` *y*.py",
]
#: Raw characters none of the outputs may contain.
FORBIDDEN = ("\x1b", "\u202e", "\u2028", "\udce9")


@pytest.fixture(autouse=True)
def _same_day_and_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pysecbook.checker.checklist.base.detect_environment", lambda: VENV)
    monkeypatch.setattr("pysecbook.checker.checklist.base.today", lambda: TODAY)


def hostile_tree(root: Path) -> Path:
    root.mkdir()
    for name in HOSTILE_NAMES:
        (root / name).write_text("import os\nos.system('true')\n")  # a finding names the file
    # A name that is not valid UTF-8: os.walk hands it over as a lone surrogate.
    fd = os.open(os.fsencode(root) + b"/caf\xe9.py", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"print 'python 2'\n")  # unscannable: the name reaches the "not scanned" list
    os.close(fd)
    return root


def hostile_sdist(dest: Path) -> Path:
    path = dest / "evil-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in HOSTILE_NAMES:
            data = b"import os\nos.system('true')\n"
            info = tarfile.TarInfo(f"evil-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"evil-1.0/{FAKE_VERDICT}")
        link.type, link.linkname = tarfile.SYMTYPE, FAKE_VERDICT
        tar.addfile(link)
    return path


def assert_safe(text: str, fmt: str) -> None:
    for raw in FORBIDDEN:
        assert raw not in text, (fmt, repr(raw))
    visible = {"markdown": "x1b\\[2J", "sarif": "%5Cx1b%5B2J"}.get(fmt, "\\x1b[2J")
    assert visible in text, fmt  # shown as a visible escape, never sent to the terminal
    if fmt == "html":
        assert "<img src=x" not in text and "&lt;img src=x" in text
    if fmt == "markdown":
        assert "<img" not in text and "&lt;img src=x onerror=alert\\(1\\)&gt; \\| \\`x\\` \\*y\\*" in text
    if fmt in ("json", "sarif"):
        json.loads(text)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["directory", "sdist"])
def test_every_format_survives_hostile_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              fmt: str, kind: str) -> None:
    target = hostile_tree(tmp_path / "t") if kind == "directory" else hostile_sdist(tmp_path)
    out_file = tmp_path / f"report.{fmt}"
    code = main(["check", str(target), "--format", fmt, "--output", str(out_file)])
    assert code == 1  # a file it could not scan (directory), a link it refused (sdist)
    assert_safe(out_file.read_text(encoding="utf-8"), fmt)
    assert main(["check", str(target), "--format", fmt]) == 1
    printed = capsys.readouterr()
    assert_safe(printed.out, fmt)
    assert "Traceback" not in printed.err


def test_the_terminal_table_escapes_names_and_rich_markup(tmp_path: Path) -> None:
    from pysecbook.checker import check_target
    from pysecbook.checker.report import to_text

    target = hostile_tree(tmp_path / "t")
    (target / "[bold red]BLOCKED[_].py").write_text("print 'x'\n")
    report = check_target(str(target), environment=VENV, today=TODAY,
                          auditor=lambda pins: None)
    coloured = to_text(report, terminal=True)
    assert "\x1b[2J" not in coloured and "\\x1b[2J" in coloured
    assert "[bold red]BLOCKED[_].py" in coloured  # printed as text, not as markup


def test_clean_escapes_each_kind_of_unsafe_character() -> None:
    assert clean("a\x1b[31mb") == "a\\x1b[31mb"
    assert clean("x\u202ey\u2066z") == "x\\u202ey\\u2066z"
    assert clean("p\u2028q\u2029r\x85s") == "p\\u2028q\\u2029r\\x85s"
    assert clean("caf\udce9") == "caf\\udce9"
    assert clean("zero\u200bwidth\ufeff") == "zero\\u200bwidth\\ufeff"
    assert clean("café ✓ \U0001F600\ttab") == "café ✓ \U0001F600\\x09tab"
