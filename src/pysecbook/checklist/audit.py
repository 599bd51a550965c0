"""Look pinned dependencies up in a vulnerability database with pip-audit, safely.

pip-audit runs in a child process, with a timeout, a private temporary directory for its
requirements file and cache, ``--disable-pip --no-deps`` so that it never creates a virtual
environment or installs anything, and only the ``name==version`` pins that pysecbook itself
parsed (so no option from the target's files reaches its command line).

Offline, pip-audit marks every dependency "could not be audited" and, without ``--strict``,
prints "No known vulnerabilities found" with exit code 0. That is not a pass: any skipped
dependency makes the result ``error``. Book page: ``book/checklist/could`` (check C3).
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - pip-audit runs as a child process with fixed arguments
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from pysecbook.sandbox import MINIMAL_ENV, private_tmpdir

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class AuditResult:
    """What pip-audit said. ``status`` is "pass", "fail" or "error"."""

    status: str
    summary: str
    details: list[str] = field(default_factory=list)


def audit_pins(pins: Sequence[tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT) -> AuditResult:
    """Audit ``(name, version)`` pins with pip-audit; ``error`` when it cannot look them up."""
    if not pins:
        return AuditResult("pass", "nothing to audit")
    with private_tmpdir("pysecbook-audit-") as tmp:
        req = tmp / "requirements.txt"
        req.write_text("".join(f"{name}=={version}\n" for name, version in pins), encoding="utf-8")
        cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", str(req),
               "-f", "json", "--progress-spinner", "off", "--cache-dir", str(tmp / "cache")]
        env = {**MINIMAL_ENV, "HOME": str(tmp)}
        try:
            done = subprocess.run(  # nosec B603 - fixed argument list, no shell
                cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp, check=False
            )
        except subprocess.TimeoutExpired:
            return AuditResult("error", f"could not audit: pip-audit did not finish in {timeout:.0f} s")
        except OSError as exc:
            return AuditResult("error", f"could not audit: pip-audit did not start ({exc})")
    try:
        data = json.loads(done.stdout)
        deps = data["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return AuditResult("error", "could not audit: pip-audit could not reach its "
                           "vulnerability service or failed", [last])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    details = [
        f"{d['name']} {d.get('version', '')}: {v.get('id')} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release yet'})"
        for d in vulnerable for v in d["vulns"]
    ]
    if vulnerable:
        return AuditResult("fail", f"{len(vulnerable)} of {len(deps)} pinned dependencies have "
                           f"known vulnerabilities", details)
    if skipped:
        return AuditResult(
            "error",
            f"could not audit {len(skipped)} of {len(deps)} pinned dependencies: the "
            "vulnerability service could not be reached (pip-audit's 'No known "
            "vulnerabilities found' would be a silent pass)",
            [str(d["skip_reason"]) for d in skipped],
        )
    return AuditResult("pass", f"no known vulnerabilities in {len(deps)} pinned dependencies")
