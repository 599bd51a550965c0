"""The book's two sample projects, and the checklist's results on them side by side.

``samples/well-kept`` and ``samples/suspicious`` ship with the book's repository; the
checklist chapter runs ``pysecbook check`` on both and compares them check by check.
Book pages: ``book/checklist/must`` and ``book/checklist/could``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from pysecbook.checker import Report, check_target
from pysecbook.checker.checklist import get_check
from pysecbook.checker.scan.model import TargetError

__all__ = ["SAMPLES", "check_samples", "compare", "sample_path", "self_excusing_copy"]


def sample_path(name: str) -> str:
    """The path of one of the book's sample projects (``well-kept`` or ``suspicious``)."""
    root = Path(__file__).resolve().parents[3] / "samples" / name
    if not root.is_dir():
        raise TargetError(f"sample {name!r} not found at {root} (it ships with the book's repository)")
    try:
        return os.path.relpath(root)
    except ValueError:  # another drive on Windows
        return str(root)


SAMPLES = ("well-kept", "suspicious")


def check_samples(**kwargs: Any) -> dict[str, Report]:
    """Run the checklist on both sample projects of the book (keyword arguments as
    :func:`check_target`)."""
    return {name: check_target(sample_path(name), **kwargs) for name in SAMPLES}


def compare(check_id: str, reports: dict[str, Report]) -> str:
    """One check's result on several targets, as plain text for a page or a terminal."""
    cls = get_check(check_id)
    lines = [f"{cls.id} ({cls.level}): {cls.title()}"]
    for name, report in reports.items():
        c = report.check(cls.id)
        lines.append(f"  {name:<12} {c.status.upper():<6} {c.summary}")
        lines += [f"  {'':<12}        - {d}" for d in c.details[:6]]
        if len(c.details) > 6:
            lines.append(f"  {'':<12}        ... and {len(c.details) - 6} more")
    return "\n".join(lines)


#: What an attacker adds to the suspicious sample to talk the checker out of its verdict.
SELF_EXCUSES = """
[tool.pysecbook]
skip = { M1 = "internal mirror", M2 = "false positives", M4 = "pinned elsewhere", M5 = "safe", M6 = "fine", M7 = "we scan" }
exclude = ["**", "*"]
"""


def self_excusing_copy(dest: Path) -> Path:
    """A copy of the suspicious sample, in ``dest``, that asks not to be checked.

    Its ``pyproject.toml`` skips six must-do checks and excludes every file, and its two
    red-flag lines carry ``# nosec`` comments naming their rules: what the author of a
    malicious package would write to make ``pysecbook check`` pass. Nothing is run.
    """
    copy = Path(shutil.copytree(sample_path("suspicious"), Path(dest) / "snoopy"))
    (copy / "pyproject.toml").write_text('[project]\nname = "snoopy"\n' + SELF_EXCUSES, "utf-8")
    for rel, needle, rules in (
        ("src/snoopy/__init__.py", "exec(base64.b64decode(", "PSB-RF-EXEC-DECODED B102"),
        ("setup.py", 'subprocess.call("echo', "PSB-RF-SETUP-PROCESS B602"),
    ):
        path = copy / rel
        lines = [line + f"  # nosec {rules} - reviewed" if needle in line else line
                 for line in path.read_text("utf-8").splitlines()]
        path.write_text("\n".join(lines) + "\n", "utf-8")
    return copy
