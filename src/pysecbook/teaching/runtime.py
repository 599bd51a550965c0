"""What the running interpreter is made of: the components an attacker would go after.

Returns data only (pages print it): which interpreter runs, from which prefix, which
directories ``sys.path`` searches and in what order, which site directories :mod:`site`
processed, which start-up flags are set, and how many distributions are installed.
Book page: ``book/fundamentals/components``.
"""

from __future__ import annotations

import importlib.metadata
import site
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from pysecbook.teaching.risks.pth_files import executable_pth_lines

#: The ``sys.flags`` that decide what code runs at start-up.
STARTUP_FLAGS = ("isolated", "safe_path", "no_site", "no_user_site", "ignore_environment",
                 "dont_write_bytecode", "optimize")


@dataclass(frozen=True)
class Runtime:
    """A snapshot of the current interpreter's components."""

    executable: str
    version: str
    implementation: str
    prefix: str
    base_prefix: str
    in_virtualenv: bool
    stdlib: str
    site_packages: tuple[str, ...]
    user_site: str
    user_site_enabled: bool
    sys_path: tuple[str, ...]
    flags: dict[str, int]
    distributions: int
    pth_import_lines: int
    pth_path_entries: tuple[str, ...]


def pth_path_entries(site_dir: Path) -> list[str]:
    """Directories that the ``.pth`` files of ``site_dir`` add to ``sys.path``."""
    found = []
    for pth in sorted(site_dir.glob("*.pth")):
        for line in pth.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "import ", "import\t")):
                found.append(str((site_dir / line).resolve()))
    return found


def describe_runtime() -> Runtime:
    """Describe the interpreter this function runs in."""
    site_packages = tuple(site.getsitepackages())
    pth_lines = sum(len(executable_pth_lines(Path(d))) for d in site_packages if Path(d).is_dir())
    names = {(d.metadata["Name"] or "").lower() for d in importlib.metadata.distributions()}
    return Runtime(
        executable=sys.executable,
        version=sys.version.split()[0],
        implementation=sys.implementation.name,
        prefix=sys.prefix,
        base_prefix=sys.base_prefix,
        in_virtualenv=sys.prefix != sys.base_prefix,
        stdlib=sysconfig.get_path("stdlib"),
        site_packages=site_packages,
        user_site=site.getusersitepackages(),
        user_site_enabled=bool(site.ENABLE_USER_SITE),
        sys_path=tuple(sys.path),
        flags={name: int(getattr(sys.flags, name)) for name in STARTUP_FLAGS},
        distributions=len(names - {""}),
        pth_import_lines=pth_lines,
        pth_path_entries=tuple(e for d in site_packages if Path(d).is_dir() for e in pth_path_entries(Path(d))),
    )


def classify_path(entry: str, runtime: Runtime) -> str:
    """Say which component a ``sys.path`` entry belongs to."""
    if entry == "":
        return "current directory (prepended for -c, -m and the REPL)"
    if any(entry.startswith(p) for p in runtime.site_packages):
        return "site-packages: dependencies"
    if entry in runtime.pth_path_entries:
        return "added by a path line in a site-packages .pth file"
    if entry.startswith(runtime.user_site):
        return "user site-packages"
    if entry.startswith(runtime.base_prefix):
        return "interpreter: standard library"
    return "other: the script's directory, PYTHONPATH, or added at run time"
