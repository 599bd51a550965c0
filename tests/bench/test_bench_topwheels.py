"""The bench fetches its pinned wheels through the checker's own index client.

Against the loopback demo index: the newest wheel is picked from the index's answer, the file
is fetched from the address the index gives and kept only when it has the pinned SHA-256, and
a cached copy is used again only while it still has that digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hermetic import TODAY, on_sys_path

from conftest import ROOT
from pysecbook.teaching.local_index import demo_indexes, serve

with on_sys_path(ROOT / "bench"):
    from pysecbench import topwheels

WHEEL = "tidy_notes-1.2.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=timezone.utc)
    indexes = demo_indexes(tmp_path_factory.mktemp("dists"), now)
    with serve({"main": indexes["main"]}, lifetime=900) as urls:
        yield urls["main"]


def test_the_bench_reads_the_index_with_the_checkers_client() -> None:
    source = (ROOT / "bench" / "pysecbench" / "topwheels.py").read_text(encoding="utf-8")
    assert "pysecbook.checker.index" in source
    assert "urllib" not in source and "hashlib" not in source  # no second client, no second check


def test_the_newest_wheel_is_picked_from_the_index(index: str) -> None:
    entry = topwheels.newest_wheel("tidy-notes", index)
    assert entry is not None
    assert (entry["version"], entry["filename"]) == ("1.2.0", WHEEL)
    assert len(entry["sha256"]) == 64
    assert topwheels.newest_wheel("snoopy", index) is None  # an sdist only


def test_a_pinned_wheel_is_fetched_verified_and_kept(index: str, tmp_path: Path) -> None:
    entry = topwheels.newest_wheel("tidy-notes", index)
    assert entry is not None
    path = topwheels.fetch(entry, tmp_path, index)
    assert path == tmp_path / WHEEL
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    assert topwheels.fetch(entry, tmp_path, "http://127.0.0.1:9/not-asked/") == path  # cached


def test_a_file_that_is_not_the_pinned_one_is_refused(index: str, tmp_path: Path) -> None:
    entry = topwheels.newest_wheel("tidy-notes", index)
    assert entry is not None
    wrong = {**entry, "sha256": "0" * 64}
    with pytest.raises(OSError, match="SHA-256"):
        topwheels.fetch(wrong, tmp_path, index)
    assert not (tmp_path / WHEEL).exists()
    assert not [p for p in tmp_path.rglob("*.whl")]
    (tmp_path / WHEEL).write_bytes(b"tampered")  # a damaged cached copy is fetched again
    assert topwheels.fetch(entry, tmp_path, index).read_bytes() != b"tampered"


def test_an_index_that_cannot_be_asked_is_an_os_error(tmp_path: Path) -> None:
    from hermetic import closed_port

    with closed_port() as port, pytest.raises(OSError, match="cannot connect"):
        topwheels.project_files("tidy-notes", f"http://127.0.0.1:{port}/simple/")
