"""Deprecation warnings nobody sees: a test suite that passes on borrowed time.

By default Python shows a ``DeprecationWarning`` only when it is raised by code in
``__main__``, and never shows a ``PendingDeprecationWarning``; test runners print them in a
summary that a green CI job never makes anyone read. The deprecated call keeps working until
the release that removes it, and then the upgrade (often a security upgrade) breaks.

Setting ``PYTHONWARNINGS=error::DeprecationWarning,error::PendingDeprecationWarning`` turns
each such call into an exception, and catches most of them. Not all: a deprecation announced
as ``FutureWarning`` or as a library's own warning class is another category; an exception
raised in a worker thread, or at import time inside ``try``/``except Exception``, is swallowed
before any test sees it; and the project's own ``warnings.simplefilter("ignore")`` outranks
the variable. The secure runner records every warning where it is shown, in any thread, and
fails the run on any warning, any exception a thread or a finaliser could not report, and
any change the project made to the warning filters.
Book page: ``book/culture/users``.
"""

from __future__ import annotations

import re
import sys
import threading
import unittest
import warnings
from pathlib import Path
from typing import Any

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The value of ``PYTHONWARNINGS`` the first fix sets.
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


def run_tests_first_try(project: Path) -> Completed:
    """Run the test suite with deprecation warnings turned into errors, as this book first
    did: ``PYTHONWARNINGS=error::DeprecationWarning,error::PendingDeprecationWarning``.

    Kept to show the adapted attacks beating it: an error is an exception, and an exception
    can be caught, or raised where no test is looking.
    """
    return run_python(None, cwd=project, flags=["-m", "unittest"], args=["-v"],
                      env={"PYTHONWARNINGS": DEPRECATIONS_AS_ERRORS})


#: What the secure runner's child runs: :func:`run_suite_recording_warnings`.
_RECORDING_RUNNER = ("from pysecbook.teaching.risks.deprecation_warnings import "
                     "run_suite_recording_warnings as run; run()")


def run_tests_secure(project: Path) -> Completed:
    """Run the test suite so that any warning fails it, wherever it was raised.

    The child starts with ``-W always`` (every warning is shown, every time) and runs
    :func:`run_suite_recording_warnings`, which discovers the ``unittest`` suite, records
    each warning as it is shown (in any thread, inside any ``try``), each exception that a
    thread or a finaliser could not report, and any change the project made to the warning
    filters, and exits 1 if it recorded anything.

    Assumes: the tests exercise the code (a deprecated call no test makes is found by
    nobody); the suite is run this way in CI on every change, and on the newest Python and
    dependencies the project supports, since that is where new deprecations appear; and a
    warning from a dependency that cannot be fixed yet is dealt with in the runner, not
    silenced in the project (this runner fails on every warning and has no list of allowed
    ones: a project that needs one adds it there, by message and module).
    Does not stop: a warning silenced on purpose inside ``with warnings.catch_warnings()``
    (which puts the filters back afterwards), or caught by a test with ``assertWarns``;
    code that replaces ``warnings.showwarning`` itself; a deprecation that is only
    announced in release notes, without a warning; and warnings in child processes the tests
    start, which run with their own settings.
    """
    return run_python(_RECORDING_RUNNER, cwd=project, flags=["-W", "always"])


