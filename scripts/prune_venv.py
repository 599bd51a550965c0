"""Uninstall from this interpreter's environment every distribution its lock file does not name.

``pip install -r`` adds and upgrades but never removes: a package dropped from the lock (the
SBOM generator, moved to its own environment) would stay importable in an existing ``.venv``
and keep costing its import time. Run by scripts/bootstrap.sh with the environment's python:
``python scripts/prune_venv.py requirements.txt [KEEP ...]``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

#: Installed by ``venv`` itself, or the project: never in the lock.
ALWAYS_KEEP = {"pip", "setuptools", "pysecbook"}


def locked_names(lock: Path) -> set[str]:
    """The canonical names pinned (``name==version``) in a hashed lock file."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text("utf-8"), re.MULTILINE)
    return {canonicalize_name(n) for n in pins}


def main(argv: list[str]) -> int:
    keep = locked_names(Path(argv[0])) | {canonicalize_name(n) for n in (*ALWAYS_KEEP, *argv[1:])}
    extra = sorted({canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()
                    if d.metadata["Name"]} - keep)
    if extra:
        print(f"bootstrap: removing what {argv[0]} no longer pins: {', '.join(extra)}")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", *extra],
                       check=True, timeout=600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
