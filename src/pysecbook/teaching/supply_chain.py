"""Package indexes, wheels and pip, all local: the supply chain on one machine.

The supply-chain demonstrations of the book need a package index, an attacker's index and
wheels whose bytes change. Here every one of them is a directory in a private temporary
directory: wheels are built by hand with :mod:`zipfile` (a wheel is a zip archive with a
``.dist-info`` folder: :func:`~pysecbook.lab.builders.build_wheel`, re-exported here for the
pages), an index is a folder laid out as the "simple" repository API that
pip reads through a ``file://`` URL, and pip runs in a child interpreter with its own
configuration files and environment variables switched off, so neither the network nor the
machine's pip settings can take part.
Book page: ``book/culture/supply-chain``.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from pysecbook.lab.builders import build_wheel
from pysecbook.lab.child import Completed, last_line, offline_env, run_python

__all__ = ["PIP_ENV", "PIP_TIMEOUT", "PUBLISH_PREDICATE", "PipRun", "attestation_statement",
           "build_index", "build_wheel", "matches_statement", "pip_install", "sha256_of",
           "wheel_name_version"]

#: Environment for every pip child: no configuration file, no index, no cache.
PIP_ENV: Mapping[str, str] = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
}

#: How long one pip run may take before it is killed.
PIP_TIMEOUT = 60.0


def sha256_of(path: Path) -> str:
    """The hex SHA-256 digest of a file, as a lock file records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_name_version(wheel: Path) -> tuple[str, str]:
    """Distribution name and version from a wheel's file name (``name-version-...whl``)."""
    name, version = wheel.name.split("-")[:2]
    return canonicalize_name(name), version


def build_index(root: Path, wheels: Sequence[Path], *,
                yanked: Mapping[str, str] | None = None) -> str:
    """Lay ``wheels`` out under ``root`` as a "simple" index; return its ``file://`` URL.

    Each project gets ``root/NAME/index.html`` linking to its files, each link carrying the
    file's ``#sha256=`` digest as PyPI's links do (PEP 503). The wheels are copied, so the
    index owns its own bytes; building an index again over the same ``root`` adds to it and
    replaces files of the same name. ``yanked`` maps file names to the reason their release
    was yanked: their links carry ``data-yanked`` (PEP 592), as an index marks them.
    """
    yanked = dict(yanked or {})
    by_project: dict[str, list[Path]] = {}
    for wheel in wheels:
        project = canonicalize_name(wheel.name.split("-")[0])
        by_project.setdefault(project, []).append(wheel)
    root.mkdir(parents=True, exist_ok=True)
    for project, files in by_project.items():
        folder = root / project
        folder.mkdir(exist_ok=True)
        for wheel in files:
            (folder / wheel.name).write_bytes(wheel.read_bytes())
        links = []
        for wheel in sorted(folder.glob("*.whl")):
            href = f"{wheel.name}#sha256={sha256_of(wheel)}"
            mark = (f' data-yanked="{html.escape(yanked[wheel.name])}"'
                    if wheel.name in yanked else "")
            links.append(f'<a href="{html.escape(href)}"{mark}>{html.escape(wheel.name)}</a><br>')
        (folder / "index.html").write_text(
            "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n",
            encoding="utf-8",
        )
    every = sorted(p.name for p in root.iterdir() if (p / "index.html").is_file())
    projects = "\n".join(f'<a href="{p}/">{p}</a><br>' for p in every)
    (root / "index.html").write_text(
        f"<!DOCTYPE html>\n<html><body>\n{projects}\n</body></html>\n", encoding="utf-8"
    )
    return root.resolve().as_uri() + "/"


