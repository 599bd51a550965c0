"""Find a requirement's release on the one index pip would use, and what other indexes say.

The project page comes from the configured index only. Each extra index pip would also use
is asked one question, whether it serves the same name, and its files are never mixed in:
a name on both is a shadowed name (pip would take the highest version from either), a name
only on an extra index is reported as such, and its release is then read from that index
alone. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests
from packaging.requirements import Requirement
from packaging.version import Version

from pysecbook.checker.index.config import IndexConfig
from pysecbook.checker.index.facts import IndexFacts
from pysecbook.checker.index.release import IndexFile, choose_files, choose_version, index_files
from pysecbook.checker.index.simple import IndexUnavailable, NotOnIndex, Settings, get_project_page

__all__ = ["Found", "find_release"]


@dataclass(frozen=True)
class Found:
    """The release to check: the facts about it and the files to fetch."""

    facts: IndexFacts
    files: tuple[IndexFile, ...]


def find_release(req: Requirement, config: IndexConfig, *, http: requests.Session | None,
                 settings: Settings, cache: Path | None, offline: bool = False,
                 dist: str | None = None) -> Found:
    """The release of ``req`` pip would install from ``config``'s index, and its files to check.

    Raises :class:`IndexUnavailable` (the index failed, or no index has the name) or
    :class:`~pysecbook.checker.index.release.NoRelease`.
    """
    if config.no_index:
        raise IndexUnavailable("pip is configured with no-index: there is no index to check against")
    extras = list(dict.fromkeys(u.rstrip("/") + "/" for u in config.extra_index_urls))
    index_url, only_extra = config.index_url, False
    try:
        page = get_project_page(http, index_url, req.name, settings, cache=cache, offline=offline)
    except NotOnIndex:
        page = None
        for url in extras:
            try:
                page = get_project_page(http, url, req.name, settings, cache=cache, offline=offline)
            except IndexUnavailable:
                continue
            index_url, only_extra = url, True
            break
        if page is None:
            where = " or on any extra index" if extras else ""
            raise NotOnIndex(f"no project of that name on {config.index_url}{where}") from None
    also_on, unasked = [], []
    for url in extras:
        if url == index_url:
            continue
        try:
            get_project_page(http, url, req.name, settings, cache=cache, offline=offline)
        except NotOnIndex:
            continue
        except IndexUnavailable as exc:
            unasked.append(f"{url}: {exc}")
            continue
        also_on.append(url)
    files = index_files(page, req.name)
    version = choose_version(files, req)
    release = tuple(f for f in files if f.version == version and f.kind in ("sdist", "wheel"))
    chosen = tuple(choose_files(files, version, dist))
    times = [f.upload_time for f in files if f.upload_time]
    versions = page.versions or sorted({f.version for f in files if f.version}, key=Version)
    facts = IndexFacts(
        index_url=index_url, index_origin=config.origin if not only_extra else
        next((s.where for s in config.extra if s.value.rstrip("/") + "/" == index_url), "extra index"),
        index_is_default=config.is_default and not only_extra, project=req.name,
        version=version, release_files=release, versions=tuple(versions),
        first_upload=min(times) if times else None, last_upload=max(times) if times else None,
        extra_sources=config.extra, also_on=tuple(also_on), only_on_extra=only_extra,
        unasked=tuple(unasked), checked=tuple(f.filename for f in chosen), from_cache=offline)
    return Found(facts, chosen)

