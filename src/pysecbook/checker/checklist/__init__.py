"""The pre-run checklist, executable: one check per item, run on a project, archive or install.

The checks are defined once, in :mod:`pysecbook.checker.checklist.must` and
:mod:`pysecbook.checker.checklist.could`; the book's checklist chapter, ``pysecbook check``
and the tests all read that registry. Book chapter: ``book/checklist/index``.
"""

from __future__ import annotations

from pysecbook.checker.checklist import could, must  # noqa: F401 - registers the checks
from pysecbook.checker.checklist.base import (
    BOOK_URL,
    STATUSES,
    Check,
    CheckContext,
    CheckResult,
    all_checks,
    book_url,
    get_check,
)
from pysecbook.checker.checklist.environment import RuntimeEnvironment, detect_environment

__all__ = [
    "BOOK_URL", "STATUSES", "Check", "CheckContext", "CheckResult", "RuntimeEnvironment",
    "all_checks", "book_url", "detect_environment", "get_check", "reference_markdown",
]


def reference_markdown() -> str:
    """The checklist reference as a Markdown list, generated from the registry."""
    lines = []
    for level in ("must", "could"):
        lines.append(f"\n**{'Must do' if level == 'must' else 'Could do'}**\n")
        for cls in all_checks():
            if cls.level == level:
                page = cls.page.rsplit("/", 1)[-1]
                lines.append(f"- `{cls.id}` ({cls.level}): [{cls.title()}]({page}.html#{cls.label()})")
    return "\n".join(lines).strip() + "\n"
