"""The package's two halves stay apart: the checker never uses the teaching library.

``pysecbook.checker`` (``pysecbook check``: checklist, scan, report) must not depend on a
demonstration, and the risk catalogue (``pysecbook.teaching.risks``) must not depend on the
checker. Nothing in the package imports the book (``_ext``, ``book``). Checked twice: in the
source (every import statement, including those inside functions) and at run time (what
importing every checker module really loads).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "pysecbook"


def imported_modules(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Every module an import statement of ``path`` (a file under ``root``) names, relative
    imports resolved."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    package = parts if path.name == "__init__.py" else parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return found


def sources(under: str) -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


@pytest.mark.parametrize(("side", "forbidden"), [
    ("checker", ("pysecbook.teaching",)),
    ("teaching/risks", ("pysecbook.checker", "pysecbook.cli")),
])
def test_no_import_crosses_the_boundary(side: str, forbidden: tuple[str, ...]) -> None:
    crossings = [f"{p.relative_to(ROOT)}: {m}" for p in sources(side) for m in sorted(imported_modules(p))
                 if m.startswith(forbidden)]
    assert not crossings, crossings


def test_nothing_imports_the_book() -> None:
    crossings = [f"{p.relative_to(ROOT)}: {m}" for p in sources(".") for m in imported_modules(p)
                 if m.split(".")[0] in ("pysecbook_sphinx", "_ext", "book", "conftest")]
    assert not crossings, crossings


def test_the_source_check_sees_a_crossing(tmp_path: Path) -> None:
    """The check above can fail: a relative import from the checker into teaching is caught."""
    fake = tmp_path / "pysecbook" / "checker" / "scan" / "probe.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ...teaching import sandbox\n")
    assert "pysecbook.teaching.sandbox" in imported_modules(fake, tmp_path)


_LOADED = """
import importlib, json, pkgutil, sys
import pysecbook.checker as checker
for info in pkgutil.walk_packages(checker.__path__, "pysecbook.checker."):
    importlib.import_module(info.name)
import pysecbook.cli
print(json.dumps(sorted(m for m in sys.modules if m.startswith("pysecbook."))))
"""


def test_importing_the_whole_checker_loads_no_teaching_module() -> None:
    done = subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "pysecbook.checker.runner" in loaded
    assert not [m for m in loaded if m.startswith("pysecbook.teaching")], loaded
