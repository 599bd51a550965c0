"""Shared fixtures: paths of the repository and the pages of the book."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def toc_files() -> list[str]:
    """Every page in _toc.yml, as a path under the repository root without suffix."""
    from site_build import toc_pages

    return toc_pages()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The whole book, built strictly from this checkout into a fresh temporary directory."""
    from site_build import Site, build

    out = tmp_path_factory.mktemp("site")
    done = build(ROOT, out)
    return Site(done.returncode, done.stdout + done.stderr, out / "_build" / "html")
