"""Look pinned dependencies up in a vulnerability database with pip-audit, safely.

pip-audit runs through the lab's runner (:func:`pysecbook.lab.pip_audit.run_pip_audit`): in
a child process, with a timeout, a private temporary directory for its requirements file and
cache, ``--disable-pip --no-deps`` so that it never creates a virtual environment or installs
anything, and only the ``name==version`` pins that pysecbook itself parsed (so no option from
the target's files reaches its command line). The child starts from a minimal environment:
no PYTHON*, PIP_*, proxy, index or credential settings of the caller leak in, except the
ones this module passes on purpose (``env``).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pysecbook.lab.pip_audit import run_pip_audit

DEFAULT_TIMEOUT = 60.0
SERVICES = ("pypi", "osv")


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
    options = ["-f", "json", "--vulnerability-service", service]
    if osv_url:
        options += ["--osv-url", osv_url]
    requirements = "".join(f"{n}=={v}\n" for n, v in pins)
    try:
        # No CPU or memory limit: the check's verdict is pip-audit's, not the limit's.
        done = run_pip_audit(requirements, options=options, env=env, timeout=timeout, limits=False)
    except OSError as exc:
        return AuditResult("error", f"could not audit: pip-audit did not start ({exc})")
    if done.timed_out:
        return AuditResult("error", f"could not audit: pip-audit did not finish in {timeout:.0f} s")
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
