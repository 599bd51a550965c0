"""Look pinned dependencies up in a vulnerability database with pip-audit, safely.

pip-audit runs in a child process, with a timeout, a private temporary directory for its
requirements file and cache, ``--disable-pip --no-deps`` so that it never creates a virtual
environment or installs anything, and only the ``name==version`` pins that pysecbook itself
parsed (so no option from the target's files reaches its command line). The child starts
from a minimal environment: no proxy, index or credential settings of the caller leak in,
except the ones this module passes on purpose (``env``).

pip-audit has two silent failure modes, and neither is a pass here:

- when its service cannot be reached at all (a refused connection, a proxy error), it
  crashes with a traceback and a non-zero exit code, and prints no JSON;
- when the service answers "not found" for a package (PyPI's JSON API does for a private
  package, and some offline mirrors do for every package), it marks the package "could not
  be audited" and, without ``--strict``, still ends with "No known vulnerabilities found"
  and exit code 0.

Both become ``error`` (could not audit). Book page: ``book/checklist/could`` (check C3).
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - pip-audit runs as a child process with fixed arguments
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 60.0
SERVICES = ("pypi", "osv")

#: The environment pip-audit starts from: no PYTHON*, PIP_*, proxy or credential variables.
CHILD_ENV: Mapping[str, str] = {"PATH": os.defpath, "LANG": "C.UTF-8",
                                "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class AuditResult:
    """What pip-audit said. ``status`` is "pass", "fail" or "error"."""

    status: str
    summary: str
    details: list[str] = field(default_factory=list)


def audit_pins(pins: Sequence[tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT,
               service: str = "pypi", osv_url: str | None = None,
               env: Mapping[str, str] | None = None) -> AuditResult:
    """Audit ``(name, version)`` pins with pip-audit; ``error`` when it cannot look them up.

    ``service`` is pip-audit's vulnerability service (``pypi`` or ``osv``), ``osv_url`` the
    address of an OSV-compatible API, and ``env`` extra variables for the child (a proxy).
    """
    if service not in SERVICES:
        raise ValueError(f"service must be one of {SERVICES}, not {service!r}")
    if not pins:
        return AuditResult("pass", "nothing to audit")
    with tempfile.TemporaryDirectory(prefix="pysecbook-audit-") as name:
        tmp = Path(name)
        req = tmp / "requirements.txt"
        req.write_text("".join(f"{n}=={v}\n" for n, v in pins), encoding="utf-8")
        cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", str(req),
               "-f", "json", "--progress-spinner", "off", "--cache-dir", str(tmp / "cache"),
               "--vulnerability-service", service]
        if osv_url:
            cmd += ["--osv-url", osv_url]
        child_env = {**CHILD_ENV, "HOME": str(tmp), **(env or {})}
        try:
            done = subprocess.run(  # nosec B603 - fixed argument list, no shell
                cmd, capture_output=True, text=True, timeout=timeout, env=child_env, cwd=tmp,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return AuditResult("error", f"could not audit: pip-audit did not finish in {timeout:.0f} s")
        except OSError as exc:
            return AuditResult("error", f"could not audit: pip-audit did not start ({exc})")
    return interpret(done.stdout, done.stderr)


def interpret(stdout: str, stderr: str) -> AuditResult:
    """The result of one pip-audit run from its JSON output (and its stderr when it has none)."""
    try:
        data = json.loads(stdout)
        deps = data["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = (stderr.strip().splitlines() or ["no output"])[-1][:160]
        return AuditResult("error", "could not audit: pip-audit could not reach its "
                           "vulnerability service or failed", [last])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    details = [
        f"{d['name']} {d.get('version', '')}: {v.get('id')} (fixed in "
        f"{', '.join(v.get('fix_versions') or []) or 'no release yet'})"
        for d in vulnerable for v in d["vulns"]
    ]
    if vulnerable:
        return AuditResult("fail", f"{len(vulnerable)} of {len(deps)} pinned dependencies have "
                           f"known vulnerabilities", details)
    if skipped:
        return AuditResult(
            "error",
            f"could not audit {len(skipped)} of {len(deps)} pinned dependencies: the "
            "vulnerability service answered 'not found' (pip-audit's 'No known "
            "vulnerabilities found' would be a silent pass)",
            [str(d["skip_reason"]) for d in skipped],
        )
    return AuditResult("pass", f"no known vulnerabilities in {len(deps)} pinned dependencies")
