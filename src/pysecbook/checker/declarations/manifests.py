"""Every manifest of one target, each parsed once, and kept with the target for the run.

:func:`declarations` gives the one :class:`Declarations` of a
:class:`~pysecbook.checker.scan.model.Target`: its ``pyproject.toml`` (as TOML data),
``setup.cfg``, requirements files (read as pip reads them), core metadata (``PKG-INFO``,
``METADATA``) and an installed distribution's ``dist-info`` files. The settings
(``[tool.pysecbook]``), the scan's plan (the build backend), its metadata heuristics and the
checks all read them from here. The literal arguments of ``setup()`` are known only once the
scan's workers have read ``setup.py``: :meth:`Declarations.project` takes them and assembles
the :class:`~.model.ProjectInfo` (once for each set of arguments).

Nothing is ever run: TOML, INI and e-mail headers are parsed as data.
"""

from __future__ import annotations

import configparser
import email.message
import email.parser
import json
import re
import threading
import tomllib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pysecbook.checker.declarations import project as assemble
from pysecbook.checker.declarations.model import ProjectInfo
from pysecbook.checker.declarations.project import LICENSE_FILE
from pysecbook.checker.declarations.requirements import Reading, RequirementsReader, TargetFiles

__all__ = ["Declarations", "REQUIREMENTS_FILE", "declarations", "project_info"]

#: The requirements files a project keeps at its top or one folder down.
REQUIREMENTS_FILE = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|[^/]*requirements\.txt|constraints\.txt)$")


@dataclass(frozen=True)
class Metadata:
    """One core metadata file, parsed."""

    path: str
    message: email.message.Message
    text: str


