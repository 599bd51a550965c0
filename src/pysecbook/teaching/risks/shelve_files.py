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
import shelve  # nosec B403 - the module demonstrates why opening untrusted shelves is unsafe
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks.pickling import MarkerPayload, attack_with, file_writer, json_lookalikes


def read_settings_insecure(path: str) -> dict[str, object]:
    """Read user settings stored with shelve."""
    with shelve.open(path, flag="r") as db:  # nosec B301 - deliberately insecure: demonstration of PSB-SHELVE-OPEN
        return dict(db)


def read_settings_secure(path: str) -> dict[str, object]:
    """Read user settings stored as JSON: a file of data, whoever wrote it."""
    settings = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(settings, dict):
        raise ValueError("settings must be a JSON object")
    return settings


def build_malicious_shelf(directory: Path, name: str = "settings") -> str:
    """Write Mallory's shelf: one ordinary key, whose value unpickles into her code."""
    with shelve.open(str(directory / name), flag="n") as db:  # nosec B301 - writes the demonstration payload, loads nothing
        db["theme"] = MarkerPayload()
    return name


def shelf_backend() -> str:
    """Which ``dbm`` module writes shelves on this interpreter, and the files one makes."""
    import dbm

    from pysecbook.teaching.sandbox import private_tmpdir

    with private_tmpdir() as tmp:
        name = build_malicious_shelf(tmp)
        kind = dbm.whichdb(str(tmp / name))
        files = sorted(p.name for p in tmp.iterdir())
    return f"{kind}: {', '.join(files)}"


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
    )
)
