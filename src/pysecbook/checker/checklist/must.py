"""The nine must-do items of the pre-run checklist, one check each.

Book page: ``book/checklist/must`` (one section per check, labelled ``checklist-m1`` ...).
"""

from __future__ import annotations

import re
from collections import Counter

from pysecbook.checker import typosquatting
from pysecbook.checker.checklist import index_evidence
from pysecbook.checker.checklist.base import Check, CheckContext, CheckResult
from pysecbook.checker.scan.model import LEVELS



class _Must(Check):
    """Family base: the must-do items (a failure makes ``pysecbook check`` exit with 1)."""

    level = "must"
    page = "checklist/must"


class M1(_Must):
    """Install only from trusted sources"""

    family = "sources"

    def run(self, ctx: CheckContext) -> CheckResult:
        """An extra package index is the classic dependency-confusion hole: pip takes the
        highest version from any index, so anyone who publishes a same-named package on PyPI
        wins. Dependencies fetched straight from URLs or Git repositories bypass the index
        entirely, and a name one typo away from a popular package is how typosquatters catch
        installs. Fix: install from PyPI or conda-forge only, use a single index (a private
        proxy that mirrors PyPI, not ``--extra-index-url``), and replace URL and VCS
        dependencies with released packages."""
        info = ctx.project
        bad: list[str] = []
        odd: list[str] = []
        for opt in info.index_options:
            where = f"{opt.origin}:{opt.line or '?'}"
            if opt.option == "extra-index-url":
                bad.append(f"{where}: extra index {opt.value} (dependency confusion)")
            elif opt.option == "index-url":
                # The project names package indexes, never their hosts: any replacement of
                # the default index is reported, for a person to confirm it is PyPI or a
                # mirror they trust.
                odd.append(f"{where}: the default index is replaced by {opt.value}")
            elif opt.option in ("find-links", "trusted-host"):
                bad.append(f"{where}: --{opt.option} {opt.value}")
        for dep in info.dependencies:
            if dep.url:
                bad.append(f"{dep.origin}:{dep.line or '?'}: {dep.name or dep.text} comes from "
                           f"{'a VCS repository' if dep.vcs else 'a URL'} ({dep.url})")
        if info.direct_url is not None:
            url = str(info.direct_url.get("url", ""))
            kind = ("a VCS checkout" if "vcs_info" in info.direct_url
                    else "a local directory" if url.startswith("file:") else "a direct URL")
            bad.append(f"installed from {kind} ({url}), not from an index (PEP 610 direct_url.json)")
        if info.name and (suspect := typosquatting.check_name(info.name)):
            bad.append(f"the target's own name: {suspect}")
        from_index = index_evidence.m1(ctx)
        bad, odd = bad + from_index[0], odd + from_index[1]
        if bad:
            return CheckResult("fail", f"{len(bad)} source(s) outside a trusted index", tuple(bad + odd))
        if odd:
            return CheckResult("warn", "a replacement package index is configured: make sure "
                               "it is a mirror you trust", tuple(odd))
        return CheckResult("pass", "no extra index, URL or VCS dependency, or look-alike name found")


