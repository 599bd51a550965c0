"""Targets on this machine's disk: a project directory, and an installed distribution.

Files are opened without following symlinks and without blocking (a FIFO swapped in after
the listing is refused, not waited on). Nothing is skipped in silence:

- a directory that cannot be listed is reported as not scanned;
- a symlink is never followed out of the tree; one that points inside it loses nothing,
  even when it points into a directory the scan does not read (``pkg/core.py ->
  ../.git/payload.py``): its target is then read under the link's own path, since
  ``pip install .`` follows it;
- an installed distribution's ``RECORD`` is a list the package wrote: an entry outside the
  installation scheme (``../../etc/hostname``) is refused and reported, never read.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sysconfig
from importlib import metadata
from pathlib import Path, PurePosixPath

from pysecbook.checker.scan.model import TargetError
from pysecbook.checker.scan.targets.reader import HEAD_BYTES, VCS_DIRS, Reader, excluded, finding

__all__ = ["DIST_INFO_NAMES", "read_directory", "read_installed", "read_regular"]


def read_regular(path: str, max_size: int, *, head: bool = False) -> tuple[bytes, float] | str:
    """The bytes and mtime of the regular file at ``path``, or why it cannot be read.

    With ``head``, a larger file is not refused: its first ``max_size`` bytes are returned.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > max_size and not head:
            return f"file too large ({info.st_size} bytes, limit {max_size})"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_size + (0 if head else 1))
        if len(data) > max_size:
            return f"file too large (more than {max_size} bytes)"
        return data, info.st_mtime
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)


def _read_file(reader: Reader, rel: str, full: str, size: int | None) -> None:
    if size is None:
        try:
            size = os.lstat(full).st_size
        except OSError:
            size = None
    if not reader.admit(rel, size):
        return
    if reader.limits.too_big(size):
        got = read_regular(full, HEAD_BYTES, head=True)
        if isinstance(got, str):
            reader.refuse(rel, got)
        else:
            reader.read_head(rel, io.BytesIO(got[0]), got[1], size)
        return
    got = read_regular(full, reader.limits.max_file_size)
    if isinstance(got, str):
        reader.refuse(rel, got)
    else:
        reader.add(rel, got[0], got[1])


def _relative_to(base: str, path: str) -> str:
    rel = os.path.relpath(path, base).replace(os.sep, "/")
    return "" if rel == "." else rel


def read_directory(reader: Reader, root: Path) -> None:
    base = os.path.realpath(root)

    def listing_failed(error: OSError) -> None:
        where = _relative_to(base, error.filename) if error.filename else "."
        reader.refuse(where or ".", f"cannot list this directory: {error.strerror or error}; "
                      "its files are not scanned", blocks=True)

    for dirpath, dirnames, filenames in os.walk(base, followlinks=False, onerror=listing_failed):
        rel_dir = _relative_to(base, dirpath)
        rel_dir = rel_dir + "/" if rel_dir else ""
        keep = []
        for d in sorted(dirnames):
            rel = rel_dir + d
            full = os.path.join(dirpath, d)
            if d in VCS_DIRS or excluded(rel, reader.exclude):
                continue
            if os.path.islink(full):
                _symlink(reader, rel, full, base)
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            reader.tick()
            rel = rel_dir + name
            full = os.path.join(dirpath, name)
            if excluded(rel, reader.exclude):
                continue
            try:
                info = os.lstat(full)
            except OSError as exc:
                reader.refuse(rel, f"cannot read: {exc.strerror or exc}")
                continue
            if stat.S_ISLNK(info.st_mode):
                _symlink(reader, rel, full, base)
                continue
            if not stat.S_ISREG(info.st_mode):
                reader.refuse(rel, "not a regular file (device, FIFO or socket): not opened",
                              finding("PSB-DIR-SPECIAL-FILE", rel, "A device, FIFO or socket "
                                      "in the project tree."))
                continue
            _read_file(reader, rel, full, info.st_size)


