"""Every page of the book executes top to bottom on its own: one test id per page."""

from __future__ import annotations

from pathlib import Path

import nbclient
import pytest
from myst_nb.core.read import read_myst_markdown_notebook

from conftest import ROOT, toc_files

PAGES = [ROOT / f"{name}.md" for name in toc_files()]


def notebook_of(page: Path):  # type: ignore[no-untyped-def]
    return read_myst_markdown_notebook(page.read_text(encoding="utf-8"))


def test_every_toc_entry_is_a_file() -> None:
    missing = [str(p.relative_to(ROOT)) for p in PAGES if not p.is_file()]
    assert not missing


def test_every_page_is_in_the_toc() -> None:
    on_disk = {p.relative_to(ROOT).with_suffix("").as_posix() for p in (ROOT / "book").rglob("*.md")}
    assert on_disk <= set(toc_files()), on_disk - set(toc_files())


@pytest.mark.book
@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT / "book").as_posix() for p in PAGES])
def test_page_executes(page: Path) -> None:
    nb = notebook_of(page)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    if not code_cells:
        # A prose page: parsing it is the whole test.
        assert any(c.cell_type == "markdown" and c.source.strip() for c in nb.cells)
        return
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}}
    )
    client.execute()
    for cell in code_cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            assert errors, f"cell tagged raises-exception did not raise:\n{cell.source}"
        else:
            assert not errors, errors
