"""Extracting a tar archive writes wherever its members say.

A tar member can be named ``../x`` or ``/abs/x``, or be a symbolic link to a directory
outside the target through which a later member is written. ``TarFile.extractall`` without
a filter honours all of them. Extraction filters (PEP 706, in 3.11.4 and later) fix this:
``filter="data"`` refuses ``..`` and links that leave the target with an error,
and strips the leading ``/`` of absolute names so that they stay inside. The archives are built and extracted
inside a private temporary directory.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import io
import tarfile
import warnings
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir


def extract_insecure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive into ``destination``, trusting every member."""
    import tarfile

    with tarfile.open(archive) as tar:
        # "fully_trusted" is what extractall() does without a filter before Python 3.14; it
        # is written out so that 3.12 and 3.13 do not warn and 3.14 does not change it.
        tar.extractall(destination, filter="fully_trusted")  # nosec B202 - deliberately insecure: demonstration of PSB-TARFILE-EXTRACTALL


def extract_secure(archive: str, destination: str) -> None:
    """Unpack an uploaded tar archive, refusing members that would land outside it."""
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data")


def _add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def build_archives(tmp: Path) -> dict[str, Path]:
    """Three archives, one per trick, each aiming at a file directly in ``tmp``."""
    archives = {}
    for trick in ("dot-dot", "absolute", "symlink"):
        path = tmp / f"{trick}.tar"
        with tarfile.open(path, "w") as tar:
            _add_file(tar, "readme.txt", "harmless")
            if trick == "dot-dot":
                _add_file(tar, "../dot-dot.txt", "planted")
            elif trick == "absolute":
                _add_file(tar, str(tmp / "absolute.txt"), "planted")
            else:
                link = tarfile.TarInfo("escape")
                link.type = tarfile.SYMTYPE
                link.linkname = str(tmp)
                tar.addfile(link)
                _add_file(tar, "escape/symlink.txt", "planted")
        archives[trick] = path
    return archives


def attack(func: Callable[..., None]) -> Outcome:
    """Mallory uploads three archives; does any of them write outside the target folder?"""
    results = []
    escaped = False
    with private_tmpdir() as tmp:
        for trick, archive in build_archives(tmp).items():
            target = tmp / f"out-{trick}"
            target.mkdir()
            try:
                func(str(archive), str(target))
                error = ""
            except (tarfile.TarError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
            planted = (tmp / f"{trick}.txt").exists()
            escaped = escaped or planted
            if planted:
                results.append(f"{trick}: wrote <tmp>/{trick}.txt, outside the target")
            elif error:
                results.append(f"{trick}: refused ({error})")
            else:
                results.append(f"{trick}: extracted, but kept inside the target")
    return Outcome(attack_succeeded=escaped, observed="; ".join(results))


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
        summary="Members named '../x', '/abs/x' or reached through a symlink land anywhere; "
        "extractall(filter='data') refuses them.",
        cwe=22,
        bandit=("B202",),
        modules=("tarfile",),
        page="practices/files",
        insecure=extract_insecure,
        secure=extract_secure,
        attack=attack,
    )
)
