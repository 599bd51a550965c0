"""Every executed page is offered as a notebook a reader can download, open and run.

The strict build copies each page's executed notebook (outputs included) into
``_sources`` and lists it in the page's download menu. These tests check, on the built site:
every page with code cells links a notebook that exists, each one is a valid notebook with
the page's code and outputs, and one of them runs top to bottom in a fresh kernel.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest

from conftest import ROOT, toc_files

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("site")]

_LINK = re.compile(r'href="([^"]+\.ipynb)"')


def _executable_pages() -> list[str]:
    from myst_nb.core.read import read_myst_markdown_notebook

    pages = []
    for name in toc_files():
        nb = read_myst_markdown_notebook((ROOT / f"{name}.md").read_text(encoding="utf-8"))
        if any(c.cell_type == "code" for c in nb.cells):
            pages.append(name)
    return pages


PAGES = _executable_pages()


def _notebook_of(html_dir: Path, page: str) -> Path:
    html = (html_dir / f"{page}.html").read_text(encoding="utf-8")
    links = sorted(set(_LINK.findall(html)))
    assert len(links) == 1, f"{page}: download links to notebooks {links}"
    target = urljoin(f"http://site/{page}.html", links[0]).removeprefix("http://site/")
    return html_dir / target


def test_there_are_executable_pages() -> None:
    assert len(PAGES) > 20


@pytest.mark.parametrize("page", PAGES)
def test_each_executable_page_offers_its_executed_notebook(built_site, page: str) -> None:  # type: ignore[no-untyped-def]
    assert built_site.returncode == 0, built_site.log[-3000:]
    path = _notebook_of(built_site.html, page)
    assert path == built_site.html / "_sources" / f"{page}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") is not None for c in code)
    assert any(c.get("outputs") for c in code), "the notebook has no outputs"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_a_downloaded_notebook_runs_top_to_bottom(built_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from nbclient import NotebookClient

    page = "book/security-model/python-versions"
    nb = nbformat.read(_notebook_of(built_site.html, page), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert "Python" in "".join(o.get("text", "") for c in code for o in c.outputs)