class M2(_Must):
    """Run a basic security (SAST) scan"""

    family = "code"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Bandit reads every Python file of the target (nothing is executed) and pysecbook
        adds the red flags of malicious packages: code run at install time, ``.pth`` files,
        ``exec`` of decoded data, hidden Unicode. A finding at or above the ``--fail-on``
        severity (default: high), any red flag at or above it, or any file that could not be
        scanned fails the check. Fix: read each finding; do not run the program until someone
        who can read the code has explained every high-severity one."""
        threshold = LEVELS.index(ctx.fail_on)
        counts = Counter((f.severity, f.confidence) for f in ctx.findings)
        blocking = [f for f in ctx.findings
                    if f.severity in LEVELS and LEVELS.index(f.severity) >= threshold]
        table = ", ".join(
            f"{sev}: {sum(n for (s, _), n in counts.items() if s == sev)}"
            f" ({', '.join(f'{n} {c} confidence' for (s, c), n in sorted(counts.items()) if s == sev)})"
            for sev in reversed(LEVELS) if any(s == sev for s, _ in counts)
        )
        nosec = f"; {ctx.outcome.nosec_count} '# nosec' comment(s) honoured" if ctx.outcome.nosec_count else ""
        scanned = f"{ctx.outcome.files_scanned} Python file(s) scanned"
        details = tuple(
            f"{f.path}:{f.line or '-'}: {f.rule_id} [{f.severity}/{f.confidence}] {f.message}"
            for f in blocking
        ) + tuple(f"not scanned: {u.path}: {u.reason}" for u in ctx.unscanned)
        if ctx.unscanned:
            return CheckResult("fail", f"{len(ctx.unscanned)} file(s) could not be scanned: an "
                               f"incomplete scan is not a pass ({scanned}{nosec})", details)
        if blocking:
            return CheckResult("fail", f"{len(blocking)} finding(s) at or above {ctx.fail_on} "
                               f"severity; {table} ({scanned}{nosec})", details)
        if ctx.findings:
            return CheckResult("warn", f"findings below {ctx.fail_on} severity: {table} "
                               f"({scanned}{nosec})")
        return CheckResult("pass", f"no findings ({scanned}{nosec})")


class M3(_Must):
    """Use a virtual environment"""

    family = "environment"

    def run(self, ctx: CheckContext) -> CheckResult:
        """A program installed into the system interpreter can overwrite packages other
        programs (and the operating system) rely on, and its install-time code runs with
        whatever rights that interpreter has. This check looks at the interpreter running
        ``pysecbook check``: it passes inside a virtual environment, a conda environment or a
        container. Fix: ``python -m venv .venv`` and install the program there."""
        env = ctx.environment
        assert env is not None  # nosec B101 - set by CheckContext.__post_init__
        if env.in_virtual_env:
            return CheckResult("pass", f"running in a virtual environment ({env.virtual_env})")
        if env.isolated:
            return CheckResult("pass", f"running in a container ({env.container})")
        return CheckResult("fail", "this interpreter is the global one: create a virtual "
                           "environment (python -m venv .venv) and install the program there")


class M4(_Must):
    """Be careful with dependencies"""

    family = "dependencies"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Every dependency is code you run. Requirements that are not pinned install
        whatever is newest on the day, pins without hashes trust the index to serve the same
        file forever, a name one edit away from a popular package may be a typosquat, and
        software that needs system libraries or a compiler pulls in code outside pip's view.
        Fix: ship a lock file pinned with hashes (``pip-compile --generate-hashes`` or
        ``uv pip compile --generate-hashes``), install it with ``--require-hashes``, and
        install native dependencies only in an isolated environment."""
        info = ctx.project
        locked = [d for d in info.dependencies if d.locked]
        fail: list[str] = []
        warn: list[str] = []
        for d in info.dependencies:
            where = f"{d.origin}:{d.line or '?'}"
            if d.error:
                fail.append(f"{where}: unreadable requirement {d.text!r} ({d.error})")
            elif d.url:
                fail.append(f"{where}: {d.name or d.text} from a URL or VCS")
            elif d.locked and not d.pinned:
                fail.append(f"{where}: {d.text} is not pinned")
            elif d.locked and not d.hashed:
                warn.append(f"{where}: {d.text} is pinned without a hash")
        names = [d.name for d in info.dependencies if d.name]
        # A look-alike name is a reason to check the spelling, not proof: legitimate forks
        # (``nest-asyncio2``) and namesakes (``uri-template``) are one edit away too.
        warn += [f"dependency {s}: check the spelling" for s in typosquatting.check_names(names)]
        native = [f.path for f in ctx.target.files
                  if f.path.endswith((".c", ".cc", ".cpp", ".pyx", ".rs")) and "/test" not in f.path]
        setup = ctx.target.file("setup.py")
        if setup is not None and re.search(rb"\b(Extension|ext_modules)\b", setup.data):
            native.insert(0, "setup.py builds C extensions")
        for f in ctx.target.files:
            if f.path.count("/") == 0 and f.path.lower().startswith(("readme", "install")):
                m = re.search(rb"(apt-get|apt|yum|dnf|brew|pacman|apk) (install|add|-S)\b", f.data)
                if m:
                    native.append(f"{f.path} asks for system packages ({m.group(0).decode()})")
        if native:
            warn.append("needs a compiler or system packages: " + "; ".join(native[:5]))
        if not locked and any(not d.locked for d in info.dependencies):
            warn.append("dependencies are declared as ranges and no requirements file pins them")
        if fail:
            return CheckResult("fail", f"{len(fail)} risky dependency declaration(s)", tuple(fail + warn))
        if warn:
            return CheckResult("warn", f"{len(warn)} point(s) to review", tuple(warn))
        if not info.dependencies:
            return CheckResult("pass", "no dependencies declared")
        return CheckResult("pass", f"{len(locked)} requirement(s) pinned with hashes")


