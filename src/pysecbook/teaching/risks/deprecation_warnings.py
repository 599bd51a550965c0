"""Deprecation warnings nobody sees: a test suite that passes on borrowed time.

By default Python shows a ``DeprecationWarning`` only when it is raised by code in
``__main__``, and never shows a ``PendingDeprecationWarning``; test runners print them in a
summary that a green CI job never makes anyone read. The deprecated call keeps working until
the release that removes it, and then the upgrade (often a security upgrade) breaks.
Setting ``PYTHONWARNINGS=error::DeprecationWarning,error::PendingDeprecationWarning`` turns
each such call into an exception, so the test that exercises it fails today.
Book page: ``book/culture/users``.
"""

from __future__ import annotations

import re
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import Completed, last_line, private_tmpdir, run_python

#: The value of ``PYTHONWARNINGS`` the secure runner sets.
DEPRECATIONS_AS_ERRORS = "error::DeprecationWarning,error::PendingDeprecationWarning"

#: A tiny project and its tests: one call deprecated in Python 3.11 (removal planned for
#: 3.15), one library function that announces its own future deprecation.
SAMPLE_PROJECT: dict[str, str] = {
    "report.py": '''\
"""A tiny reporting module with two calls that are on their way out."""
import locale
import warnings


def language() -> str:
    """The user's language, found with a function deprecated since Python 3.11."""
    return locale.getdefaultlocale()[0] or "C"


def title(text: str) -> str:
    """An old helper that its authors announced will be deprecated."""
    warnings.warn("title() will be deprecated, use str.title()",
                  PendingDeprecationWarning, stacklevel=2)
    return text.title()
''',
    "test_report.py": '''\
import unittest

import report


class ReportTests(unittest.TestCase):
    def test_language(self) -> None:
        self.assertIsInstance(report.language(), str)

    def test_title(self) -> None:
        self.assertEqual(report.title("annual report"), "Annual Report")


if __name__ == "__main__":
    unittest.main()
''',
}


def write_sample_project(directory: Path) -> Path:
    """Write :data:`SAMPLE_PROJECT` into ``directory`` and return it."""
    for name, text in SAMPLE_PROJECT.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def run_tests_insecure(project: Path) -> Completed:
    """Run the test suite as Python starts by default: deprecations are at most printed."""
    return run_python(None, cwd=project, flags=["-m", "unittest"], args=["-v"])


def run_tests_secure(project: Path) -> Completed:
    """Run the test suite with deprecation warnings turned into errors."""
    return run_python(None, cwd=project, flags=["-m", "unittest"], args=["-v"],
                      env={"PYTHONWARNINGS": DEPRECATIONS_AS_ERRORS})


_WARNING = re.compile(r"\b((?:Pending)?DeprecationWarning: .*)")


def warning_lines(done: Completed) -> list[str]:
    """Each distinct deprecation message a run printed (as a warning or as an error)."""
    found = (_WARNING.search(line) for line in done.stderr.splitlines())
    return list(dict.fromkeys(m.group(1).strip() for m in found if m))


def describe_run(done: Completed) -> str:
    """One line: the runner's verdict, and the deprecation lines it printed."""
    verdict = "PASSED" if done.ok else "FAILED"
    summary = "timed out" if done.timed_out else last_line(done.stderr)
    warned = warning_lines(done)
    lines = [f"test suite {verdict} ({summary})"]
    lines += [f"  {line}" for line in warned]
    return "\n".join(lines)


def attack(run_tests: object) -> Outcome:
    """The code calls deprecated APIs; does the test suite let it through?"""
    with private_tmpdir() as tmp:
        done = run_tests(write_sample_project(tmp))  # type: ignore[operator]
    warned = warning_lines(done)
    if done.ok:
        note = (f"printed {len(warned)} deprecation warning(s) and carried on" if warned
                else "printed no warning at all")
        return Outcome(True, f"the suite passed; the deprecated calls went unnoticed "
                             f"(the runner {note})")
    return Outcome(False, f"the suite failed on the deprecated calls: {warned[0] if warned else last_line(done.stderr)}")


RISK = register(
    Risk(
        id="PSB-DEPRECATION-IGNORED",
        title="Deprecation warnings ignored by the tests",
        summary="Deprecated calls pass the tests until the release that removes them.",
        cwe=477,
        bandit=(),
        no_static_rule="the difference is one environment variable of the test run "
                       "(PYTHONWARNINGS), which no rule can know is a test run.",
        modules=("warnings", "unittest"),
        page="culture/users",
        insecure=run_tests_insecure,
        secure=run_tests_secure,
        attack=attack,
    )
)
