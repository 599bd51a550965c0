"""The book's environment holds what the build needs, and the SBOM generator lives apart.

``cyclonedx-bom``'s validation extra pulls ``jsonschema[format-nongpl]``, whose
``rfc3987-syntax`` compiles Lark grammars when jsonschema imports it: about 1.5 s of every
``jupyter-book build`` on an idle 2-core machine. The generator has its own environment
(``.venv-sbom``, requirements-sbom.txt); a page runs it as a child process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hermetic import on_sys_path

from conftest import ROOT
from pysecbook.teaching import culture

SLOW_AT_IMPORT = ("rfc3987_syntax", "lark", "cyclonedx", "playwright")


def _locked(lock: Path) -> set[str]:
    with on_sys_path(ROOT / "scripts"):
        from prune_venv import locked_names

    return locked_names(lock)


def test_the_build_imports_none_of_the_tools_it_does_not_need() -> None:
    code = ("import sys, jupyter_book.config, jupyter_book.sphinx, myst_nb, jupyter_cache; "
            "print('\\n'.join(sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert "jupyter_book.config" in loaded
    assert [m for m in loaded if m.split(".")[0] in SLOW_AT_IMPORT] == []


def test_the_sbom_generator_is_locked_apart_from_the_book() -> None:
    book, sbom = _locked(ROOT / "requirements.txt"), _locked(ROOT / "requirements-sbom.txt")
    assert "cyclonedx-bom" in sbom and "rfc3987-syntax" in sbom
    assert "cyclonedx-bom" not in book and "rfc3987-syntax" not in book
    assert "jupyter-book" in book and "jupyter-book" not in sbom


def test_a_missing_generator_environment_says_how_to_make_it(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv(culture.SBOM_PYTHON_ENV, str(tmp_path / "no-such-python"))
    with pytest.raises(culture.SbomGeneratorMissing, match="make sbom-env"):
        culture.generate_sbom()


# --- Set-up: scripts/bootstrap.sh and the Makefile, run against a fake interpreter ------------

#: A stand-in for python3 and for the virtual environment's python: it logs its arguments,
#: creates ``DIR/bin/python`` (itself) for ``-m venv DIR``, and answers ``import pysecbook``
#: with the exit status FAKE_IMPORT_STATUS. Nothing is installed, nothing is downloaded.
FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
if [ "$1" = -m ] && [ "$2" = venv ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && chmod +x "$3/bin/python"
    exit 0
fi
case "$*" in
    *"import pysecbook"*) exit "${FAKE_IMPORT_STATUS:-0}" ;;
esac
exit 0
"""


def _fake_python(tmp_path: Path) -> Path:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    return fake


def _bootstrap(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "calls.log"
    log.write_text("", encoding="utf-8")
    base = {"PATH": os.defpath, "PYTHON": str(_fake_python(tmp_path)), "VENV": str(tmp_path / "venv"),
            "REQUIREMENTS": "requirements.txt", "FAKE_LOG": str(log)}
    done = subprocess.run(["sh", str(ROOT / "scripts" / "bootstrap.sh")], cwd=ROOT,
                          env={**base, **env}, capture_output=True, text=True, timeout=60,
                          check=False)
    return done, log.read_text(encoding="utf-8").splitlines()


def _installs_itself(calls: list[str]) -> bool:
    return any("pip install" in c and "--editable ." in c for c in calls)


def test_a_variable_named_project_does_not_decide_the_set_up(tmp_path: Path) -> None:
    """A CI system or a shell that sets PROJECT for its own purposes still gets pysecbook."""
    done, calls = _bootstrap(tmp_path, PROJECT="no")
    assert done.returncode == 0, done.stderr
    assert _installs_itself(calls)
    assert any("import pysecbook" in c for c in calls)  # and checks that it imports


def test_the_projects_own_switch_leaves_the_package_out(tmp_path: Path) -> None:
    done, calls = _bootstrap(tmp_path, PYSECBOOK_INSTALL_SELF="no")
    assert done.returncode == 0, done.stderr
    assert not _installs_itself(calls)
    assert any("-m pip install --quiet --require-hashes --no-deps -r requirements.txt" in c
               for c in calls)


def test_an_unknown_value_of_the_switch_is_refused(tmp_path: Path) -> None:
    done, calls = _bootstrap(tmp_path, PYSECBOOK_INSTALL_SELF="maybe")
    assert done.returncode == 2 and calls == []
    assert done.stderr.strip() == ("bootstrap: PYSECBOOK_INSTALL_SELF must be yes or no, "
                                   "not 'maybe'.")


def test_a_package_that_does_not_import_after_set_up_fails_in_one_line(tmp_path: Path) -> None:
    done, _ = _bootstrap(tmp_path, FAKE_IMPORT_STATUS="1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"bootstrap: pysecbook is not importable from {tmp_path / 'venv'} after set-up; "
        f"remove {tmp_path / 'venv'} and run make again."]


def test_the_makefile_names_every_variable_the_set_up_reads() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PROJECT=" not in makefile
    calls = [line for line in makefile.replace("\\\n", " ").splitlines()
             if "scripts/bootstrap.sh" in line and line.startswith("\t")]
    assert len(calls) == 2
    for call in calls:
        for variable in ("PYTHON=", "VENV=", "REQUIREMENTS=", "PYSECBOOK_INSTALL_SELF="):
            assert variable in call, call


@pytest.mark.parametrize(("status", "expected"), [("0", 0), ("1", 2)])
def test_make_book_and_test_stop_in_one_line_when_pysecbook_does_not_import(
        tmp_path: Path, status: str, expected: int) -> None:
    """``make book`` and ``make test`` depend on ``importable``; run alone here against a fake
    environment whose set-up is up to date (a fresh stamp), it says in one line what is wrong."""
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("book", "test"):
        assert re.search(rf"^{target}: .*\bimportable\b", makefile, re.MULTILINE), target
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(_fake_python(tmp_path), venv / "bin" / "python")
    stamp = venv / ".installed"
    stamp.touch()
    env = {"PATH": os.environ.get("PATH", os.defpath), "FAKE_LOG": str(tmp_path / "log"),
           "FAKE_IMPORT_STATUS": status}
    done = subprocess.run(["make", "--no-print-directory", "-s", "importable", f"VENV={venv}",
                           f"BIN={venv / 'bin'}", f"STAMP={stamp}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == expected, done.stderr
    if expected:
        first = done.stderr.splitlines()[0]
        assert first == (f"make: pysecbook is not importable from {venv}; remove {venv} "
                         "and run make again.")
    else:
        assert done.stderr == ""
