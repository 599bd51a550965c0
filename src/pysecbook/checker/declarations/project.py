"""A project's declarations gathered into one :class:`~.model.ProjectInfo`.

The manifests arrive already parsed (:mod:`.manifests`); this module decides what each one
says and in which order they count: ``pyproject.toml``, then ``setup.cfg``, then the literal
arguments of ``setup()``, then the requirements files and the metadata (``PKG-INFO``,
``METADATA``) in the order of the target's files, then an installed distribution's
``dist-info`` files. Book page: ``book/checklist/must``.
"""

from __future__ import annotations

import configparser
import email.message
import posixpath
import re
from dataclasses import replace
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pysecbook.checker.declarations.model import Dependency, IndexOption, ProjectInfo
from pysecbook.checker.declarations.requirements import MAX_INCLUDES, Reading, is_pinned

__all__ = ["LICENSE_FILE", "add_metadata", "add_pyproject", "add_requirements", "add_setup_cfg",
           "add_setup_py", "is_development_file", "local_path_inside", "parse_requirement"]

LICENSE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice)([-_.][^/]*)?$", re.IGNORECASE)

#: Words in a requirements file's name or folder that say it serves the maintainers' work
#: (tests, documentation, linting, releases) rather than the program's users.
_DEVELOPMENT_WORDS = frozenset({
    "dev", "develop", "development", "test", "tests", "testing", "doc", "docs", "lint",
    "typing", "mypy", "ci", "bench", "benchmark", "benchmarks", "release", "tox", "style",
    "coverage",
})


def is_development_file(path: str) -> bool:
    """Whether a requirements file's path says it is for the maintainers' work.

    The words are compared whole (``requirements-dev.txt``, ``docs/requirements.txt``,
    ``requirements/test.txt``), never as substrings, so ``requirements-devices.txt`` is not.
    """
    words = re.split(r"[^a-z0-9]+", path.lower().rsplit(".", 1)[0])
    return any(w in _DEVELOPMENT_WORDS for w in words)


_EXTRAS_SUFFIX = re.compile(r"\[[^\[\]]*\]\s*$")


def _is_local_path(text: str) -> bool:
    text = _EXTRAS_SUFFIX.sub("", text)  # pip accepts ``.[socks]`` and ``./pkg[extra]``
    return text in (".", "..") or text.startswith(("./", "../", "/", "file:")) or (
        "/" in text and "://" not in text
        and not re.match(r"^[A-Za-z0-9._-]+\s*(\[|@|[<>=!~;]|$)", text))


def local_path_inside(text: str) -> bool:
    """Whether a local requirement (``.``, ``-e ./pkg``, ``file:.#egg=name``,
    ``name @ file:./vendor/x``) names the target itself or a place inside it, which the
    check has read; a path above it or absolute, or another host's, is outside."""
    path = text.strip()
    if path.startswith(("-e ", "--editable ")):
        path = path.split(None, 1)[1].strip()
    path = path.split(";", 1)[0].split("#", 1)[0].strip()
    if " @ " in path:
        path = path.split(" @ ", 1)[1].strip()
    if path.startswith("file://"):
        return False  # file:///abs or file://host/...: a place named from outside the target
    path = _EXTRAS_SUFFIX.sub("", path.removeprefix("file:")).strip() or "."
    normal = posixpath.normpath(path.replace("\\", "/"))
    return not (normal.startswith("/") or normal == ".." or normal.startswith("../")
                or (len(normal) > 1 and normal[1] == ":"))


def parse_requirement(text: str, origin: str, line: int | None, *, locked: bool,
                      hashed: bool = False, development: bool = False) -> Dependency:
    """A :class:`Dependency` from one requirement string (PEP 508, a bare URL or a local path)."""
    dep = _parse_requirement(text, origin, line, locked=locked, hashed=hashed)
    return replace(dep, development=True) if development else dep


