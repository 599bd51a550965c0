"""What the index told about a release: the facts a check can use where an archive cannot.

:class:`IndexFacts` is data only. ``check_target(..., index_facts=...)`` hands it to every
check as ``ctx.index`` (None for a local target), and
:mod:`pysecbook.checker.checklist.index_evidence` turns it into verdicts. Every string in it
came from the index and is hostile until a report escapes it. Book page:
``book/checklist/before-install``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pysecbook.checker.declarations import IndexOption
from pysecbook.checker.index.provenance import ProvenanceClaim
from pysecbook.checker.index.release import IndexFile

__all__ = ["IndexFacts"]


@dataclass(frozen=True)
class IndexFacts:
    """The index's view of one release of one project."""

    index_url: str
    #: Where that index was configured ("--index-url", "environment variable PIP_INDEX_URL"...).
    index_origin: str
    index_is_default: bool
    project: str
    version: str
    #: Every file of the release (PEP 700 upload times, PEP 592 yanks, Requires-Python).
    release_files: tuple[IndexFile, ...]
    #: Every version the index lists, oldest first.
    versions: tuple[str, ...] = ()
    #: Earliest and latest upload time of any file of the project (its age, its activity).
    first_upload: datetime | None = None
    last_upload: datetime | None = None
    #: Every other source pip would take packages from here (never merged into the lookup).
    extra_sources: tuple[IndexOption, ...] = ()
    #: Other indexes that also serve a project of this name (a shadowed name).
    also_on: tuple[str, ...] = ()
    #: The project is not on the default index: it was found only on ``index_url``, an extra.
    only_on_extra: bool = False
    #: Extra indexes that could not be asked whether they serve the name, and why.
    unasked: tuple[str, ...] = ()
    provenance: tuple[ProvenanceClaim, ...] = ()
    #: Files of the release checked (the rest were not fetched, see ``--dist``).
    checked: tuple[str, ...] = ()
    #: The page came from the cache (``--offline``), not from the index today.
    from_cache: bool = False

    @property
    def release_upload(self) -> datetime | None:
        times = [f.upload_time for f in self.release_files if f.upload_time]
        return min(times) if times else None

    @property
    def yanked(self) -> bool:
        return bool(self.release_files) and all(f.yanked for f in self.release_files)

    @property
    def yanked_reason(self) -> str | None:
        reasons = [f.yanked_reason for f in self.release_files if f.yanked and f.yanked_reason]
        return reasons[0] if reasons else None

    @property
    def requires_python(self) -> str | None:
        values = sorted({f.requires_python for f in self.release_files if f.requires_python})
        return " | ".join(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        def when(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "index_url": self.index_url, "index_origin": self.index_origin,
            "project": self.project, "version": self.version,
            "release_upload": when(self.release_upload), "first_upload": when(self.first_upload),
            "last_upload": when(self.last_upload), "yanked": self.yanked,
            "yanked_reason": self.yanked_reason, "requires_python": self.requires_python,
            "files": [{"filename": f.filename, "sha256": f.sha256, "size": f.size,
                       "upload_time": when(f.upload_time), "yanked": f.yanked,
                       "checked": f.filename in self.checked} for f in self.release_files],
            "extra_sources": [{"option": s.option, "value": s.value, "origin": s.where}
                              for s in self.extra_sources],
            "also_on": list(self.also_on), "only_on_extra": self.only_on_extra,
            "unasked": list(self.unasked),
            "provenance": [{"filename": p.filename, "publisher": p.publisher,
                            "verified": p.verified, "detail": p.detail} for p in self.provenance],
            "from_cache": self.from_cache,
        }
