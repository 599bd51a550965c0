"""Where the checker itself runs: virtual environment, container, interpreter version.

Checks M3, M5 and M8 are about the machine that will run the program, not about the program,
so they read the running interpreter and a few well-known marker files. The result is plain
data that tests (and readers) can construct by hand: ``RuntimeEnvironment((3, 12), "/venv",
None)`` describes an interpreter whose patch level is not given, and M8 then judges its
feature version only. Book page: ``book/checklist/must``.
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
    #: The patch level (``sys.version_info.micro``); None when not known.
    python_micro: int | None = None
    #: The interpreter belongs to the operating system's packages (it lives under ``/usr``),
    #: which may backport security fixes without changing the version number.
    distribution_build: bool = False

    @property
    def in_virtual_env(self) -> bool:
        return self.virtual_env is not None

    @property
    def isolated(self) -> bool:
        return self.container is not None

    @property
    def python_release(self) -> tuple[int, int, int] | None:
        """``(major, minor, micro)``, or None when the patch level is not known."""
        if self.python_micro is None:
            return None
        return (*self.python_version, self.python_micro)


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
        python_micro=sys.version_info.micro,
        distribution_build=_distribution_build(),
    )


def _distribution_build(base_prefix: str | None = None, platform: str | None = None) -> bool:
    """True for an interpreter installed by the operating system's package manager: on
    Linux, one whose base prefix is ``/usr`` (pyenv, uv, conda and source builds live
    elsewhere, and ``make install`` defaults to ``/usr/local``)."""
    base_prefix = sys.base_prefix if base_prefix is None else base_prefix
    platform = sys.platform if platform is None else platform
    return platform.startswith("linux") and base_prefix == "/usr"
