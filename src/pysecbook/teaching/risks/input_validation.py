"""A denylist is beaten by a spelling its author did not think of; an allowlist is not.

An upload feature stores files under a name the client chooses. The insecure version removes
``../`` and refuses script extensions (a denylist); the secure version accepts only names that
fully match what is allowed (``re.fullmatch``) and refuses everything else.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

#: Extensions the insecure version refuses.
DENIED_SUFFIXES = (".py", ".sh", ".exe")

#: What a stored file name may look like: one plain stem, one known extension.
ALLOWED_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\.(?:txt|pdf|png|jpg)")


def save_upload_insecure(upload_dir: Path, name: str, data: bytes) -> Path:
    """Store an upload; a denylist removes ``../`` and refuses script extensions."""
    name = name.replace("../", "").replace("..\\", "")  # nosec PSB603 - deliberately insecure: demonstration of PSB-INPUT-DENYLIST
    if name.lower().endswith(DENIED_SUFFIXES):
        raise ValueError(f"file type not allowed: {name!r}")
    target = upload_dir / name
    target.write_bytes(data)
    return target


def save_upload_secure(upload_dir: Path, name: str, data: bytes) -> Path:
    """Store an upload; the name must fully match an allowlist, or it is refused."""
    if not ALLOWED_NAME.fullmatch(name):
        raise ValueError(f"file name not allowed: {name!r}")
    target = upload_dir / name
    target.write_bytes(data)
    return target


#: Names an attacker tries; each one gets past the denylist in its own way.
BYPASSES = (
    "....//escaped.txt",  # removing "../" once leaves "../"
    "notes.pyw",  # a Python extension the list forgot
    "run.sh ",  # trailing space: not ".sh" to the check, a shell script to a human
    "report.pdf\n.txt",  # a newline inside the name
)


def try_names(func: object, names: Iterable[str]) -> list[tuple[str, str]]:
    """Give each name to ``func`` in a fresh upload directory; report where the file landed."""
    rows = []
    for name in names:
        with private_tmpdir() as tmp:
            uploads = tmp / "uploads"
            uploads.mkdir()
            try:
                stored = func(uploads, name, b"attacker data")  # type: ignore[operator]
            except ValueError as exc:
                rows.append((name, f"refused ({exc})"))
                continue
            where = Path(stored).resolve().relative_to(tmp.resolve())
            rows.append((name, f"stored as {where.as_posix()!r}"))
    return rows


def attack(func: object) -> Outcome:
    """Upload ``....//escaped.txt``: does a file appear outside the upload directory?"""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        try:
            func(uploads, "....//escaped.txt", b"attacker data")  # type: ignore[operator]
        except ValueError as exc:
            return Outcome(False, f"upload refused: {exc}")
        escaped = (tmp / "escaped.txt").is_file()
        inside = sorted(p.name for p in uploads.iterdir())
    if escaped:
        return Outcome(True, "'....//escaped.txt' became '../escaped.txt': the file was "
                             "written outside the upload directory")
    return Outcome(False, f"file stayed inside the upload directory: {inside}")


RISK = register(
    Risk(
        id="PSB-INPUT-DENYLIST",
        title="A denylist of bad input is bypassed",
        summary="Removing or refusing known-bad spellings misses the next spelling; "
        "accept only input that fully matches what is allowed.",
        cwe=184,
        bandit=(),
        detections=("PSB603",),
        modules=("re", "pathlib"),
        page="practices/input-validation",
        insecure=save_upload_insecure,
        secure=save_upload_secure,
        attack=attack,
    )
)
