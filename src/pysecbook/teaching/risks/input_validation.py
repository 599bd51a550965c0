"""A denylist is beaten by a spelling its author did not think of; an allowlist is not.

An upload feature stores files under a name the client chooses. The insecure version removes
``../`` and refuses script extensions (a denylist); the secure version accepts only names that
fully match what is allowed (``re.fullmatch``) and refuses everything else.

A name that matches the allowlist is still a name in a directory: if a file or a link of that
name is already there, writing to it replaces another user's upload or writes wherever the
link points. The secure version creates a new file and nothing else (mode ``"xb"``: it fails
if the name exists, link or not), and refuses the names that Windows reserves for devices
(``CON.txt``, ``NUL.pdf``), which match the pattern.
Book page: ``book/practices/input-validation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


#: Names Windows gives to devices, whatever their extension (``CON.txt`` is the console).
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                             *(f"lpt{i}" for i in range(1, 10))})


def save_upload_first_try(upload_dir: Path, name: str, data: bytes) -> Path:
    """A first fix: the name must fully match an allowlist, and is then written.

    Kept to show the adapted attack beating it: writing replaces a file already there, or
    follows a link of that name out of the directory.
    """
    if not ALLOWED_NAME.fullmatch(name):
        raise ValueError(f"file name not allowed: {name!r}")
    target = upload_dir / name
    target.write_bytes(data)
    return target


def save_upload_secure(upload_dir: Path, name: str, data: bytes) -> Path:
    """Store an upload; the name must fully match an allowlist, or it is refused, and the file
    must be new.

    Assumes: ``upload_dir`` is the server's own directory, which no other user can write and
    whose path has no links an attacker controls; a name is used once (a second upload under
    the same name is refused, not stored).
    Does not stop: what is in the file (a ``.pdf`` may hold anything: serve uploads as
    attachments with their type checked); the size of ``data`` (bound the request body); many
    uploads filling the disk.
    """
    if not ALLOWED_NAME.fullmatch(name) or name.split(".")[0].lower() in WINDOWS_DEVICES:
        raise ValueError(f"file name not allowed: {name!r}")
    target = upload_dir / name
    try:
        with target.open("xb") as f:  # a new file: never an existing one, never through a link
            f.write(data)
    except FileExistsError:
        raise ValueError(f"a file named {name!r} already exists") from None
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


def attack_existing_names(func: object) -> Outcome:
    """Upload under names that already exist in the upload directory: another user's
    ``report.pdf``, and ``notes.txt``, a link left there that points at a file outside."""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        (uploads / "report.pdf").write_bytes(b"%PDF alice's report")
        (tmp / "settings.txt").write_bytes(b"debug = false")
        (uploads / "notes.txt").symlink_to(tmp / "settings.txt")
        answers = []
        for name in ("report.pdf", "notes.txt"):
            try:
                func(uploads, name, b"attacker data")  # type: ignore[operator]
                answers.append(f"{name}: written")
            except ValueError as exc:
                answers.append(f"{name}: refused ({exc})")
        targets = {"alice's report.pdf": uploads / "report.pdf",
                   "settings.txt outside uploads/": tmp / "settings.txt"}
        changed = [label for label, path in targets.items()
                   if path.read_bytes() == b"attacker data"]
    return Outcome(
        attack_succeeded=bool(changed),
        observed=(f"overwritten: {', '.join(changed)}" if changed else "nothing overwritten")
        + f" ({'; '.join(answers)})",
    )


def attack_other_spellings(func: object) -> Outcome:
    """Names that reach outside the upload directory or smuggle a script past a check on the
    text: an absolute path, a backslash, a doubled dot, a trailing dot, a NUL byte, a
    fullwidth solidus or full stop (which NFKC folds to ``/`` and ``.``), a double extension."""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        names = (str(tmp / "absolute.txt"), "..\\backslash.txt", ".../dots.txt",
                 "run.py.", "run.py\x00.txt", "..\uff0ffullwidth.txt", "run\uff0epy",
                 "run.py.txt", "run.php")
        stored = []
        for name in names:
            try:
                stored.append(Path(func(uploads, name, b"attacker data")))  # type: ignore[operator]
            except (ValueError, OSError):
                pass
        outside = [str(p.resolve().relative_to(tmp.resolve())) for p in stored
                   if not p.resolve().is_relative_to(uploads.resolve())]
    return Outcome(
        attack_succeeded=bool(outside),
        observed=(f"written outside uploads/: {outside}; " if outside else
                  "nothing written outside uploads/; ")
        + f"{len(stored)} of {len(names)} names stored",
    )


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
        adapted=(
            AdaptedAttack("an allowed name that already exists: another user's file, or a link "
                          "out of the directory", "links-races", attack_existing_names,
                          beats=save_upload_first_try),
            AdaptedAttack("an absolute path, a backslash, a trailing dot, a NUL byte, a "
                          "fullwidth solidus, a double extension", "encoding",
                          attack_other_spellings),
        ),
    )
)
