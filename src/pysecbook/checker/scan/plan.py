"""Which files of a target the scan reads as code, and how each is to be judged.

Every file an installer or interpreter could run gets a job: Python sources (``.py``,
``.pyw``, scripts whose first line runs Python) and compiled bytecode (``.pyc``). A source is
*install-time* code when a build backend runs it while building or installing the package:

- ``setup.py`` (setuptools), and modules named as command classes in
  ``[tool.setuptools.cmdclass]``;
- an in-tree build backend: ``[build-system] backend-path`` with ``build-backend``;
- ``hatch_build.py`` (Hatch's custom build hook, or the file its ``path`` names);
- ``pdm_build.py`` (PDM's build hook) and the script of ``[tool.poetry.build]``.

The plan reads only ``pyproject.toml`` (as TOML data, never run, parsed once per target by
:func:`~pysecbook.checker.declarations.declarations`). Book page:
``book/checklist/must`` (check M2).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any

from pysecbook.checker.declarations import declarations
from pysecbook.checker.scan.filescan import BytecodeJob, SourceJob
from pysecbook.checker.scan.model import SourceFile, Target

__all__ = ["install_time_paths", "is_python_source", "plan"]

#: Install-time files a backend runs by convention, whatever the configuration says.
CONVENTIONAL = ("setup.py", "hatch_build.py", "pdm_build.py")
_PYC = re.compile(r"(?:^|/)(?:__pycache__/)?[^/]+\.py[co]$")


def is_python_source(file: SourceFile) -> bool:
    """A ``.py``/``.pyw`` file, or an extension-less script whose first line runs Python."""
    if file.is_python:
        return True
    name = file.path.rsplit("/", 1)[-1]
    if "." in name or not file.data.startswith(b"#!"):
        return False
    return b"python" in file.data.split(b"\n", 1)[0]


def _table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _module_files(paths: set[str], base: str, module: str) -> set[str]:
    """The files of ``module`` (dotted) under directory ``base``: the module file, or every
    file of its top-level package (a backend imports its siblings)."""
    top = module.split(".")[0]
    root = posixpath.normpath(posixpath.join(base, top)) if base not in ("", ".") else top
    found = {p for p in paths if p == f"{root}.py" or p.startswith(f"{root}/")}
    return {p for p in found if p.endswith(".py")}


def install_time_paths(target: Target, *, unread: Iterable[str] = ()) -> set[str]:
    """The target's source files that run when it is built or installed; ``unread`` adds
    paths the target has but that could not be read or scanned (they are judged by where
    they are, like the others)."""
    if target.kind in ("wheel", "installed"):
        return set()  # an installer copies a wheel's files; its .pth files are judged apart
    paths = {f.path for f in target.files} | set(unread)
    found = {p for p in CONVENTIONAL if p in paths}
    data = declarations(target).pyproject  # empty: none, or not UTF-8 TOML
    system = _table(data, "build-system")
    backend = system.get("build-backend")
    backend_path = system.get("backend-path")
    if isinstance(backend, str) and isinstance(backend_path, list):
        module = backend.split(":", 1)[0].strip()
        for base in backend_path:
            if isinstance(base, str):
                found |= _module_files(paths, base.strip("/"), module)
    for hook in _table(data, "tool", "hatch", "build", "hooks", "custom"), *(
            _table(t, "hooks", "custom") for t in _table(data, "tool", "hatch", "build", "targets").values()):
        if isinstance(hook, dict) and isinstance(hook.get("path"), str):
            found.add(posixpath.normpath(hook["path"]))
    script = _table(data, "tool", "poetry", "build").get("script")
    if isinstance(script, str):
        found.add(posixpath.normpath(script))
    for ref in _table(data, "tool", "setuptools", "cmdclass").values():
        if isinstance(ref, str) and "." in ref:
            module = ref.rsplit(".", 1)[0]
            found |= {p for p in (module.replace(".", "/") + ".py",
                                  module.replace(".", "/") + "/__init__.py") if p in paths}
    return {p for p in found if p in paths}


def _source_of(path: str) -> str:
    """The source a ``.pyc`` compiles (PEP 3147 cache name or legacy name)."""
    directory, name = posixpath.split(path)
    if posixpath.basename(directory) == "__pycache__":
        directory = posixpath.dirname(directory)
        name = name.split(".", 1)[0]
    else:
        name = name[:-4]
    return posixpath.join(directory, name + ".py") if directory else name + ".py"


def plan(target: Target, *, honour_nosec: bool = False) -> list[tuple[int, SourceJob | BytecodeJob]]:
    """One job per code file of ``target``, with the index of the file it reads."""
    install_time = install_time_paths(target)
    by_path = {f.path: f for f in target.files}
    expected = target.kind in ("installed", "directory")
    jobs: list[tuple[int, SourceJob | BytecodeJob]] = []
    for index, f in enumerate(target.files):
        if is_python_source(f):
            jobs.append((index, SourceJob(f.path, f.data, install_time=f.path in install_time,
                                          honour_nosec=honour_nosec,
                                          setup_file=f.path == "setup.py")))
        elif _PYC.search(f.path):
            src = by_path.get(_source_of(f.path))
            jobs.append((index, BytecodeJob(
                f.path, f.data, src.path if src else None, src.data if src else None,
                source_mtime=src.mtime if src else None,
                expected=expected and "__pycache__/" in f"/{f.path}")))
    return jobs