@dataclass(frozen=True)
class PipRun:
    """One ``pip install`` in a child interpreter: the command, what it did, what it left."""

    args: tuple[str, ...]
    completed: Completed
    target: Path

    @property
    def ok(self) -> bool:
        return self.completed.ok

    def installed(self) -> dict[str, str]:
        """``{name: version}`` of every distribution pip put into the target directory."""
        found = {}
        if self.target.is_dir():
            for meta in self.target.glob("*.dist-info/METADATA"):
                fields = dict(
                    line.split(": ", 1) for line in meta.read_text("utf-8").splitlines()
                    if ": " in line
                )
                found[canonicalize_name(fields["Name"])] = fields["Version"]
        return found

    def module_text(self, module: str) -> str | None:
        """The source of an installed module, read (never imported), or None."""
        path = self.target / f"{module}.py"
        return path.read_text("utf-8") if path.is_file() else None

    def error(self) -> str:
        """pip's own explanation when it refused: its first sentence, and any hash lines."""
        lines = [line.strip() for line in self.completed.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR:")]
        if not errors:
            return last_line(self.completed.stderr)
        parts = [line.split(". ", 1)[0].rstrip(".") + "." for line in errors[:3]]
        parts += [" ".join(line.split()) for line in lines
                  if line.startswith(("Expected sha256", "Got ")) or "--hash=sha256:" in line]
        return " | ".join(dict.fromkeys(parts))

    def warning(self) -> str:
        """pip's warnings, shortened: the first clause of each, and any yank reason."""
        lines = [line.strip() for line in self.completed.stderr.splitlines() if line.strip()]
        parts = [line.split(": '", 1)[0] for line in lines if line.startswith("WARNING:")]
        parts += [line for line in lines if line.startswith("Reason for being yanked")]
        return " | ".join(parts)

    def __str__(self) -> str:
        status = "timed out" if self.completed.timed_out else f"exit code {self.completed.returncode}"
        shown = " ".join(a if "://" not in a else "file://.../" + a.rstrip("/").rsplit("/", 1)[-1]
                         for a in self.args)
        verdict = (f"installed {self.installed()}" if self.ok else f"refused: {self.error()}")
        if self.ok and self.warning():
            verdict += f"\n  {self.warning()}"
        return f"$ pip {shown}\n  ({status}) {verdict}"


def pip_install(args: Sequence[str], *, workdir: Path, target: Path,
                timeout: float = PIP_TIMEOUT) -> PipRun:
    """Run ``python -m pip install --target TARGET ARGS`` in a child, offline by construction.

    The child starts from the sandbox's minimal environment plus :data:`PIP_ENV`: pip reads no
    configuration file and no ``PIP_*`` variable of the machine and uses no cache. ``args``
    must name its indexes (``--index-url file://...``) or say ``--no-index``; without either,
    ``--no-index`` is added, so pip can never fall back to a default index.
    """
    shown = tuple(args)
    if "--no-index" not in shown and "--index-url" not in shown:
        shown = ("--no-index", *shown)
    argv = ("install", "--no-cache-dir", "--disable-pip-version-check", "--no-compile",
            "--target", str(target), *shown)
    done = run_python(None, cwd=workdir, flags=["-m", "pip"], args=argv,
                      env={"HOME": str(workdir), **PIP_ENV, **offline_env()}, timeout=timeout)
    return PipRun(("install", *shown), done, target)


#: Stand-in for PEP 740's publish attestation predicate type (see attestation_statement).
PUBLISH_PREDICATE = "PEP 740 publish attestation, v1"


def attestation_statement(wheel: Path) -> dict[str, object]:
    """The in-toto statement a PyPI publish attestation signs for ``wheel`` (PEP 740).

    The subject is the file name and its SHA-256; the predicate type says "this file was
    published". Sigstore signs this statement with a short-lived key whose certificate
    names the publisher's identity; nothing here is signed: it shows what would be.

    The real predicate type is the "publish/v1" URI that PEP 740 defines on the index's
    documentation site; the project names package indexes only by name, so a stand-in
    label is used here. A verifier compares it exactly.
    """
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": wheel.name, "digest": {"sha256": sha256_of(wheel)}}],
        "predicateType": PUBLISH_PREDICATE,
        "predicate": None,
    }


def matches_statement(wheel: Path, statement: Mapping[str, object]) -> bool:
    """Whether ``wheel`` is the file ``statement`` is about: same name, same SHA-256."""
    subjects = statement.get("subject")
    if not isinstance(subjects, list):
        return False
    digest = sha256_of(wheel)
    return any(s.get("name") == wheel.name and s.get("digest", {}).get("sha256") == digest
               for s in subjects if isinstance(s, dict))