class Declarations:
    """The manifests of one target, each parsed on first use and then kept.

    Build it with :func:`declarations`, which keeps one per target.
    """

    def __init__(self, target: Any) -> None:
        try:
            self._target: Callable[[], Any] = weakref.ref(target)
        except TypeError:  # not weakly referable: held, and then not kept by declarations()
            self._target = lambda: target
        self._projects: dict[str, ProjectInfo] = {}
        self._lock = threading.Lock()

    @property
    def target(self) -> Any:
        """The target these are the declarations of (it must still be alive)."""
        target = self._target()
        if target is None:  # pragma: no cover - the caller holds the target while reading it
            raise ReferenceError("the target of these declarations is gone")
        return target

    def _text(self, path: str) -> str | None:
        f = self.target.file(path)
        if f is None:
            return None
        try:
            return f.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @cached_property
    def pyproject_text(self) -> str | None:
        """``pyproject.toml`` as text (None: no such file, or not UTF-8)."""
        return self._text("pyproject.toml")

    @cached_property
    def _pyproject(self) -> dict[str, Any] | None:
        if self.pyproject_text is None:
            return None
        try:
            return tomllib.loads(self.pyproject_text)
        except (tomllib.TOMLDecodeError, RecursionError, MemoryError):
            return None

    @property
    def pyproject(self) -> dict[str, Any]:
        """``pyproject.toml`` as data; empty when there is none or it is not UTF-8 TOML."""
        return self._pyproject or {}

    @property
    def pyproject_readable(self) -> bool:
        """Whether the target has a ``pyproject.toml`` that is UTF-8 TOML."""
        return self._pyproject is not None

    @cached_property
    def setup_cfg(self) -> tuple[configparser.ConfigParser, str] | None:
        """``setup.cfg`` parsed, with its text (None: missing or unreadable)."""
        text = self._text("setup.cfg")
        if text is None:
            return None
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return None
        return parser, text

    @cached_property
    def files(self) -> list[tuple[str, Reading | Metadata | str]]:
        """The requirements files, metadata and licence files of the target, in its order:
        (path, what it holds). A file included by another requirements file is read there."""
        reader = RequirementsReader(TargetFiles.of_target(self.target))
        found: list[tuple[str, Reading | Metadata | str]] = []
        for f in self.target.files:
            if REQUIREMENTS_FILE.search(f.path) and f.path.count("/") <= 1:
                found.append((f.path, reader.read(TargetFiles.source(f.path))))
            name = f.path.rsplit("/", 1)[-1]
            depth = f.path.count("/")
            in_dist_info = ".dist-info/" in f.path or ".egg-info/" in f.path
            if LICENSE_FILE.search(f.path) and (depth == 0 or in_dist_info or "/licenses/" in f.path):
                found.append((f.path, f.data[:200_000].decode("utf-8", "replace")))
            if (depth == 0 and name == "PKG-INFO") or (depth == 1 and f.path.endswith(".dist-info/METADATA")):
                text = self._text(f.path)
                if text is not None:
                    found.append((f.path, Metadata(f.path, email.parser.Parser().parsestr(text), text)))
        return found

    @cached_property
    def dist_info(self) -> list[tuple[str, Metadata | dict[str, Any] | str]]:
        """An installed distribution's ``METADATA`` (parsed), ``direct_url.json`` (as data)
        and licence files (as text), by name."""
        found: list[tuple[str, Metadata | dict[str, Any] | str]] = []
        for name, data in sorted(self.target.dist_info.items()):
            base = name.rsplit("/", 1)[-1]
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if base == "METADATA":
                path = f"dist-info/{base}"
                found.append((name, Metadata(path, email.parser.Parser().parsestr(decoded), decoded)))
            elif base == "direct_url.json":
                try:
                    loaded = json.loads(decoded)
                except ValueError:
                    loaded = {"url": "<unreadable direct_url.json>"}
                found.append((name, loaded if isinstance(loaded, dict) else {"url": str(loaded)}))
            elif LICENSE_FILE.search(name):
                found.append((f"dist-info/{name}", decoded[:200_000]))
        return found

    def project(self, setup_kwargs: dict[str, Any] | None = None) -> ProjectInfo:
        """Everything the target declares (never by running it), one object for each set of
        ``setup()`` arguments: every caller of a run shares it, and none may change it."""
        key = repr(setup_kwargs) if setup_kwargs else ""
        with self._lock:
            if key not in self._projects:
                self._projects[key] = self._assemble(setup_kwargs)
            return self._projects[key]

    def _assemble(self, setup_kwargs: dict[str, Any] | None) -> ProjectInfo:
        info = ProjectInfo()
        if self._pyproject is not None and self.pyproject_text is not None:
            assemble.add_pyproject(info, self._pyproject, self.pyproject_text)
        if self.setup_cfg is not None:
            assemble.add_setup_cfg(info, *self.setup_cfg)
        if setup_kwargs:
            assemble.add_setup_py(info, setup_kwargs)
        for path, held in self.files:
            if isinstance(held, Reading):
                assemble.add_requirements(info, held)
            elif isinstance(held, Metadata):
                assemble.add_metadata(info, held.path, held.message, held.text)
            else:
                info.license_files[path] = held
        for name, item in self.dist_info:
            if isinstance(item, Metadata):
                assemble.add_metadata(info, item.path, item.message, item.text)
            elif isinstance(item, dict):
                info.direct_url = item
            else:
                info.license_files[name] = item
        return info


#: One Declarations per Target while it lives: a Target is read-only and equal only to itself.
_CACHE: weakref.WeakKeyDictionary[Any, Declarations] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def declarations(target: Any) -> Declarations:
    """The :class:`Declarations` of ``target``, the same object for the whole run: each
    manifest is parsed once per target (a Target is read-only data, so nothing can change
    under the cache)."""
    with _CACHE_LOCK:
        try:
            made = _CACHE.get(target)
        except TypeError:  # not a Target (a test's stand-in that cannot be weakly keyed)
            return Declarations(target)
        if made is None:
            made = _CACHE[target] = Declarations(target)
        return made


def project_info(target: Any, setup_kwargs: dict[str, Any] | None = None) -> ProjectInfo:
    """Everything ``target`` declares, from the files it has (never by running them).

    ``setup_kwargs`` are the literal ``setup()`` arguments the scan read from ``setup.py``.
    """
    return declarations(target).project(setup_kwargs)
