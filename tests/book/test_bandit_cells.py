"""A "What Bandit sees" cell earns its place only by showing something the risk card does not.

The card already says when Bandit has no rule for a risk. A cell that scans only the
functions of risk cards, in which Bandit finds nothing, prints "no issues" twice and repeats
the card, so it is not allowed. A cell may show Bandit's silence on a function that is on no
card (the SHA-256 variant of a password hash, say): that is news. Functions are resolved
through the page's own ``from pysecbook... import`` statements.
"""

from __future__ import annotations

import ast
import importlib
import re

import pytest
from myst_nb.core.read import read_myst_markdown_notebook

from conftest import ROOT, toc_files
from pysecbook.teaching.risks import all_risks
from pysecbook.teaching.sast import scan_function

_SCANNED = re.compile(r"scan_function\((\w+)\.(\w+)\)")
_ON_CARDS = {f for r in all_risks() for f in (r.insecure, r.secure)}


def _imports(source: str) -> dict[str, str]:
    """Local name -> module, for every ``from pysecbook... import NAME [as ALIAS]``."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pysecbook"):
            for a in node.names:
                found[a.asname or a.name] = f"{node.module}.{a.name}"
    return found


def _cells() -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for name in toc_files():
        nb = read_myst_markdown_notebook((ROOT / f"{name}.md").read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            aliases.update(_imports(cell.source))
            if "describe(scan_function(" in cell.source:
                out.append((name, cell.source, dict(aliases)))
    return out


CELLS = _cells()


def test_pages_have_bandit_cells() -> None:
    assert len(CELLS) > 10


@pytest.mark.parametrize(("page", "source", "aliases"), CELLS,
                         ids=[f"{p}:{i}" for i, (p, _, _) in enumerate(CELLS)])
def test_a_bandit_cell_shows_a_finding(page: str, source: str, aliases: dict[str, str]) -> None:
    scanned = _SCANNED.findall(source)
    if not scanned:
        pytest.skip("scans a variable; not resolved statically")
    targets = [getattr(importlib.import_module(aliases[module]), func) for module, func in scanned]
    if not all(t in _ON_CARDS for t in targets):
        return  # shows Bandit on a function no card shows
    assert any(scan_function(t).findings for t in targets), (
        f"{page}: every function scanned is clean, which the risk card already says")
