"""Read a target into memory without importing, building, installing or executing any of it.

A target is a project directory, an sdist (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``,
``.zip``), a wheel (``.whl``) or an installed distribution. Archives are read member by member
from a stream and never extracted: nothing is written anywhere. Every member or file that is
refused is reported as an :class:`~pysecbook.checker.scan.model.Unscanned` entry (which makes
the scan incomplete, so the checker fails closed) and, when the member itself is hostile (a
path that climbs out of the tree, a link out of it, a device, a bomb), also as a finding with a
``PSB-ARCHIVE-...``, ``PSB-DIR-...`` or ``PSB-INSTALL-...`` rule id. Archives inside the
target are opened too, by name or by magic number (:mod:`.archives`).

A corrupted archive (truncated, bad CRC, not an archive at all) is read up to the damage: the
members read before it are kept and the archive itself is reported as unscanned with the
reason. Only a target that does not exist, is not a supported kind, or cannot be opened at
all raises :class:`~pysecbook.checker.scan.model.TargetError`. The target's metadata is read
from these files by :mod:`pysecbook.checker.declarations`. Book page: ``book/checklist``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from pysecbook.checker.scan.model import Target, TargetError
from pysecbook.checker.scan.targets.archives import decompressed, read_nested, read_tar, read_zip
from pysecbook.checker.scan.targets.local import read_directory, read_installed
from pysecbook.checker.scan.targets.members import strip_sdist_prefix
from pysecbook.checker.scan.targets.reader import (
    MAX_DEPTH,
    MAX_FILE_SIZE,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_SIZE,
    NESTED,
    RATIO_MIN_BYTES,
    Limits,
    Reader,
    Stop,
    excluded,
)

__all__ = ["MAX_DEPTH", "MAX_FILE_SIZE", "MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL_SIZE", "NESTED",
           "RATIO_MIN_BYTES", "SDIST_SUFFIXES", "WHEEL_SUFFIX", "Limits", "open_target", "without"]

SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
WHEEL_SUFFIX = ".whl"
_COMPRESSION = {".tar.gz": "gzip", ".tgz": "gzip", ".tar.bz2": "bz2", ".tar.xz": "xz"}


def open_target(spec: str, *, installed: bool = False, exclude: Sequence[str] = (),
                deadline: float | None = None, max_file_size: int = MAX_FILE_SIZE,
                max_total_size: int = MAX_TOTAL_SIZE, max_members: int = MAX_MEMBERS,
                max_ratio: float = MAX_RATIO, ratio_min_bytes: int = RATIO_MIN_BYTES,
                max_depth: int = MAX_DEPTH) -> Target:
    """Read the target named by ``spec`` into memory, never running any of it.

    ``spec`` is a directory, an sdist, a wheel, or with ``installed=True`` the name of a
    distribution installed in the current environment. ``exclude`` holds glob patterns of
    relative paths to leave out; ``deadline`` (a :func:`time.monotonic` value) stops the
    reading, with what was not read reported. The keyword limits default to the module
    constants. Raises :class:`TargetError` (one line) when the target does not exist, is not
    a supported kind, or cannot be opened at all; every other problem is an ``Unscanned`` entry.
    """
    limits = Limits(max_file_size, max_total_size, max_members, max_ratio, ratio_min_bytes,
                    max_depth)
    kind, read = _kind(spec, installed)
    reader = Reader(kind, spec, limits, exclude, deadline,
                    root=str(Path(spec).resolve()) if kind == "directory" else None,
                    open_nested=read_nested)
    try:
        read(reader)
    except Stop as exc:
        reader.refuse(Path(spec).name if not installed else spec,
                      f"reading stopped: {exc}; the rest of the target was not read", blocks=True)
    if kind == "wheel":
        for f in reader.files:  # the wheel's metadata, as for an installed distribution
            top, _, rest = f.path.partition("/")
            if top.endswith(".dist-info") and rest and NESTED not in rest:
                reader.dist_info[rest] = f.data
    return reader.finish()


def without(target: Target, exclude: Sequence[str]) -> Target:
    """``target`` with the paths matching ``exclude`` left out, as if they had been excluded
    while reading (for settings that can only be read from the target itself)."""
    if not exclude:
        return target
    return replace(target,
                   files=[f for f in target.files if not excluded(f.path, exclude)],
                   unscanned=[u for u in target.unscanned if not excluded(u.path, exclude)],
                   findings=[f for f in target.findings if not excluded(f.path, exclude)])


def _read_tar_file(reader: Reader, path: Path, compression: str) -> None:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise TargetError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with fh:
        names = read_tar(reader, decompressed(fh, compression, reader.limits), path.name)
    strip_sdist_prefix(reader, names)


def _kind(spec: str, installed: bool) -> tuple[str, Callable[[Reader], None]]:
    """The kind of target ``spec`` names and the function that reads it; or TargetError."""
    if installed:
        return "installed", lambda r: read_installed(r, spec)
    path = Path(spec)
    if not path.exists():
        raise TargetError(f"{spec}: no such file or directory")
    lower = path.name.lower()
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise TargetError(f"{spec}: directory cannot be read")
        return "directory", lambda r: read_directory(r, path)
    if not path.is_file():
        raise TargetError(f"{spec}: not a directory, an sdist or a wheel")
    if lower.endswith(WHEEL_SUFFIX):
        return "wheel", lambda r: read_zip(r, str(path), path.name, strip=False)
    if lower.endswith(".zip"):
        return "sdist", lambda r: read_zip(r, str(path), path.name, strip=True)
    for suffix, compression in _COMPRESSION.items():
        if lower.endswith(suffix):
            return "sdist", lambda r, c=compression: _read_tar_file(r, path, c)
    raise TargetError(f"{spec}: unsupported target (expected a directory, "
                      f"{', '.join(SDIST_SUFFIXES)} or {WHEEL_SUFFIX})")
