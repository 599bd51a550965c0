"""What a target declares about itself, read from its files without running any of them.

``pyproject.toml``, ``setup.cfg``, ``requirements*.txt``, the literal arguments of ``setup()``
in ``setup.py`` (read with :mod:`ast`, never executed), ``PKG-INFO`` / ``METADATA`` and, for an
installed distribution, its ``dist-info`` files. Book page: ``book/checklist/must``.
"""

from __future__ import annotations

import codecs
import configparser
import email.parser
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pysecbook.checker.scan.model import Target

VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_REQ_FILE = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|[^/]*requirements\.txt|constraints\.txt)$")


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


@dataclass(frozen=True)
class IndexOption:
    """A package index setting found in the target (a requirements file, a pip or uv config)."""

    origin: str
    line: int | None
    option: str  # "index-url", "extra-index-url", "find-links", "trusted-host", "source"
    value: str


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


def _text(target: Target, path: str) -> str | None:
    f = target.file(path)
    if f is None:
        return None
    try:
        return f.data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_CODING = re.compile(rb"^[ \t]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode_like_pip(data: bytes) -> tuple[str | None, str | None]:
    """A requirements file's text as pip reads it, or why it cannot be read that way.

    pip honours a byte-order mark (UTF-8, UTF-16, UTF-32), then a ``coding:`` comment in the
    first two lines, then falls back to UTF-8 on the machines this book targets.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), None
            except UnicodeDecodeError as exc:
                return None, f"starts with a {encoding} byte-order mark but is not {encoding} ({exc.reason})"
    for line in data.split(b"\n", 2)[:2]:
        match = _CODING.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                return data.decode(name), None
            except (LookupError, UnicodeDecodeError) as exc:
                return None, f"declares coding {name!r} but cannot be read with it ({exc})"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 and no byte-order mark or coding comment ({exc.reason})"


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
    specs = list(req.specifier)
    pinned = len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version
    return Dependency(stripped, origin, line, locked, name=req.name, url=req.url,
                      pinned=pinned, hashed=hashed)


#: How deep ``-r`` includes are followed.
MAX_INCLUDES = 10


def _requirements_file(info: ProjectInfo, target: Target, path: str,
                       seen: set[str] | None = None) -> None:
    """A requirements file, as pip reads it, with the files it includes (``-r``, ``-c``).

    A ``.in`` file is pip-compile's input, so its entries are abstract (unpinned on purpose),
    like ``[project] dependencies``. An include that leaves the target, loops or goes deeper
    than :data:`MAX_INCLUDES` is recorded as unreadable.
    """
    seen = set() if seen is None else seen
    if path in seen:
        return
    seen.add(path)
    f = target.file(path)
    if f is None:
        info.unreadable[path] = "included by a requirements file, but not in the target"
        return
    text, why = decode_like_pip(f.data)
    if text is None:
        info.unreadable[path] = f"a requirements file pip would read, unreadable here: {why}"
        return
    locked = not path.endswith(".in")
    development = is_development_file(path)
    logical: list[tuple[int, str]] = []
    buf, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not buf:
            start = number
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            logical.append((start, buf.strip()))
        buf = ""
    for number, line in logical:
        if line.startswith("-"):
            option, _, value = line.partition(" ") if " " in line else line.partition("=")
            option = option.lstrip("-").split("=")[0]
            value = value.strip() or line.partition("=")[2]
            if option in ("i", "index-url", "extra-index-url", "f", "find-links", "trusted-host"):
                name = {"i": "index-url", "f": "find-links"}.get(option, option)
                info.index_options.append(IndexOption(path, number, name, value.strip()))
            elif option in ("e", "editable"):
                info.dependencies.append(parse_requirement(value, path, number, locked=locked,
                                                           development=development))
            elif option in ("r", "requirement", "c", "constraint"):
                included = posixpath.normpath(posixpath.join(posixpath.dirname(path), value.strip()))
                if included.startswith("../") or included.startswith("/") or "://" in value:
                    info.unreadable[f"{path}:{number}"] = f"includes {value.strip()!r}, outside the target"
                elif len(seen) > MAX_INCLUDES:
                    info.unreadable[f"{path}:{number}"] = f"includes nested deeper than {MAX_INCLUDES} files"
                elif option in ("r", "requirement"):
                    _requirements_file(info, target, included, seen)
            continue  # other options: not a dependency
        hashed = "--hash" in line
        requirement = re.split(r"\s--", line, maxsplit=1)[0]
        info.dependencies.append(
            parse_requirement(requirement, path, number, locked=locked, hashed=hashed,
                              development=development)
        )


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def _pyproject(info: ProjectInfo, text: str) -> None:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, MemoryError):
        return
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
                    parse_requirement(req, "pyproject.toml", _line_of(text, req), locked=False)
                )
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    uv = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    for key in ("index-url", "extra-index-url", "find-links"):
        values = uv.get(key, [])
        for value in [values] if isinstance(values, str) else values:
            info.index_options.append(IndexOption("pyproject.toml", _line_of(text, key), key, value))
    for index in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
        if isinstance(index, dict) and index.get("url"):
            option = "index-url" if index.get("default") else "extra-index-url"
            info.index_options.append(
                IndexOption("pyproject.toml", _line_of(text, index["url"]), option, index["url"])
            )
    for section in ("poetry", "pdm"):
        table = tool.get(section, {}) if isinstance(tool.get(section), dict) else {}
        for source in table.get("source", []) if isinstance(table.get("source"), list) else []:
            if isinstance(source, dict) and source.get("url"):
                info.index_options.append(IndexOption(
                    "pyproject.toml", _line_of(text, source["url"]), "extra-index-url", source["url"]
                ))


def _setup_cfg(info: ProjectInfo, text: str) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
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
                    parse_requirement(req, "setup.cfg", _line_of(text, req), locked=False)
                )


def _setup_py(info: ProjectInfo, kwargs: dict[str, Any]) -> None:
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


def _metadata(info: ProjectInfo, path: str, text: str) -> None:
    msg = email.parser.Parser().parsestr(text)
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
                parse_requirement(req, path, _line_of(text, req), locked=False)
            )


LICENSE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice)([-_.][^/]*)?$", re.IGNORECASE)


def project_info(target: Target, setup_kwargs: dict[str, Any] | None = None) -> ProjectInfo:
    """Everything the target declares, from the files it has (never by running them).

    ``setup_kwargs`` are the literal ``setup()`` arguments the scan read from ``setup.py``.
    """
    info = ProjectInfo()
    text = _text(target, "pyproject.toml")
    if text is not None:
        _pyproject(info, text)
    text = _text(target, "setup.cfg")
    if text is not None:
        _setup_cfg(info, text)
    if setup_kwargs:
        _setup_py(info, setup_kwargs)
    requirement_files: set[str] = set()
    for f in target.files:
        if _REQ_FILE.search(f.path) and f.path.count("/") <= 1:
            _requirements_file(info, target, f.path, requirement_files)
        name = f.path.rsplit("/", 1)[-1]
        depth = f.path.count("/")
        in_dist_info = ".dist-info/" in f.path or ".egg-info/" in f.path
        if LICENSE_FILE.search(f.path) and (depth == 0 or in_dist_info or "/licenses/" in f.path):
            try:
                info.license_files[f.path] = f.data[:200_000].decode("utf-8", "replace")
            except (AttributeError, ValueError):  # pragma: no cover - defensive
                pass
        if (depth == 0 and name == "PKG-INFO") or (
            depth == 1 and f.path.endswith(".dist-info/METADATA")
        ):
            text = _text(target, f.path)
            if text is not None:
                _metadata(info, f.path, text)
    for name, data in sorted(target.dist_info.items()):
        base = name.rsplit("/", 1)[-1]
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if base == "METADATA":
            _metadata(info, f"dist-info/{base}", decoded)
        elif base == "direct_url.json":
            try:
                loaded = json.loads(decoded)
            except ValueError:
                loaded = {"url": "<unreadable direct_url.json>"}
            info.direct_url = loaded if isinstance(loaded, dict) else {"url": str(loaded)}
        elif LICENSE_FILE.search(name):
            info.license_files[f"dist-info/{name}"] = decoded[:200_000]
    return info
