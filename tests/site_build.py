"""Build the book once per test session, into a temporary directory; serve it locally.

Tests that need the built site use the ``built_site`` fixture (see conftest.py) and carry
``@pytest.mark.xdist_group("site")`` so that under ``pytest -n`` they all run on one worker,
which builds once. Serving and the browser come from scripts/sitetools.py.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hermetic import on_sys_path

with on_sys_path(Path(__file__).resolve().parent.parent / "scripts"):
    from sitetools import CHROMIUM, CHROMIUM_FLAGS, base_path, serve, toc_pages

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "Site", "base_path", "build", "serve", "toc_pages"]

BUILD_BOOK = Path(__file__).resolve().parent.parent / "scripts" / "build_book.py"


def build(source: Path, output: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``make book``'s build of SOURCE into OUTPUT/_build: the pages executed in parallel,
    then ``jupyter-book build -W -n --keep-going``'s Sphinx run (scripts/build_book.py)."""
    return subprocess.run(
        [sys.executable, str(BUILD_BOOK), str(source), "--path-output", str(output)],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=source,
    )


@dataclass(frozen=True)
class Site:
    returncode: int
    log: str
    html: Path