class M5(_Must):
    """Isolate higher-risk programs"""

    family = "environment"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Python cannot sandbox Python: when a scan raises concerns (a medium or high
        finding, a red flag, a file that could not be scanned), run the program only inside a
        sandbox managed from outside the interpreter, such as a container, a virtual machine or
        a BSD jail, with no access to your files, credentials or network beyond what it needs.
        This check compares the scan with the place ``pysecbook check`` runs in. Fix: rerun
        the program (and this check) inside a container or VM."""
        env = ctx.environment
        assert env is not None  # nosec B101 - set by CheckContext.__post_init__
        concerns = [f for f in ctx.findings if f.source == "redflag" or f.severity in ("medium", "high")]
        n = len(concerns) + len(ctx.unscanned)
        if n == 0:
            return CheckResult("pass", "the scan raised no concern that calls for isolation")
        if env.isolated:
            return CheckResult("pass", f"{n} concern(s), and this runs in a container ({env.container})")
        return CheckResult("fail", f"the scan raised {n} concern(s) and this machine is not a "
                           "container or VM: run the program in an isolated environment")


FOSS_FILE_MARKERS = {
    "MIT": b"Permission is hereby granted, free of charge",
    "Apache-2.0": b"Apache License",
    "BSD-3-Clause": b"Redistribution and use in source and binary forms",
    "GPL-3.0-or-later": b"GNU GENERAL PUBLIC LICENSE",
    "LGPL-3.0-or-later": b"GNU LESSER GENERAL PUBLIC LICENSE",
    "MPL-2.0": b"Mozilla Public License",
    "ISC": b"Permission to use, copy, modify, and/or distribute this software",
    "Unlicense": b"This is free and unencumbered software",
}


def _foss_ids() -> frozenset[str]:
    from importlib import resources

    text = resources.files("pysecbook").joinpath("data/foss_licenses.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def classify_license(expression: str) -> str:
    """``free`` if every alternative of an SPDX expression has a FOSS licence, ``non-free``
    if none has, ``unknown`` if it cannot be read."""
    foss = _foss_ids()
    tokens = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", expression.strip(), flags=re.IGNORECASE)
    ids = [t.strip().upper().rstrip("+") for t in tokens if t.strip()]
    if not ids:
        return "unknown"
    ids = [i for i in ids if "-EXCEPTION" not in i]
    if any(i.startswith("LICENSEREF-") and "PROPRIETARY" in i for i in ids):
        return "non-free"
    if all(i in foss for i in ids):
        return "free"
    return "unknown"


class M6(_Must):
    """Use free and open-source software"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Open source is not automatically safer, but only code you (or someone you trust)
        can read can be audited. The check looks for an SPDX licence expression in the
        metadata (PEP 639 ``license``, ``License-Expression``), OSI-approved classifiers, and
        licence files whose text it recognises. Fix: prefer software under a licence the OSI
        or FSF approve; without any licence, the code is not open source whatever its
        repository looks like."""
        info = ctx.project
        evidence = []
        if info.license_expression:
            verdict = classify_license(info.license_expression)
            if verdict == "free":
                return CheckResult("pass", f"SPDX licence expression {info.license_expression!r}")
            if verdict == "non-free":
                return CheckResult("fail", f"proprietary licence {info.license_expression!r}")
            evidence.append(f"unrecognised licence expression {info.license_expression!r}")
        osi = [c for c in info.license_classifiers if "OSI Approved" in c or "Free Software" in c]
        if osi:
            return CheckResult("pass", f"classifier {osi[0]!r}")
        if info.license_text and classify_license(info.license_text) == "free":
            return CheckResult("pass", f"licence field {info.license_text!r}")
        for path, text in sorted(info.license_files.items()):
            for spdx, marker in FOSS_FILE_MARKERS.items():
                if marker.decode().lower() in text.lower():
                    return CheckResult("pass", f"{path} reads like the {spdx} licence")
            evidence.append(f"{path}: licence text not recognised")
        if any("proprietary" in c.lower() for c in info.license_classifiers) or (
            info.license_text and re.search(r"proprietary|all rights reserved", info.license_text, re.I)
        ):
            return CheckResult("fail", "the licence is proprietary", tuple(evidence))
        if evidence:
            return CheckResult("warn", "a licence is declared but not recognised as free: read it",
                               tuple(evidence))
        return CheckResult("fail", "no licence found: without one, nobody may legally audit or "
                           "reuse the code")


SCAN_TOOLS = re.compile(
    rb"\b(bandit|pysecbook(?:\s+check)?|semgrep|codeql|pip-audit|codeaudit|safety\s+(?:check|scan)"
    rb"|snyk|sonar-scanner|osv-scanner)\b", re.IGNORECASE)
CI_FILES = re.compile(
    r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.pre-commit-config\.ya?ml|tox\.ini"
    r"|noxfile\.py|Makefile|azure-pipelines\.ya?ml|\.circleci/config\.ya?ml|Jenkinsfile"
    r"|\.ci/[^/]+|bitbucket-pipelines\.ya?ml)$")
REPORT_FILES = re.compile(r"(^|/)([^/]*(bandit|sast|security|scan|audit)[^/]*\.(json|sarif|html|txt|md)"
                          r"|[^/]+\.sarif)$", re.IGNORECASE)
BADGE = re.compile(rb"(python code audit|codeaudit|pysecbook check|bandit-)", re.IGNORECASE)


class M7(_Must):
    """Look for security validation by the authors"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Authors who scan their own code leave traces: a CI job or pre-commit hook that
        runs a SAST tool (Bandit, Semgrep, CodeQL, pip-audit, pysecbook), or a scan report for
        the released version. A badge alone is self-declared. Fix: if nothing is there, ask
        the authors which SAST tool they use and for the scan report of the version you are
        about to run; ``pysecbook check --format html`` produces one."""
        ci, reports, badges = [], [], []
        for f in ctx.target.files:
            if CI_FILES.match(f.path):
                m = SCAN_TOOLS.search(f.data)
                if m:
                    ci.append(f"{f.path} runs {m.group(0).decode(errors='replace')}")
            elif REPORT_FILES.search(f.path) and not f.path.lower().endswith(("security.md", "security.txt")):
                reports.append(f"{f.path} looks like a scan report")
            elif f.path.count("/") == 0 and f.path.lower().startswith("readme") and BADGE.search(f.data):
                badges.append(f"{f.path} shows a scan badge (self-declared)")
        tool = ctx.project.pyproject.get("tool", {})
        if isinstance(tool, dict) and "bandit" in tool:
            badges.append("pyproject.toml configures Bandit")
        signs, claims = index_evidence.m7(ctx)
        badges += signs
        if ci or reports:
            return CheckResult("pass", "the authors scan their code",
                               tuple(ci + reports + badges + claims))
        if badges:
            return CheckResult("warn", "only a self-declared sign of scanning: ask for the report",
                               tuple(badges + claims))
        return CheckResult("fail", "no sign that the authors scan their code: ask which SAST "
                           "tool they use and for the scan report of this version", tuple(claims))


class M8(_Must):
    """Keep Python and packages updated"""

    family = "environment"

    def run(self, ctx: CheckContext) -> CheckResult:
        """An interpreter past its end of life gets no security fixes, so every later
        vulnerability in it stays open. The check reads the running interpreter's version
        against the dated support table shipped with pysecbook (it says how old the table
        is). Fix: move to a version that still gets fixes, and keep packages current with
        ``pip list --outdated`` and ``pip install --upgrade`` inside the virtual environment."""
        env = ctx.environment
        assert env is not None  # nosec B101 - set by CheckContext.__post_init__
        lookup = ctx.support_status
        if lookup is None:
            try:
                from pysecbook.checker.eol import support_status as lookup
            except ImportError:
                return CheckResult("error", "the support table (pysecbook.checker.eol) is not available")
        status = lookup(env.python_version, ctx.today)
        stale = (" (the table is old: check the Python developer's guide)",) if status.stale else ()
        if status.status == "end-of-life":
            return CheckResult("fail", status.message, stale)
        if status.status in ("prerelease", "unknown") or status.stale:
            return CheckResult("warn", status.message, stale)
        return CheckResult("pass", status.message)


class M9(_Must):
    """Have a recovery plan"""

    family = "manual"

    def run(self, ctx: CheckContext) -> CheckResult:
        """No program can check this for you. Before running unknown code, know what you
        will do if it misbehaves: disconnect the machine from the network, keep a recent
        backup you can restore, know which credentials the program could reach so you can
        revoke them, and run it somewhere you can throw away (a container or VM snapshot)."""
        return CheckResult("manual", "decide before you run it: disconnect, revoke the "
                           "credentials it could reach, restore from a backup or a snapshot")
