"""Shared fixtures: paths of the repository and the pages of the book."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files() -> list[str]:
    """Every page in _toc.yml, as a path under the repository root without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return found


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
