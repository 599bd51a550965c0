"""A lock file without hashes trusts whatever bytes the index serves today.

An exact pin (``name==1.0``) names a version, not a file. If the file behind that version
changes (a compromised index or mirror, a replaced upload, a tampering proxy), ``pip install
-r`` installs the new bytes without a word. A hash per requirement, as ``pip-compile
--generate-hashes`` writes it, makes pip check the bytes: it refuses any file whose SHA-256
is not in the lock. The adapted attacks add a file to the locked release instead of replacing
it, and publish a higher version of a dependency the lock does not name.
Book page: ``book/culture/supply-chain``.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
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
    """A lock line as ``pip-compile --generate-hashes`` writes it: version and SHA-256.

    One line with a hash switches pip into hash-checking mode for the whole install: every
    file must match a hash of its line, and every requirement, dependencies included, must
    be pinned with ``==`` and hashed, or nothing is installed.

    Assumes: the wheel hashed is the one that was reviewed (the lock is written from a
    trusted download, not from whatever the index served that day); every dependency gets a
    line too, as lock tools write them; and the lock file is reviewed like code.
    Does not stop: a hash added to an existing line (pip accepts any of a line's hashes, so a
    lock-file diff that adds one admits another file); a malicious release that was locked
    on purpose; and code that a locked package downloads or runs at run time.
    """
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


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def rewrite_wheel(wheel: Path, directory: Path, *, tag: str | None = None,
                  requires: tuple[str, ...] = ()) -> Path:
    """A copy of ``wheel`` in ``directory``, with another compatibility tag (and file name)
    or extra ``Requires-Dist`` lines, its ``RECORD`` rewritten to match."""
    with zipfile.ZipFile(wheel) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    record = next(name for name in files if name.endswith(".dist-info/RECORD"))
    del files[record]
    for name in list(files):
        if tag and name.endswith(".dist-info/WHEEL"):
            files[name] = files[name].replace(b"Tag: py3-none-any", f"Tag: {tag}".encode())
        if requires and name.endswith(".dist-info/METADATA"):
            files[name] += "".join(f"Requires-Dist: {r}\n" for r in requires).encode()
    files[record] = ("".join(f"{name},{_record_hash(data)},{len(data)}\n"
                             for name, data in files.items()) + f"{record},,\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / (wheel.name.replace("py3-none-any", tag) if tag else wheel.name)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return out


def _install_lock(lock: list[str], url: str, workdir: Path) -> PipRun:
    (workdir / "requirements.txt").write_text("\n".join(lock) + "\n", encoding="utf-8")
    return pip_install(["--index-url", url, "-r", "requirements.txt"],
                       workdir=workdir, target=workdir / "site-packages")


def attack_new_file_in_release(lock_line: object) -> Outcome:
    """Leave the locked file alone and add another to the same release: a wheel tagged for
    this Python only (``py311``), which pip prefers to the generic ``py3`` one."""
    with private_tmpdir() as tmp:
        honest = build_wheel(tmp / "release", "acme-utils", "1.0", HONEST_SOURCE)
        line = lock_line(honest)  # type: ignore[operator]
        tampered = build_wheel(tmp / "tampered", "acme-utils", "1.0", TAMPERED_SOURCE)
        specific = rewrite_wheel(tampered, tmp / "specific", tag="py311-none-any")
        url = build_index(tmp / "index", [honest, specific])
        run = _install_lock([line], url, tmp)
        text = (run.module_text("acme_utils") or "").strip()
    if not run.ok:
        return Outcome(False, f"pip refused: {run.error()}")
    return Outcome("attacker" in text, f"the index serves the locked py3 wheel and the "
                                       f"attacker's {specific.name}; pip installed: {text}")


def attack_unlocked_dependency(lock_line: object) -> Outcome:
    """The locked release depends on ``acme-core``, which the lock does not name; the
    attacker publishes ``acme-core 99.0``."""
    with private_tmpdir() as tmp:
        plain = build_wheel(tmp / "release", "acme-utils", "1.0", HONEST_SOURCE)
        honest = rewrite_wheel(plain, tmp / "with-dependency", requires=("acme-core",))
        line = lock_line(honest)  # type: ignore[operator]
        core = build_wheel(tmp / "core", "acme-core", "1.0", 'ORIGIN = "the real acme-core"\n')
        evil = build_wheel(tmp / "evil", "acme-core", "99.0", 'ORIGIN = "the attacker"\n')
        url = build_index(tmp / "index", [honest, core, evil])
        run = _install_lock([line], url, tmp)
        installed = run.installed()
    if not run.ok:
        return Outcome(False, f"pip refused: {run.error()}")
    return Outcome(installed.get("acme-core") == "99.0", f"pip installed {installed}")


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
        adapted=(
            AdaptedAttack("a second file added to the locked release, with a tag pip prefers",
                          "links-races", attack_new_file_in_release),
            AdaptedAttack("a dependency the lock does not name, published at version 99.0",
                          "variant", attack_unlocked_dependency),
        ),
    )
)
