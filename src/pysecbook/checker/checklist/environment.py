"""Where the checker itself runs: virtual environment, container, interpreter version.

Checks M3, M5 and M8 are about the machine that will run the program, not about the program,
so they read the running interpreter and a few well-known marker files. The result is plain
data that tests (and readers) can construct by hand. Book page: ``book/checklist/must``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Files whose presence says "this is a container" (Docker, Podman) and cgroup words.
CONTAINER_FILES = ("/.dockerenv", "/run/.containerenv")
CGROUP_WORDS = ("docker", "kubepods", "containerd", "lxc", "libpod")


@dataclass(frozen=True)
class RuntimeEnvironment:
    """What the checker found out about the environment it runs in."""

    python_version: tuple[int, int]
    virtual_env: str | None  # the prefix of the venv or conda env, None when global
    container: str | None  # how the container was recognised, None when not in one

    @property
    def in_virtual_env(self) -> bool:
        return self.virtual_env is not None

    @property
    def isolated(self) -> bool:
        return self.container is not None


def _container_hint(environ: Mapping[str, str], root: Path) -> str | None:
    if environ.get("container"):
        return f"the 'container' environment variable says {environ['container']!r}"
    for marker in CONTAINER_FILES:
        if (root / marker.lstrip("/")).exists():
            return f"{marker} exists"
    try:
        cgroup = (root / "proc/1/cgroup").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cgroup = ""
    for word in CGROUP_WORDS:
        if word in cgroup:
            return f"/proc/1/cgroup mentions {word}"
    return None


def detect_environment(environ: Mapping[str, str] | None = None, root: str = "/") -> RuntimeEnvironment:
    """The running interpreter's version, virtual environment and container, if any."""
    environ = os.environ if environ is None else environ
    venv = None
    if sys.prefix != sys.base_prefix:
        venv = sys.prefix
    elif environ.get("CONDA_PREFIX") and environ.get("CONDA_DEFAULT_ENV", "base") != "base":
        venv = environ["CONDA_PREFIX"]
    return RuntimeEnvironment(
        python_version=(sys.version_info.major, sys.version_info.minor),
        virtual_env=venv,
        container=_container_hint(environ, Path(root)),
    )
