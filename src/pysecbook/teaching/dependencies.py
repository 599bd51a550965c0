"""Keeping dependencies updated: compare versions with advisories, and know your tools' limits.

The page shows the core of what every dependency auditor does (is the installed version
older than the first fixed version of an advisory?), with ``packaging`` and a small advisory
extract shipped as data, and runs ``pip-audit`` offline to show what it reports when it
cannot reach its vulnerability service.
Book page: ``book/practices/dependencies``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import metadata, resources

from packaging.requirements import InvalidRequirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pysecbook.checker.declarations import TargetFiles, is_pinned, read_requirements
from pysecbook.lab import pip_audit
from pysecbook.lab.child import Completed, last_line, offline_env

#: A lock file as an old project might have it: exact pins, two of them out of date.
SAMPLE_LOCK = """\
jinja2==3.1.4
setuptools==69.0.2
packaging==24.1
"""


@dataclass(frozen=True)
class Advisory:
    """One advisory: a package, the first affected version and the first fixed one."""

    id: str
    aliases: tuple[str, ...]
    package: str
    summary: str
    introduced: str
    fixed: str

    def affects(self, version: str) -> bool:
        """Whether ``version`` lies in ``[introduced, fixed)``."""
        v = Version(version)
        return Version(self.introduced) <= v < Version(self.fixed)


@dataclass(frozen=True)
class Finding:
    """A pinned or installed version that an advisory affects."""

    package: str
    version: str
    advisory: Advisory

    def __str__(self) -> str:
        a = self.advisory
        return (f"{self.package} {self.version}: {a.id} ({', '.join(a.aliases)}), "
                f"fixed in {a.fixed}: {a.summary}")


def load_advisories() -> list[Advisory]:
    """The advisory extract shipped in ``pysecbook/data/advisories-sample.json``."""
    text = resources.files("pysecbook").joinpath("data/advisories-sample.json").read_text("utf-8")
    return [
        Advisory(
            id=a["id"], aliases=tuple(a["aliases"]), package=canonicalize_name(a["package"]),
            summary=a["summary"], introduced=a["introduced"], fixed=a["fixed"],
        )
        for a in json.loads(text)["advisories"]
    ]


def parse_pins(text: str) -> dict[str, str]:
    """The exact pins (``name==version``) of a requirements file, as ``{canonical name: version}``.

    The file is read as pip reads it (comments, continuations, ``--hash`` options), by the
    checker's requirements reader. Lines that are not exact pins are skipped, and so are
    includes (``-r other.txt``: only this text is read) and lines pip would refuse: an
    unpinned requirement cannot be checked against an advisory without resolving it first.
    """
    reading = read_requirements(TargetFiles.of({"requirements.txt": text.encode("utf-8")}),
                                TargetFiles.source("requirements.txt"))
    pins: dict[str, str] = {}
    for line in reading.requirements:
        try:
            req = line.parse()
        except InvalidRequirement:
            continue
        if is_pinned(req):
            version = next(iter(req.specifier)).version
            try:
                Version(version)
            except InvalidVersion:
                continue  # "===" with a version no advisory can be compared with
            pins[canonicalize_name(req.name)] = version
    return pins


def installed_versions(names: list[str] | None = None) -> dict[str, str]:
    """Installed versions of ``names`` (default: every package an advisory names)."""
    wanted = names or sorted({a.package for a in load_advisories()})
    found: dict[str, str] = {}
    for name in wanted:
        try:
            found[canonicalize_name(name)] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def audit(versions: dict[str, str], advisories: list[Advisory] | None = None) -> list[Finding]:
    """Every advisory that affects one of ``versions``."""
    advisories = advisories if advisories is not None else load_advisories()
    return [
        Finding(name, version, advisory)
        for name, version in sorted(versions.items())
        for advisory in advisories
        if advisory.package == name and advisory.affects(version)
    ]


@dataclass(frozen=True)
class AuditRun:
    """What one ``pip-audit`` run printed and how it exited."""

    argv: tuple[str, ...]
    completed: Completed

    def __str__(self) -> str:
        c = self.completed
        status = "timed out" if c.timed_out else f"exit code {c.returncode}"
        lines = [f"$ pip-audit {' '.join(self.argv)}   ({status})"]
        lines += [f"  {line}" for line in c.stdout.strip().splitlines() if line.strip()]
        if c.stderr.strip():
            lines.append(f"  stderr, last line: {last_line(c.stderr)[:200]}")
        return "\n".join(lines)


def run_pip_audit(requirements: str = SAMPLE_LOCK, *, strict: bool,
                  timeout: float = 30) -> AuditRun:
    """Run ``pip-audit -r`` on ``requirements`` in a child process, in a temporary directory.

    ``--no-deps --disable-pip`` audits the pins as written, without creating a virtual
    environment (which would need the network too). The child's proxy is a port on
    127.0.0.1 that refuses connections (:func:`~pysecbook.lab.child.refusing_address`), so it
    is offline by construction: nothing leaves the machine, wherever the book is built.
    """
    leading = ["--strict"] if strict else []
    done = pip_audit.run_pip_audit(requirements, leading=leading, env=offline_env(), timeout=timeout)
    return AuditRun((*leading, *pip_audit.ARGUMENTS), done)


def python_executable() -> str:
    """The interpreter whose packages are being audited (for the page's record)."""
    return sys.executable
