"""Every page of the book executed top to bottom: one test id per page.

The strict build (``built_site``) executes every page once, and myst-nb keeps each executed
notebook under ``_build/jupyter_execute``. These tests read those notebooks rather than
running every page a second time: each page must have every code cell executed, no error
output except in the cells tagged ``raises-exception``, and an error in each of those.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
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


def executed_cells(built_site, page: Path) -> list:  # type: ignore[no-untyped-def]
    """The code cells of ``page`` as the build executed them."""
    rel = page.relative_to(ROOT).with_suffix(".ipynb")
    executed = built_site.html.parent / "jupyter_execute" / rel
    assert executed.is_file(), f"the build did not execute {page.relative_to(ROOT)}"
    nb = nbformat.read(executed, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.book
@pytest.mark.xdist_group("site")
@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT / "book").as_posix() for p in PAGES])
def test_page_executes(page: Path, built_site) -> None:  # type: ignore[no-untyped-def]
    source = [c for c in notebook_of(page).cells if c.cell_type == "code"]
    if not source:
        # A prose page: parsing it is the whole test.
        assert any(c.cell_type == "markdown" and c.source.strip() for c in notebook_of(page).cells)
        return
    assert built_site.returncode == 0, built_site.log[-3000:]
    cells = executed_cells(built_site, page)
    assert [c.source for c in cells] == [c.source for c in source], "the executed copy is stale"
    for cell in cells:
        assert cell.get("execution_count") is not None, f"cell never ran:\n{cell.source}"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            assert errors, f"cell tagged raises-exception did not raise:\n{cell.source}"
        else:
            assert not errors, errors
