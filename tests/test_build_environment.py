"""The book's environment holds what the build needs, and the SBOM generator lives apart.

``cyclonedx-bom``'s validation extra pulls ``jsonschema[format-nongpl]``, whose
``rfc3987-syntax`` compiles Lark grammars when jsonschema imports it: about 1.5 s of every
``jupyter-book build`` on an idle 2-core machine. The generator has its own environment
(``.venv-sbom``, requirements-sbom.txt); a page runs it as a child process.
"""

from __future__ import annotations

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