def run_suite_recording_warnings(argv: list[str] | None = None) -> None:
    """The child side of :func:`run_tests_secure`: run ``python -m unittest`` discovery in the
    current directory, then fail (exit 1) on anything it recorded.

    Warnings are recorded through ``warnings.showwarning``, which is called where a warning
    is shown, before any ``except`` can catch it (the child runs with ``-W always``, so none
    is turned into an exception or shown only once). Unreported exceptions are recorded
    through ``threading.excepthook`` and ``sys.unraisablehook``. The warning filters are
    compared before and after the run. Threads the tests started are joined first.
    """
    recorded: list[str] = []

    def show(message: Any, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        recorded.append(f"{Path(filename).name}:{lineno}: {category.__name__}: {message}")

    def thread_failed(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread else "?"
        recorded.append(f"exception in thread {name}: {args.exc_type.__name__}: {args.exc_value}")

    def unraisable(info: Any) -> None:
        recorded.append(f"unraisable exception: {info.exc_type.__name__}: {info.exc_value}")

    warnings.showwarning = show
    threading.excepthook = thread_failed
    sys.unraisablehook = unraisable
    filters_before = list(warnings.filters)
    program = unittest.main(module=None, argv=["python -m unittest", *(argv or ["-v"])],
                            exit=False)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(timeout=10)
    if warnings.filters != filters_before:
        ours = filters_before[0] if filters_before else None
        now = list(warnings.filters)
        ahead = now[:now.index(ours)] if ours in now else now
        shown = ", ".join(f"{action}::{category.__name__}" for action, _, category, *_ in ahead)
        recorded.append("the project changed the warning filters; now ahead of the runner's: "
                        + (shown or "none, the runner's own filter was removed"))
    for item in recorded:
        print(f"recorded: {item}", file=sys.stderr)
    passed = program.result.wasSuccessful() and not recorded
    print("OK" if passed else f"FAILED ({len(recorded)} warning(s) or unreported "
          f"exception(s) recorded; tests {'passed' if program.result.wasSuccessful() else 'failed'})",
          file=sys.stderr)
    sys.exit(0 if passed else 1)


_WARNING = re.compile(r"\b([A-Za-z]*Warning: .*)")


def warning_lines(done: Completed) -> list[str]:
    """Each distinct warning message a run printed (as a warning, as an error, or as
    recorded by the secure runner)."""
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


#: Projects whose only deprecated calls are the ones an adapted attack is about. Each test
#: checks what the call returns, so a passing suite means the call ran.
PROJECT_OTHER_CATEGORIES: dict[str, str] = {
    "charts.py": '''\
import warnings


class VisibleDeprecationWarning(UserWarning):
    """A library's own deprecation category, as some libraries define one."""


def plot(values):
    warnings.warn("plot() is deprecated, use draw()", VisibleDeprecationWarning, stacklevel=2)
    warnings.warn("the default of scale= will change in 3.0", FutureWarning, stacklevel=2)
    return len(values)
''',
    "test_charts.py": '''\
import unittest

import charts


class ChartTests(unittest.TestCase):
    def test_plot(self):
        self.assertEqual(charts.plot([1, 2, 3]), 3)
''',
}

PROJECT_THREADS: dict[str, str] = {
    "store.py": '''\
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor


def _audit(record):
    warnings.warn("audit.write() is deprecated", DeprecationWarning, stacklevel=2)


def save(record):
    """Save, and write the audit entry in the background (fire and forget)."""
    threading.Thread(target=_audit, args=(record,)).start()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_audit, record)
    return "saved"
''',
    "test_store.py": '''\
import unittest

import store


class StoreTests(unittest.TestCase):
    def test_save(self):
        self.assertEqual(store.save({"id": 1}), "saved")
''',
}

PROJECT_IMPORT_TIME: dict[str, str] = {
    "speedups.py": '''\
import warnings

warnings.warn("the speedups module is deprecated", DeprecationWarning, stacklevel=2)
FAST = True
''',
    "app.py": '''\
try:
    import speedups  # optional: fall back to the slow path if it cannot be used
except Exception:
    speedups = None


def mode():
    return "fast" if speedups else "slow"
''',
    "test_app.py": '''\
import unittest

import app


class AppTests(unittest.TestCase):
    def test_mode(self):
        self.assertIn(app.mode(), ("fast", "slow"))
''',
}

PROJECT_SILENCED: dict[str, str] = {
    "legacy.py": '''\
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # "our dependencies are too noisy"


def total(values):
    warnings.warn("total() is deprecated, use sum()", DeprecationWarning, stacklevel=2)
    return sum(values)
''',
    "test_legacy.py": '''\
import unittest

import legacy


class LegacyTests(unittest.TestCase):
    def test_total(self):
        self.assertEqual(legacy.total([1, 2]), 3)
''',
}


def _run_project(run_tests: object, files: dict[str, str], what: str) -> Outcome:
    with private_tmpdir() as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        done = run_tests(tmp)  # type: ignore[operator]
    if done.ok:
        return Outcome(True, f"the suite passed; {what} went unnoticed")
    lines = [line for line in done.stderr.splitlines() if line.startswith("recorded: ")]
    recorded = lines or warning_lines(done) or [last_line(done.stderr)]
    return Outcome(False, f"the suite failed: {recorded[0]}")


def attack_other_categories(run_tests: object) -> Outcome:
    """A library announces its deprecations as ``FutureWarning`` and as its own
    ``UserWarning`` subclass, as some do: categories the filter does not name."""
    return _run_project(run_tests, PROJECT_OTHER_CATEGORIES,
                        "a FutureWarning and a library's own deprecation warning")


def attack_in_a_thread(run_tests: object) -> Outcome:
    """The deprecated call runs in a background thread and in a pool whose result nobody
    reads: as an error it ends that thread, not the test."""
    return _run_project(run_tests, PROJECT_THREADS,
                        "the deprecated call in a thread and in a pool")


def attack_at_import_time(run_tests: object) -> Outcome:
    """An optional module warns when it is imported, inside ``try``/``except Exception``:
    as an error, the warning is taken for a failed import and the slow path is used."""
    return _run_project(run_tests, PROJECT_IMPORT_TIME,
                        "the deprecated module imported inside try/except")


def attack_project_filter(run_tests: object) -> Outcome:
    """The project silences deprecation warnings itself at import
    (``warnings.simplefilter("ignore", DeprecationWarning)``), which outranks the runner's
    filters from ``PYTHONWARNINGS`` or ``-W``."""
    return _run_project(run_tests, PROJECT_SILENCED,
                        "the deprecated call behind the project's own filter")


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
        adapted=(
            AdaptedAttack("a deprecation announced as FutureWarning, or as a library's own "
                          "warning class", "variant", attack_other_categories,
                          beats=run_tests_first_try),
            AdaptedAttack("the deprecated call in a background thread and in a pool",
                          "links-races", attack_in_a_thread, beats=run_tests_first_try),
            AdaptedAttack("a module that warns at import, imported inside try/except",
                          "context", attack_at_import_time, beats=run_tests_first_try),
            AdaptedAttack("the project's own simplefilter('ignore') at import", "variant",
                          attack_project_filter, beats=run_tests_first_try),
        ),
    )
)
