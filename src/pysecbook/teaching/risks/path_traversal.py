"""A user-supplied file name escapes its base directory.

``Path(base) / name`` does not keep ``name`` inside ``base``: ``..`` components walk out of
it, an absolute ``name`` replaces ``base`` altogether, and a symbolic link inside ``base`` can
point anywhere. Resolving the joined path and checking that it is still under the resolved
base closes all three. The attack reads a "secret" file next to the base directory, inside a
private temporary directory.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

SECRET = "db_password=hunter2"  # nosec B105 - a fake secret the attack tries to read


def read_upload_insecure(base: str, name: str) -> bytes:
    """Return the content of the uploaded file ``name``."""
    return (Path(base) / name).read_bytes()


def read_upload_secure(base: str, name: str) -> bytes:
    """Return the content of the uploaded file ``name``, which must resolve inside ``base``."""
    root = Path(base).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise PermissionError(f"{name!r} is outside the upload directory")
    return target.read_bytes()


def attack_names(tmp: Path) -> dict[str, str]:
    """The names Mallory tries, each with the trick it uses."""
    return {
        "dot-dot": "../secret.txt",
        "absolute": str(tmp / "secret.txt"),
        "symlink": "avatar.png",
    }


def attack(func: Callable[..., bytes]) -> Outcome:
    """Mallory asks for files by name and tries to read ``secret.txt`` outside the uploads."""
    results = []
    leaked = False
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        (uploads / "report.txt").write_text("quarterly report", encoding="utf-8")
        (tmp / "secret.txt").write_text(SECRET, encoding="utf-8")
        # A link Mallory managed to place among the uploads (say, through an archive).
        (uploads / "avatar.png").symlink_to(tmp / "secret.txt")
        for trick, name in attack_names(tmp).items():
            try:
                data = func(str(uploads), name)
            except OSError as exc:
                results.append(f"{trick}: refused ({type(exc).__name__})")
                continue
            got_secret = SECRET.encode() in data
            leaked = leaked or got_secret
            results.append(f"{trick}: {'read the secret' if got_secret else 'read a file'}")
    return Outcome(attack_succeeded=leaked, observed="; ".join(results))


RISK = register(
    Risk(
        id="PSB-PATH-TRAVERSAL",
        title="A user-supplied name escapes the base directory",
        summary="Joining a base directory and a user's file name lets '..', absolute names "
        "and symlinks reach any file the process can read.",
        cwe=22,
        bandit=(),
        no_static_rule="joining a base directory and a name is everyday code; only the "
                       "containment check after it makes it safe, and it can take many forms.",
        modules=("pathlib", "os.path"),
        page="practices/files",
        insecure=read_upload_insecure,
        secure=read_upload_secure,
        attack=attack,
    )
)
