"""What a target declares, as data: its dependencies, its package index options, its project.

Book page: ``book/checklist/must``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["VCS_PREFIXES", "Dependency", "IndexOption", "ProjectInfo"]

VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


@dataclass(frozen=True)
class IndexOption:
    """One package index setting and where it was set.

    Set in a file being checked (a requirements file, ``pyproject.toml``: ``origin`` is the
    file, ``line`` the line) or on this machine (a pip configuration file, an environment
    variable, the command line: ``origin`` says which, ``machine`` is true).
    """

    option: str  # "index-url", "extra-index-url", "find-links", "trusted-host", "no-index"
    value: str
    origin: str
    line: int | None = None
    #: From this machine's pip configuration or environment, not from a file being checked.
    machine: bool = False

    @property
    def where(self) -> str:
        """``origin:line``, or the origin alone when there is no line."""
        return self.origin if self.line is None else f"{self.origin}:{self.line}"


@dataclass(frozen=True)
class Dependency:
    """One declared dependency and where it was declared."""

    text: str  # as written
    origin: str  # file it comes from
    line: int | None
    locked: bool  # from a requirements file (an application's pins) rather than metadata
    name: str | None = None
    url: str | None = None
    pinned: bool = False
    hashed: bool = False
    error: str | None = None
    #: A local directory or file (``-e .``, ``./vendor/pkg``): the path as written.
    local: str | None = None
    #: Declared in a file for the maintainers' own work (``requirements-dev.txt``,
    #: ``docs/requirements.txt``): not installed when the program is installed or run.
    development: bool = False

    @property
    def vcs(self) -> bool:
        return bool(self.url and self.url.startswith(VCS_PREFIXES))


@dataclass
class ProjectInfo:
    """The target's declarations, gathered from whatever files it has."""

    name: str | None = None
    version: str | None = None
    #: The one-line summary (``Summary``, ``[project] description``, ``setup(description=)``).
    summary: str | None = None
    #: The long description (the metadata's body, when it has one).
    description: str | None = None
    license_expression: str | None = None
    license_text: str | None = None  # the free-text License field or license = {text = ...}
    license_classifiers: list[str] = field(default_factory=list)
    license_files: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    index_options: list[IndexOption] = field(default_factory=list)
    pyproject: dict[str, Any] = field(default_factory=dict)
    metadata_file: str | None = None
    direct_url: dict[str, Any] | None = None
    #: Declaration files that could not be read the way an installer reads them: path -> why.
    unreadable: dict[str, str] = field(default_factory=dict)
