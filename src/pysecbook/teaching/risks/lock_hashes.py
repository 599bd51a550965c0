"""A lock file without hashes trusts whatever bytes the index serves today.

An exact pin (``name==1.0``) names a version, not a file. If the file behind that version
changes (a compromised index or mirror, a replaced upload, a tampering proxy), ``pip install
-r`` installs the new bytes without a word. A hash per requirement, as ``pip-compile
--generate-hashes`` writes it, makes pip check the bytes: it refuses any file whose SHA-256
is not in the lock. Book page: ``book/culture/supply-chain``.
"""

from __future__ import annotations

from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir
from pysecbook.teaching.supply_chain import (
    PipRun,
    build_index,
    build_wheel,
    pip_install,
    sha256_of,
    wheel_name_version,
)

#: The package the maintainer released and locked.
HONEST_SOURCE = 'GREETING = "hello from the release the maintainer built"\n'
#: The same name and version, rebuilt by an attacker with different contents.
TAMPERED_SOURCE = 'GREETING = "hello from the attacker, same name, same version"\n'


def lock_line_insecure(wheel: Path) -> str:
    """A lock line as ``pip freeze`` writes it: the exact version, nothing about the bytes."""
    name, version = wheel_name_version(wheel)
    return f"{name}=={version}"


def lock_line_secure(wheel: Path) -> str:
    """A lock line as ``pip-compile --generate-hashes`` writes it: version and SHA-256."""
    name, version = wheel_name_version(wheel)
    return f"{name}=={version} --hash=sha256:{sha256_of(wheel)}"


def install_after_tampering(lock_line: object, workdir: Path) -> PipRun:
    """Lock the honest wheel with ``lock_line``, swap the index's file, install the lock.

    The index first serves the honest ``acme-utils 1.0``; the lock is written from it. Then
    the file on the index is replaced by a wheel with the same name and version and other
    contents, and ``pip install -r requirements.txt`` runs against that index.
    """
    honest = build_wheel(workdir / "release", "acme-utils", "1.0", HONEST_SOURCE)
    line = lock_line(honest)  # type: ignore[operator]
    (workdir / "requirements.txt").write_text(line + "\n", encoding="utf-8")
    tampered = build_wheel(workdir / "tampered", "acme-utils", "1.0", TAMPERED_SOURCE)
    url = build_index(workdir / "index", [tampered])
    return pip_install(["--index-url", url, "-r", "requirements.txt"],
                       workdir=workdir, target=workdir / "site-packages")


def attack(lock_line: object) -> Outcome:
    """The attacker replaces the file behind ``acme-utils==1.0`` on the index."""
    with private_tmpdir() as tmp:
        run = install_after_tampering(lock_line, tmp)
        text = run.module_text("acme_utils") or ""
    if run.ok and "attacker" in text:
        return Outcome(True, f"pip installed the tampered wheel: acme_utils.py says {text.strip()}")
    if run.ok:
        return Outcome(False, f"pip installed the honest wheel: {text.strip()}")
    return Outcome(False, f"pip refused to install: {run.error()}")


RISK = register(
    Risk(
        id="PSB-LOCK-NO-HASHES",
        title="Lock files without hashes",
        summary="An exact pin names a version, not its bytes: a replaced file installs silently.",
        cwe=494,
        bandit=(),
        no_static_rule="both versions build a text line; a lock without hashes is a property "
                       "of the file, which pip --require-hashes checks when installing.",
        modules=("pip",),
        page="culture/supply-chain",
        insecure=lock_line_insecure,
        secure=lock_line_secure,
        attack=attack,
    )
)
