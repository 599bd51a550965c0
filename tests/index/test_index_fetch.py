"""Fetching from the loopback index: verified before it is read, cached by hash, limited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from index_helpers import FAST, PATIENT, demo  # noqa: F401 - the module-scoped fixture

from pysecbook.checker.index.fetch import FetchError, HashMismatch, fetch, safe_filename
from pysecbook.checker.index.release import index_files
from pysecbook.checker.index.simple import (
    IndexUnavailable, NotOnIndex, Settings, get_project_page, session,
)


def _file(demo, project: str, index: str = "main"):  # type: ignore[no-untyped-def]
    page = get_project_page(session(), demo.urls[index], project, PATIENT)
    return index_files(page, project)


def test_a_file_is_verified_cached_by_hash_and_reused_offline(demo, tmp_path: Path) -> None:
    f = next(x for x in _file(demo, "tidy-notes") if x.filename.endswith("1.2.0.tar.gz"))
    path = fetch(session(), f.url, f.filename, f.sha256, cache=tmp_path, settings=PATIENT)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256
    assert path == tmp_path / "sha256" / f.sha256[:2] / f.sha256 / f.filename
    assert fetch(None, f.url, f.filename, f.sha256, cache=tmp_path, settings=PATIENT, offline=True) == path
    path.write_bytes(b"tampered")  # a damaged cache entry is never used
    with pytest.raises(FetchError, match="not in the cache"):
        fetch(None, f.url, f.filename, f.sha256, cache=tmp_path, settings=PATIENT, offline=True)
    assert not path.exists()


def test_bytes_that_do_not_match_the_index_are_discarded(demo, tmp_path: Path) -> None:
    [f] = _file(demo, "fast-hash")
    with pytest.raises(HashMismatch, match="the index promised"):
        fetch(session(), f.url, f.filename, f.sha256, cache=tmp_path, settings=PATIENT)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_file_over_the_size_limit_is_refused(demo, tmp_path: Path) -> None:
    f = next(x for x in _file(demo, "tidy-notes") if x.filename.endswith(".whl"))
    small = Settings(max_file=100, read_timeout=2)
    with pytest.raises(FetchError, match="over the limit of 100$"):
        fetch(session(), f.url, f.filename, f.sha256, cache=tmp_path, settings=small)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_names_and_urls_from_the_index_are_checked(tmp_path: Path) -> None:
    for hostile in ("../evil.tar.gz", "a/b.whl", "x\x1b[2J.whl", ".."):
        with pytest.raises(FetchError, match="refused the file name"):
            safe_filename(hostile)
    with pytest.raises(IndexUnavailable, match="only http and https"):
        fetch(session(), "file:///etc/passwd", "passwd.tar.gz", "0" * 64, cache=tmp_path, settings=PATIENT)


def test_pep_503_html_is_read_when_json_is_not_offered(demo) -> None:
    from pysecbook.teaching.local_index import ServedIndex, serve

    html_only = ServedIndex(demo.indexes["main"].projects, mode="html")
    with serve({"html": html_only}) as urls:
        files = _file(type(demo)(urls, {"html": html_only}, demo.tmp), "old-parser", "html")
    json_files = _file(demo, "old-parser")
    assert [(x.filename, x.sha256, x.yanked, x.yanked_reason) for x in files] == [
        (x.filename, x.sha256, x.yanked, x.yanked_reason) for x in json_files]
    assert files[0].yanked_reason == "2.0.0 reads dates in the wrong time zone; use 2.0.1"
    assert files[0].upload_time is None and json_files[0].upload_time is not None  # PEP 700: JSON only


def test_index_failures_are_errors_with_their_reason(demo) -> None:
    with pytest.raises(NotOnIndex, match="HTTP 404"):
        get_project_page(session(), demo.urls["main"], "no-such-project", PATIENT)
    with pytest.raises(IndexUnavailable, match="answered HTTP 500"):
        get_project_page(session(), demo.urls["broken"], "tidy-notes", PATIENT)
    with pytest.raises(IndexUnavailable, match="no answer within the timeout"):
        get_project_page(session(), demo.urls["slow"], "tidy-notes", FAST)


def test_a_refused_connection_is_an_error(tmp_path: Path) -> None:
    from hermetic import closed_port

    with closed_port() as port, pytest.raises(IndexUnavailable, match="cannot connect"):
        get_project_page(session(), f"http://127.0.0.1:{port}/simple/", "tidy-notes", PATIENT)
