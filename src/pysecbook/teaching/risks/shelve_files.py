"""Opening a shelf unpickles it.

:mod:`shelve` stores every value as a pickle in a ``dbm`` database, so reading a shelf
that somebody else wrote (an uploaded "settings" file, a cache in a shared directory) is
unpickling their data. The attack builds a shelf whose value is a pickle payload, and JSON
settings that spell the same call, and has the victim read each, in a child interpreter
inside a private temporary directory.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import json
import os
import shelve  # nosec B403 - the module demonstrates why opening untrusted shelves is unsafe
import stat
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.pickling import (MarkerPayload, attack_with, file_writer,
                                               json_lookalikes, stalls_in_child)


def read_settings_insecure(path: str) -> dict[str, object]:
    """Read user settings stored with shelve."""
    with shelve.open(path, flag="r") as db:  # nosec B301 - deliberately insecure: demonstration of PSB-SHELVE-OPEN
        return dict(db)


#: The largest settings file :func:`read_settings_secure` reads.
MAX_SETTINGS_BYTES = 64 * 1024


def read_settings_secure(path: str) -> dict[str, object]:
    """Read user settings stored as JSON: a file of data, whoever wrote it.

    The file is opened without following a final symbolic link and without waiting for a
    writer, and is read only if what was opened is a regular file of at most
    :data:`MAX_SETTINGS_BYTES`.

    Assumes: the directories on the way to ``path`` are the application's (a link there is
    followed), and the process may read whatever regular file the name leads to, so a hard
    link to one of the user's files is read as settings; only a JSON object comes back.
    Does not stop: settings that are valid JSON but wrong for the application (a theme named
    ``"<script>"``): check each value before use. Where the platform has no ``O_NOFOLLOW``
    (Windows), a final link is followed as well.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with open(os.open(path, flags), "rb") as file:  # a FIFO opens at once, and is refused below
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("settings must be a regular file")
        data = file.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        raise ValueError(f"settings larger than {MAX_SETTINGS_BYTES} bytes")
    try:
        settings = json.loads(data)
    except RecursionError:  # 64 KiB of '[' nests deeper than the decoder recurses
        raise ValueError("settings nested too deeply") from None
    if not isinstance(settings, dict):
        raise ValueError("settings must be a JSON object")
    return settings


def read_settings_first_try(path: str) -> dict[str, object]:
    """The first secure version: JSON, read with ``read_text``.

    Kept to show the adapted attacks beating it: in a directory someone else can write, the
    name can be a FIFO, on which ``open`` waits for ever, or a sparse file of gigabytes that
    ``read_text`` tries to hold in memory at once.
    """
    settings = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(settings, dict):
        raise ValueError("settings must be a JSON object")
    return settings


def read_settings_migrating_first_try(path: str) -> dict[str, object]:
    """A first fix during a migration: read JSON, and fall back to the old shelf for files
    that are not JSON yet.

    Kept to show an adapted attack beating it: the fallback opens whatever shelf it is given.
    """
    try:
        return read_settings_secure(path)
    except (OSError, ValueError):
        with shelve.open(path, flag="r") as db:  # nosec B301 - deliberately insecure: demonstration of PSB-SHELVE-OPEN
            return dict(db)


def build_malicious_shelf(directory: Path, name: str = "settings") -> str:
    """Write Mallory's shelf: one ordinary key, whose value unpickles into her code."""
    with shelve.open(str(directory / name), flag="n") as db:  # nosec B301 - writes the demonstration payload, loads nothing
        db["theme"] = MarkerPayload()
    return name


def shelf_backend() -> str:
    """Which ``dbm`` module writes shelves on this interpreter, and the files one makes."""
    import dbm

    from pysecbook.lab.child import private_tmpdir

    with private_tmpdir() as tmp:
        name = build_malicious_shelf(tmp)
        kind = dbm.whichdb(str(tmp / name))
        files = sorted(p.name for p in tmp.iterdir())
    return f"{kind}: {', '.join(files)}"


def attack_shelf_to_the_fallback(func: Callable[..., object]) -> Outcome:
    """Mallory hands over her shelf where a JSON file is expected, hoping for a code path that
    still knows the old format."""
    return attack_with(func, {"shelf": build_malicious_shelf}, mode="path")


def _fifo(tmp: Path) -> str:
    os.mkfifo(tmp / "settings.json", 0o600)
    return "settings.json"


def _sparse(tmp: Path) -> str:
    with open(tmp / "settings.json", "wb") as file:
        file.truncate(4 * 2**30)  # a hole: no disk space is used
    return "settings.json"


def attack_fifo(func: Callable[..., object]) -> Outcome:
    """In a directory she can write, Mallory replaces the settings file with a named pipe: an
    open for reading waits until someone writes to it. The reader has two seconds."""
    stalled, observed = stalls_in_child(func, _fifo, mode="path")
    return Outcome(stalled, f"settings.json is a FIFO: {observed}")


def attack_sparse_file(func: Callable[..., object]) -> Outcome:
    """Mallory's settings file is a sparse file of 4 GiB, cheap to make; the reader runs under
    a 2 GiB memory limit and a two-second limit, and any attempt to hold it all fails them."""
    stalled, observed = stalls_in_child(func, _sparse, mode="path")
    out_of_memory = "MemoryError" in observed
    if out_of_memory:
        observed = "the reader asked for all 4 GiB at once, past the child's 2 GiB memory limit"
    return Outcome(stalled or out_of_memory, f"settings.json is a 4 GiB sparse file: {observed}")


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory hands over a settings file: a shelf whose value runs her code, and the same
    call spelt in JSON settings; the victim opens each and reads the values."""
    builds = {"shelf": build_malicious_shelf}
    builds.update({label: file_writer("settings.json", doc) for label, doc in json_lookalikes().items()})
    return attack_with(func, builds, mode="path")


RISK = register(
    Risk(
        id="PSB-SHELVE-OPEN",
        title="Opening an untrusted shelf runs code",
        summary="shelve stores values as pickles: reading a shelf somebody else wrote "
        "unpickles their data.",
        cwe=502,
        bandit=("B301",),
        modules=("shelve", "pickle", "dbm"),
        page="practices/deserialization",
        insecure=read_settings_insecure,
        secure=read_settings_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("her shelf, given to a reader that falls back to shelve for files "
                          "that are not JSON", "variant", attack_shelf_to_the_fallback,
                          beats=read_settings_migrating_first_try),
            AdaptedAttack("settings.json replaced by a named pipe (FIFO)", "links-races",
                          attack_fifo, beats=read_settings_first_try),
            AdaptedAttack("settings.json as a sparse file of 4 GiB", "exhaustion",
                          attack_sparse_file, beats=read_settings_first_try),
        ),
    )
)
