"""Shared fixtures: paths of the repository and the pages of the book; suite-wide options.

- ``--clock-ahead YEARS`` moves the real clock that many years ahead for the whole run
  (time-machine). Every date a test depends on is injected (``hermetic.TODAY``), so the suite
  must pass unchanged: a test that fails only with the clock moved has a hidden dependency on
  the day it runs. ``make test`` runs the checker's and the checklist's unit tests this way.
- ``--run-network`` runs the tests marked ``network``, which need a real package index or
  vulnerability service. They are never part of ``make test``; without the option they skip
  and say why.
- Tests run in a random order (pytest-randomly); the seed is printed in the header and, for
  ``-q`` runs, at the end: ``-p randomly --randomly-seed=N`` runs that order again,
  ``-p no:randomly`` runs in file order.
- Hypothesis runs the same examples on every machine, every day and in every order: derandomized,
  with no example database left behind, no deadline (two shared cores time nothing), and a
  small budget per property so that ``make test`` stays quick. ``HYPOTHESIS_PROFILE=explore``
  searches randomly with ten times the budget, for a developer hunting new bypasses.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import os

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("pysecbook", max_examples=60, derandomize=True, database=None,
                          deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=600, derandomize=False, database=None,
                          deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pysecbook"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-ahead", type=float, default=0.0, metavar="YEARS",
                     help="run with the real clock moved YEARS ahead (hidden date dependencies fail)")
    parser.addoption("--run-network", action="store_true", default=False,
                     help="also run the tests marked 'network' (they reach real services)")


def pytest_configure(config: pytest.Config) -> None:
    years = config.getoption("--clock-ahead")
    if years:
        import time_machine

        ahead = datetime.now(timezone.utc) + timedelta(days=365.25 * years)
        traveller = time_machine.travel(ahead, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    """The random order's seed, at the end where a failure is read (``-q`` hides the header)."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(f"random order: run it again with -p randomly "
                                    f"--randomly-seed={seed}")


def pytest_report_header(config: pytest.Config) -> str | None:
    years = config.getoption("--clock-ahead")
    return f"clock moved {years:g} year(s) ahead: {datetime.now(timezone.utc):%Y-%m-%d}" if years else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs a real network service: run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


def toc_files() -> list[str]:
    """Every page in _toc.yml, as a path under the repository root without suffix."""
    from site_build import toc_pages

    return toc_pages()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str):  # type: ignore[no-untyped-def]
    """The whole book, built strictly from this checkout into a fresh temporary directory.

    Built once per test run: under pytest-xdist the workers share one build, the first to
    arrive builds while the others wait on a lock.
    """
    import json

    from filelock import FileLock
    from site_build import Site, build

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    out, result = shared / "site", shared / "site.json"
    with FileLock(str(shared / "site.lock")):
        if not result.exists():
            out.mkdir(exist_ok=True)
            done = build(ROOT, out)
            result.write_text(json.dumps({"returncode": done.returncode,
                                          "log": done.stdout + done.stderr}))
    data = json.loads(result.read_text())
    return Site(data["returncode"], data["log"], out / "_build" / "html")