def _symlink(reader: Reader, rel: str, full: str, base: str) -> None:
    """A symlink is never followed out of the tree; one that loops or dangles is reported.

    One that stays inside loses nothing: its target is read under its own path, or, when the
    scan would not read the target there (an excluded or version-control directory), under
    the link's path.
    """
    try:
        resolved = os.path.realpath(full, strict=True)
    except OSError as exc:
        if "loop" in str(exc).lower() or getattr(exc, "errno", None) == 40:
            reader.refuse(rel, "symlink loop: not followed",
                          finding("PSB-DIR-SYMLINK-LOOP", rel, "A symlink loop in the tree."))
        else:
            reader.refuse(rel, "broken symlink: its target does not exist")
        return
    if os.path.commonpath([resolved, base]) != base:
        reader.refuse(rel, "symlink pointing outside the target: not followed",
                      finding("PSB-DIR-SYMLINK-OUTSIDE", rel, "A symlink that points outside "
                              "the project tree; following it would read foreign files."))
        return
    target_rel = _relative_to(base, resolved)
    hidden = (excluded(target_rel, reader.exclude)
              or any(part in VCS_DIRS for part in target_rel.split("/")))
    if not hidden:
        return  # read under its own path
    if os.path.isdir(resolved):
        reader.refuse(rel, f"symlink to {target_rel}/, a directory the scan does not read: "
                      "its files are not scanned",
                      finding("PSB-DIR-SYMLINK-HIDDEN", rel, f"A symlink into {target_rel}/, "
                              "which is excluded or version-control data: an installer would "
                              "follow it to files a scan skips."))
        return
    reader.findings.append(finding(
        "PSB-DIR-SYMLINK-HIDDEN", rel, f"A symlink to {target_rel}, a file the scan would not "
        "read there: it is scanned under the link's path.", lone=True))
    _read_file(reader, rel, resolved, None)


DIST_INFO_NAMES = ("METADATA", "RECORD", "WHEEL", "INSTALLER", "REQUESTED", "direct_url.json",
                   "entry_points.txt", "top_level.txt", "licenses", "LICENSE")


def _scheme_roots(site_dir: str) -> list[str]:
    """Where an installer may put a distribution's files: its site directory and the
    installation scheme's paths (scripts, data, headers), default and per-user."""
    roots = {site_dir}
    for scheme in (sysconfig.get_default_scheme(), f"{os.name}_user"):
        try:
            paths = sysconfig.get_paths(scheme)
        except KeyError:
            continue
        roots |= {v for k, v in paths.items()
                  if k in ("purelib", "platlib", "scripts", "data", "include", "platinclude")}
    return sorted({os.path.realpath(r) for r in roots})


def installed_distribution(name: str) -> metadata.Distribution:
    """The distribution ``name`` installed on ``sys.path``, found by the standard library's own
    finder: never by another finder a third-party package put on ``sys.meta_path`` (the
    ``importlib_metadata`` backport's hides RECORD entries outside site-packages, so the
    answer depended on what the process had imported before)."""
    try:
        context = metadata.DistributionFinder.Context(name=name)
    except ValueError as exc:
        raise TargetError(f"not a distribution name: {name!r}") from exc
    for dist in metadata.MetadataPathFinder.find_distributions(context):
        return dist
    raise TargetError(f"no distribution named {name!r} is installed in this environment")


def record_entries(dist: metadata.Distribution) -> list[str] | None:
    """Every path the distribution's RECORD lists, as written (the first CSV field of each
    row), or None when it has no RECORD. Read here, not through ``Distribution.files``, so
    that a hostile entry is seen whichever library would have parsed it."""
    text = dist.read_text("RECORD")
    if text is None:
        return None
    return [row[0] for row in csv.reader(text.splitlines()) if row and row[0]]


def read_installed(reader: Reader, name: str) -> None:
    dist = installed_distribution(name)
    site_dir = os.path.realpath(str(dist.locate_file("")))
    roots = _scheme_roots(site_dir)
    files = record_entries(dist)
    if files is None:
        reader.refuse("RECORD", "the distribution has no RECORD: its files cannot be listed",
                      blocks=True)
        files = []
    for entry in files:
        reader.tick()
        rel = str(entry).replace("\\", "/")
        full = os.path.normpath(os.path.join(site_dir, rel))
        if not any(os.path.commonpath([full, root]) == root for root in roots):
            reader.refuse(rel, "RECORD lists a path outside the installation scheme: not read",
                          finding("PSB-INSTALL-RECORD-OUTSIDE", rel, "The distribution's RECORD "
                                  "names a file outside site-packages and the scheme's "
                                  "directories; uninstalling would delete it."))
            continue
        parts = PurePosixPath(rel).parts
        if parts and parts[0].endswith((".dist-info", ".egg-info")) and ".." not in parts:
            got = read_regular(full, reader.limits.max_file_size)
            if not isinstance(got, str):
                reader.dist_info["/".join(parts[1:])] = got[0]
            continue
        if reader.skip(rel):
            continue
        if os.path.islink(full):
            reader.refuse(rel, "installed file is a symlink: not followed")
            continue
        if not os.path.lexists(full):
            reader.refuse(rel, "listed in RECORD but missing on disk")
            continue
        _read_file(reader, rel, full, None)
    for extra in DIST_INFO_NAMES:
        if extra not in reader.dist_info:
            text = dist.read_text(extra)
            if text is not None:
                reader.dist_info[extra] = text.encode("utf-8")
