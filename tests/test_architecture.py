"""The package's two halves stay apart: the checker never uses the teaching library.

``pysecbook.checker`` (``pysecbook check``: checklist, scan, report) must not depend on a
demonstration, and the risk catalogue (``pysecbook.teaching.risks``) must not depend on the
checker. Nothing in the package imports the book (``_ext``, ``book``). Checked twice: in the
source (every import statement, including those inside functions) and at run time (what
importing every checker module really loads).

The lab (``pysecbook.lab``: builders, loopback servers, the child-process and pip-audit
runners) sits beside both halves: the teaching code, the tests and the bench may use all of
it; the checker only the pieces it runs itself (``pysecbook.lab.RUNTIME``), which import
nothing of pysecbook but each other; the lab never imports the teaching code; and the risk
catalogue uses only lab modules that do not reach the checker.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pysecbook.lab import RUNTIME

PACKAGE = ROOT / "src" / "pysecbook"
LAB = "pysecbook.lab"


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
    ("lab", ("pysecbook.teaching", "pysecbook.cli")),
])
def test_no_import_crosses_the_boundary(side: str, forbidden: tuple[str, ...]) -> None:
    crossings = [f"{p.relative_to(ROOT)}: {m}" for p in sources(side) for m in sorted(imported_modules(p))
                 if m.startswith(forbidden)]
    assert not crossings, crossings


def lab_module(name: str) -> str | None:
    """The lab module an imported name belongs to (``pysecbook.lab.child`` for
    ``pysecbook.lab.child.run_python``), ``LAB`` for the package itself, None outside it."""
    if name == LAB:
        return LAB
    if not name.startswith(LAB + "."):
        return None
    return ".".join(name.split(".")[:3])


def module_path(module: str) -> Path:
    rel = Path(*module.split(".")[1:])
    package = PACKAGE / rel / "__init__.py"
    return package if package.is_file() else (PACKAGE / rel).with_suffix(".py")


def test_the_checker_imports_only_the_lab_pieces_it_runs() -> None:
    crossings = [f"{p.relative_to(ROOT)}: {m}" for p in sources("checker")
                 for m in sorted(imported_modules(p))
                 if lab_module(m) not in (None, LAB, *RUNTIME)]
    assert not crossings, crossings
    used = {lab_module(m) for p in sources("checker") for m in imported_modules(p)}
    assert "pysecbook.lab.pip_audit" in used  # the rule is about something real


def test_the_lab_pieces_the_checker_runs_import_nothing_else_of_pysecbook() -> None:
    for module in RUNTIME:
        outside = [m for m in imported_modules(module_path(module)) if m.startswith("pysecbook")
                   and lab_module(m) not in (LAB, *RUNTIME)]
        assert not outside, (module, outside)


def test_the_risk_catalogue_uses_only_lab_modules_that_do_not_reach_the_checker() -> None:
    reaching = {f"{LAB}.{p.stem}" for p in sources("lab")
                if any(m.startswith("pysecbook.checker") for m in imported_modules(p))}
    assert "pysecbook.lab.offline" in reaching  # the rule is about something real
    crossings = [f"{p.relative_to(ROOT)}: {m}" for p in sources("teaching/risks")
                 for m in sorted(imported_modules(p)) if lab_module(m) in reaching]
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
    assert not [m for m in loaded if lab_module(m) not in (None, LAB, *RUNTIME)], loaded
