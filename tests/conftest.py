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
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str):  # type: ignore[no-untyped-def]
    """The whole book, built strictly from this checkout into a fresh temporary directory.

    Built once per test run: under pytest-xdist the workers share one build, the first to
    arrive builds while the others wait on a lock.
    """
    import json

    from filelock import FileLock
    from site_build import Site, build

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    out, result = shared / "site", shared / "site.json"
    with FileLock(str(shared / "site.lock")):
        if not result.exists():
            out.mkdir(exist_ok=True)
            done = build(ROOT, out)
            result.write_text(json.dumps({"returncode": done.returncode,
                                          "log": done.stdout + done.stderr}))
    data = json.loads(result.read_text())
    return Site(data["returncode"], data["log"], out / "_build" / "html")
