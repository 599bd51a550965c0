"""The loopback index the tests of ``pysecbook check NAME`` and ``-r LOCK`` run against.

Everything is created here: the distributions (built by
:func:`pysecbook.teaching.local_index.demo_indexes`, their upload times counted back from the
suite's one day), the HTTP server on 127.0.0.1, the cache directory, and pip's settings
(none: an empty environment and no configuration file), so the machine's own pip
configuration and network never enter a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path

import pytest
from hermetic import TODAY

from pysecbook.checker.checklist import RuntimeEnvironment
from pysecbook.checker.index import IndexConfig, Options, Settings, isolated, pip_index_config
from pysecbook.lab.offline import not_audited
from pysecbook.teaching.local_index import ServedIndex, demo_indexes, serve

#: The machine every check sees: a virtual environment, not a container.
VENV = RuntimeEnvironment((3, 12), "/srv/venv", None)
#: The moment the demo index counts its upload times back from: noon on the suite's day.
NOW = datetime.combine(TODAY, time(12), tzinfo=timezone.utc)
#: Short limits: the "slow" index holds every request until the server stops, so the read
#: timeout always fires first (an event, not a race between two sleeps).
FAST = Settings(connect_timeout=2.0, read_timeout=0.5, deadline=10.0)
#: Limits for every other test: loopback answers come in milliseconds, but a busy machine
#: (a CI runner, or two test workers on two cores) can stall one for a second or more.
PATIENT = Settings(connect_timeout=10.0, read_timeout=10.0, deadline=120.0)


@dataclass
class Demo:
    """The running demo indexes: their URLs, their contents, and where to put the cache."""

    urls: dict[str, str]
    indexes: dict[str, ServedIndex]
    tmp: Path

    def config(self, index: str = "main", *, extra: str | None = None) -> IndexConfig:
        if extra is None:
            return isolated(self.urls[index])
        return pip_index_config(self.urls[index], environ={"PIP_EXTRA_INDEX_URL": self.urls[extra]},
                                config_files=())

    def options(self, cache: Path, **kwargs) -> Options:  # type: ignore[no-untyped-def]
        base = {"settings": PATIENT, "cache": cache, "environment": VENV, "today": TODAY,
                "auditor": not_audited}
        return Options(**{**base, **kwargs})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("index")
    indexes = demo_indexes(tmp / "dists", NOW)
    with serve(indexes, lifetime=900) as urls:
        yield Demo(urls, indexes, tmp)
