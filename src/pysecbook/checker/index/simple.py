"""The Simple Repository API, read as JSON (PEP 691) with HTML (PEP 503) as the fallback.

:mod:`pypi_simple` parses the answers; this module owns the transport, because an index is
a stranger too: every request has a connect and a read timeout and an overall deadline, and
every answer is read in chunks up to a size limit. A project page is cached (by index and
project) so that ``--offline`` can work from what an earlier run saw. Every failure is an
:class:`IndexUnavailable` with one line saying what happened, never a pass.
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from packaging.utils import canonicalize_name
from pypi_simple import ACCEPT_JSON_PREFERRED, ProjectPage

__all__ = ["IndexUnavailable", "NotOnIndex", "Settings", "get_json", "get_project_page",
           "open_stream", "session"]

_CHUNK = 64 * 1024


class IndexUnavailable(Exception):
    """The index could not be asked, or its answer could not be used (one line)."""


class NotOnIndex(IndexUnavailable):
    """The index answered, and it has no project of that name (HTTP 404)."""


@dataclass(frozen=True)
class Settings:
    """Limits of every exchange with an index (tests shrink them)."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Most seconds one page or one file may take, however slowly the bytes drip in.
    deadline: float = 600.0
    #: Largest project page or provenance document read, in bytes.
    max_page: int = 64 * 2**20
    #: Largest distribution file downloaded, in bytes.
    max_file: int = 256 * 2**20


def session() -> requests.Session:
    """A :mod:`requests` session that names pysecbook in its User-Agent."""
    from pysecbook import __version__

    s = requests.Session()
    s.headers["User-Agent"] = f"pysecbook-check/{__version__} (+pypi-simple)"
    return s


def open_stream(http: requests.Session, url: str, settings: Settings,
                accept: str | None = None) -> requests.Response:
    """GET ``url`` as a stream (http and https only); HTTP errors are :class:`IndexUnavailable`."""
    if not url.startswith(("https://", "http://")):
        raise IndexUnavailable(f"refused to fetch {url[:200]!r}: only http and https URLs are used")
    headers = {"Accept": accept} if accept else {}
    try:
        r = http.get(url, headers=headers, stream=True,
                     timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.Timeout:
        raise IndexUnavailable(f"{url}: no answer within the timeout") from None
    except requests.RequestException as exc:
        raise IndexUnavailable(f"{url}: cannot connect ({type(exc).__name__})") from None
    if r.status_code == 404:
        r.close()
        raise NotOnIndex(f"{url}: not found (HTTP 404)")
    if r.status_code >= 400:
        r.close()
        raise IndexUnavailable(f"{url}: the index answered HTTP {r.status_code}")
    return r


def chunks(r: requests.Response, url: str, limit: int, settings: Settings) -> Iterator[bytes]:
    """The body of ``r`` in chunks; stops with :class:`IndexUnavailable` past ``limit`` bytes,
    past the deadline, or when the connection breaks."""
    start = time.monotonic()
    size = 0
    try:
        declared = int(r.headers.get("Content-Length", "0") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise IndexUnavailable(f"{url}: {declared} bytes announced, over the limit of {limit}")
    try:
        for chunk in r.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise IndexUnavailable(f"{url}: more than the limit of {limit} bytes")
            if time.monotonic() - start > settings.deadline:
                raise IndexUnavailable(f"{url}: not complete after {settings.deadline:g} s")
            yield chunk
    except requests.RequestException as exc:
        raise IndexUnavailable(f"{url}: the transfer broke off ({type(exc).__name__})") from None
    finally:
        r.close()


def _read(r: requests.Response, url: str, settings: Settings) -> bytes:
    return b"".join(chunks(r, url, settings.max_page, settings))


def page_url(index_url: str, project: str) -> str:
    """The PEP 503 address of ``project`` on ``index_url`` (the name normalised)."""
    return f"{index_url.rstrip('/')}/{canonicalize_name(project)}/"


def _cache_path(cache: Path, index_url: str, project: str) -> Path:
    key = hashlib.sha256(index_url.rstrip("/").encode()).hexdigest()[:16]
    return cache / "pages" / key / f"{canonicalize_name(project)}.json"


def _parse(project: str, body: bytes, content_type: str, url: str) -> ProjectPage:
    try:
        with warnings.catch_warnings():
            # A newer minor API version is fine to read; pypi-simple warns about it.
            warnings.simplefilter("ignore")
            if "json" in content_type:
                return ProjectPage.from_json_data(json.loads(body), url)
            return ProjectPage.from_html(project, body, url)
    except (ValueError, TypeError, RecursionError) as exc:
        raise IndexUnavailable(f"{url}: the answer is not a readable Simple API page "
                               f"({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - pypi-simple's own errors (unsupported version...)
        raise IndexUnavailable(f"{url}: {str(exc).splitlines()[0][:200]}") from None


def get_project_page(http: requests.Session | None, index_url: str, project: str,
                     settings: Settings, *, cache: Path | None = None,
                     offline: bool = False) -> ProjectPage:
    """``project``'s page on ``index_url``: JSON preferred, HTML accepted.

    With ``offline``, only the copy an earlier run left in ``cache``; without it, the page
    is fetched and that copy refreshed.
    """
    url = page_url(index_url, project)
    stored = _cache_path(cache, index_url, project) if cache is not None else None
    if offline:
        if stored is None or not stored.is_file():
            raise IndexUnavailable(f"{url}: not in the cache, and --offline forbids asking the index")
        saved = json.loads(stored.read_text(encoding="utf-8"))
        return _parse(project, saved["body"].encode("utf-8"), saved["content_type"],
                      saved.get("url", url))
    if http is None:
        raise IndexUnavailable(f"{url}: no HTTP session")
    r = open_stream(http, url, settings, accept=ACCEPT_JSON_PREFERRED)
    content_type = r.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
    final = r.url or url
    body = _read(r, url, settings)
    page = _parse(project, body, content_type, final)
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        tmp = stored.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"url": final, "content_type": content_type,
                                   "body": body.decode("utf-8", "replace")}), encoding="utf-8")
        tmp.replace(stored)
    return page


def get_json(http: requests.Session, url: str, settings: Settings) -> Any:
    """A JSON document (a PEP 740 provenance file), size-limited like a page."""
    body = _read(open_stream(http, url, settings, accept="application/json"), url, settings)
    try:
        return json.loads(body)
    except ValueError:
        raise IndexUnavailable(f"{url}: not JSON") from None