def _parse_requirement(text: str, origin: str, line: int | None, *, locked: bool,
                       hashed: bool) -> Dependency:
    stripped = text.strip()
    if stripped.startswith(("-e ", "--editable ")):
        stripped = stripped.split(None, 1)[1].strip()
    if stripped.startswith("file:") or _is_local_path(stripped.split(";", 1)[0].strip()):
        return Dependency(stripped, origin, line, locked, local=stripped)
    if "://" in stripped and "@" not in stripped.split("://", 1)[0]:
        # a bare URL (pip accepts them in requirements files)
        return Dependency(stripped, origin, line, locked, url=stripped)
    try:
        req = Requirement(stripped)
    except InvalidRequirement as exc:
        return Dependency(stripped, origin, line, locked, error=str(exc).splitlines()[0])
    if req.url and req.url.startswith("file:"):
        # ``name @ file:.`` (pip-compile writes the project itself so): a local path.
        return Dependency(stripped, origin, line, locked, name=req.name, local=stripped)
    return Dependency(stripped, origin, line, locked, name=req.name, url=req.url,
                      pinned=is_pinned(req), hashed=hashed)


def line_of(text: str, needle: str) -> int | None:
    """The number of the first line of ``text`` that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def add_pyproject(info: ProjectInfo, data: dict[str, Any], text: str) -> None:
    """``pyproject.toml``: ``[project]``, and the indexes of uv, Poetry and PDM."""
    info.pyproject = data
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    info.name = info.name or project.get("name")
    info.version = info.version or project.get("version")
    if isinstance(project.get("description"), str):
        info.summary = info.summary if info.summary is not None else project["description"]
    lic = project.get("license")
    if isinstance(lic, str):
        info.license_expression = lic
    elif isinstance(lic, dict):
        info.license_text = lic.get("text") or info.license_text
    info.license_classifiers += [
        c for c in project.get("classifiers", []) if isinstance(c, str) and c.startswith("License ::")
    ]
    urls = project.get("urls", {})
    if isinstance(urls, dict):
        info.urls.update({str(k): str(v) for k, v in urls.items()})
    for person in [*project.get("authors", []), *project.get("maintainers", [])]:
        if isinstance(person, dict) and person.get("email"):
            info.emails.append(str(person["email"]))
    groups = [project.get("dependencies", [])]
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, dict):
        groups += list(optional.values())
    for group in groups:
        for req in group if isinstance(group, list) else []:
            if isinstance(req, str):
                info.dependencies.append(
                    parse_requirement(req, "pyproject.toml", line_of(text, req), locked=False)
                )
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    uv = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    for key in ("index-url", "extra-index-url", "find-links"):
        values = uv.get(key, [])
        for value in [values] if isinstance(values, str) else values:
            info.index_options.append(IndexOption(key, value, "pyproject.toml", line_of(text, key)))
    for index in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
        if isinstance(index, dict) and index.get("url"):
            option = "index-url" if index.get("default") else "extra-index-url"
            info.index_options.append(
                IndexOption(option, index["url"], "pyproject.toml", line_of(text, index["url"]))
            )
    for section in ("poetry", "pdm"):
        table = tool.get(section, {}) if isinstance(tool.get(section), dict) else {}
        for source in table.get("source", []) if isinstance(table.get("source"), list) else []:
            if isinstance(source, dict) and source.get("url"):
                info.index_options.append(IndexOption(
                    "extra-index-url", source["url"], "pyproject.toml", line_of(text, source["url"])
                ))


def add_setup_cfg(info: ProjectInfo, parser: configparser.ConfigParser, text: str) -> None:
    """``setup.cfg``: ``[metadata]`` and ``[options] install_requires``."""
    if parser.has_option("metadata", "name"):
        info.name = info.name or parser.get("metadata", "name")
    if parser.has_option("metadata", "license"):
        info.license_text = info.license_text or parser.get("metadata", "license")
    if parser.has_option("options", "install_requires"):
        for raw in parser.get("options", "install_requires").splitlines():
            # setuptools drops comment lines and a comment after " #", as pip does.
            req = "" if raw.lstrip().startswith("#") else raw.split(" #", 1)[0].strip()
            if req:
                info.dependencies.append(
                    parse_requirement(req, "setup.cfg", line_of(text, req), locked=False)
                )


def add_setup_py(info: ProjectInfo, kwargs: dict[str, Any]) -> None:
    """Literal keyword arguments of ``setup(...)``, as the scan read them from its syntax
    tree in an isolated worker (:func:`pysecbook.checker.scan.filescan.setup_kwargs`)."""
    line = kwargs.get("_line") if isinstance(kwargs.get("_line"), int) else None
    if isinstance(kwargs.get("name"), str):
        info.name = info.name or kwargs["name"]
    if isinstance(kwargs.get("license"), str):
        info.license_text = info.license_text or kwargs["license"]
    if isinstance(kwargs.get("description"), str) and info.summary is None:
        info.summary = kwargs["description"]
    if isinstance(kwargs.get("version"), str):
        info.version = info.version or kwargs["version"]
    requires = kwargs.get("install_requires")
    if isinstance(requires, (list, tuple)):
        for req in requires:
            if isinstance(req, str):
                info.dependencies.append(parse_requirement(req, "setup.py", line, locked=False))


def add_requirements(info: ProjectInfo, reading: Reading) -> None:
    """A requirements file read as pip reads it, with what it includes.

    A ``.in`` file is pip-compile's input, so its entries are abstract (unpinned on purpose),
    like ``[project] dependencies``. A file that cannot be read as pip reads it, a line pip
    refuses, and an include that leaves the target, loops or is one too many are recorded as
    unreadable.
    """
    for req in reading.requirements:
        info.dependencies.append(parse_requirement(
            req.text, req.origin, req.line, locked=not req.origin.endswith(".in"),
            hashed=bool(req.hashes), development=is_development_file(req.origin)))
    info.index_options += reading.options
    for inc in reading.includes:
        if inc.why is not None:
            info.unreadable[f"{inc.origin}:{inc.line}"] = f"includes {inc.ref.strip()!r}, {inc.why}"
    for problem in reading.problems:
        at = problem.path if problem.line is None else f"{problem.origin}:{problem.line}"
        if problem.kind == "missing":
            info.unreadable[problem.path] = "included by a requirements file, but not in the target"
        elif problem.kind == "unreadable":
            info.unreadable[problem.path] = ("a requirements file pip would read, unreadable "
                                             f"here: {problem.message}")
        elif problem.kind == "too-many":
            info.unreadable[at] = f"includes more than {MAX_INCLUDES} requirements files"
        elif problem.kind in ("option", "loop"):
            info.unreadable[at] = (problem.message if problem.kind == "option" else
                                   f"includes {problem.path!r}, which includes it back: pip "
                                   "refuses a requirements file that includes itself")


def add_metadata(info: ProjectInfo, path: str, msg: email.message.Message, text: str) -> None:
    """Core metadata (``PKG-INFO``, ``METADATA``)."""
    info.metadata_file = path
    info.name = info.name or msg.get("Name")
    info.version = info.version or msg.get("Version")
    if info.summary is None:
        info.summary = str(msg.get("Summary") or "")
    body = msg.get_payload() if not msg.is_multipart() else ""
    info.description = info.description or str(msg.get("Description") or body or "")[:20_000]
    info.license_expression = info.license_expression or msg.get("License-Expression")
    if msg.get("License") and msg.get("License", "").strip() not in ("UNKNOWN", ""):
        info.license_text = info.license_text or msg.get("License")
    info.license_classifiers += [c for c in msg.get_all("Classifier") or [] if c.startswith("License ::")]
    for value in msg.get_all("Project-URL") or []:
        label, _, url = value.partition(",")
        info.urls.setdefault(label.strip(), url.strip())
    for key in ("Author-email", "Maintainer-email"):
        if msg.get(key):
            info.emails.append(str(msg.get(key)))
    if not any(not d.locked for d in info.dependencies):
        for req in msg.get_all("Requires-Dist") or []:
            info.dependencies.append(
                parse_requirement(req, path, line_of(text, req), locked=False)
            )
