"""What a report on packages fetched from an index shows, shared by every format.

A :class:`~pysecbook.checker.index.outcome.LockReport` is the reports of each file of each
dependency, plus the checks on the lock as a whole. Every format shows it the same way: a
head line, one row per dependency, the lock's own checks under one title, the reasons. This
module holds those pieces; each format module renders them (and, for one requirement, each
file's report as it renders any single target). Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a local check never imports the index client
    from pysecbook.checker.index.outcome import Aggregate, DependencyCheck, LockReport

__all__ = ["ROW_COLUMNS", "file_reports", "head", "red_flags", "rows", "title"]

#: The columns of a dependency's row.
ROW_COLUMNS = ("dependency", "verdict", "red flags", "unscanned", "hash", "checks not passed / why")


def rows(report: LockReport, out: Aggregate) -> list[tuple[str, str, str, str, str, str]]:
    """One row per dependency, in :data:`ROW_COLUMNS` order."""
    table = []
    for d, verdict, failed, reason in zip(report.dependencies, out.verdicts, out.failed, out.why):
        why = ", ".join(failed) if failed and not d.error else reason or d.skipped or "-"
        if why == d.hash_status:  # said once, in its own column
            why = "the hash (see that column)"
        table.append((d.label, verdict.upper(), str(len(d.red_flags)), str(len(d.unscanned)),
                      d.hash_status, why))
    return table


def head(report: LockReport) -> str:
    """The run in one line: what was checked, against which index."""
    n = len(report.dependencies)
    what = f"{n} dependenc{'y' if n == 1 else 'ies'}" if report.kind == "lock" else "one requirement"
    cached = ", offline (cache only)" if report.offline else ""
    return (f"pysecbook {report.tool_version} check of {report.kind} {report.source}: {what}, "
            f"against {report.config.index_url} ({report.config.origin}){cached}")


def title(report: LockReport) -> str:
    """The heading of the checks on the lock as a whole."""
    return "The lock as a whole" if report.kind == "lock" else "Where packages would come from"


def red_flags(report: LockReport) -> list[tuple[DependencyCheck, str, Any]]:
    """(dependency, file name, finding) for every red flag of every file."""
    return [(d, name, f) for d in report.dependencies for name, f in d.red_flags]


def file_reports(report: LockReport) -> list[tuple[DependencyCheck, Any]]:
    """(dependency, file) for every file that was checked."""
    return [(d, f) for d in report.dependencies for f in d.files if f.report is not None]
