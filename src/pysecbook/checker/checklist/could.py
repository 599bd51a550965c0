"""The five could-do items of the pre-run checklist, one check each.

A could-do check that fails is reported but does not change the exit code.
Book page: ``book/checklist/could`` (labels ``checklist-c1`` ...).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from pysecbook.checker.checklist.audit import audit_pins
from pysecbook.checker.checklist import index_evidence
from pysecbook.checker.checklist.base import Check, CheckContext, CheckResult
from pysecbook.checker.typosquatting import normalize


class _Could(Check):
    """Family base: the could-do items (reported, never a reason to exit with 1)."""

    level = "could"
    page = "checklist/could"


@functools.lru_cache(maxsize=4)
def sdk_list(name: str) -> list[dict[str, Any]]:
    """The shipped list ``telemetry_sdks`` or ``cloud_sdks`` (see its ``_about``)."""
    text = resources.files("pysecbook").joinpath(f"data/{name}.json").read_text("utf-8")
    return list(json.loads(text)["entries"])


def sdk_hits(ctx: CheckContext, list_name: str) -> list[str]:
    """Imports and declared dependencies of the target that match an SDK list."""
    hits = []
    for entry in sdk_list(list_name):
        for module in entry["imports"]:
            for imported, places in sorted(ctx.imports.items()):
                if imported == module or imported.startswith(module + "."):
                    path, line = places[0]
                    hits.append(f"{path}:{line}: imports {imported} ({entry['what']})")
                    break
        for dep in ctx.project.dependencies:
            if dep.name and any(fnmatch.fnmatchcase(normalize(dep.name), p) for p in entry["dist"]):
                hits.append(f"{dep.origin}:{dep.line or '?'}: depends on {dep.name} ({entry['what']})")
    return list(dict.fromkeys(hits))


class C1(_Could):
    """Avoid closed-source cloud and API dependencies"""

    family = "privacy"

    def run(self, ctx: CheckContext) -> CheckResult:
        """A program built on a hosted API or cloud platform sends your data to a service you
        cannot inspect and stops working when that service changes or goes away. The check
        matches the target's imports (read from its syntax trees) and declared dependencies
        against a list of cloud and API SDKs shipped with pysecbook. Fix: prefer programs that
        run locally, or know exactly which data goes where and under which account."""
        hits = sdk_hits(ctx, "cloud_sdks")
        if hits:
            return CheckResult("fail", f"{len(hits)} use(s) of closed-source cloud or API services", tuple(hits))
        return CheckResult("pass", "no known cloud or API SDK among imports and dependencies")


class C2(_Could):
    """Avoid telemetry and tracking"""

    family = "privacy"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Telemetry and error-reporting SDKs send information about your machine and what you
        do with the program to a third party, often on by default. The check matches imports
        and declared dependencies against a list of telemetry, analytics and error-reporting
        SDKs shipped with pysecbook. Fix: prefer programs without them, or find and use the
        documented opt-out before the first run."""
        hits = sdk_hits(ctx, "telemetry_sdks")
        if hits:
            return CheckResult("fail", f"{len(hits)} telemetry or tracking SDK use(s)", tuple(hits))
        return CheckResult("pass", "no known telemetry or tracking SDK among imports and dependencies")


class C3(_Could):
    """Check dependencies for known vulnerabilities"""

    family = "dependencies"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Pinned dependencies are looked up in the Python Packaging Advisory Database by
        pip-audit, run in a child process with a timeout, without installing anything. When
        the vulnerability service cannot be reached the result is ``error`` (could not audit),
        never a pass. Fix: upgrade each vulnerable dependency to a fixed version, or pin the
        dependencies so that they can be audited at all."""
        pins = []
        for d in ctx.project.dependencies:
            if d.locked and d.pinned and d.name and not d.url:
                version = d.text.split("==", 1)[1].split(";")[0].strip().lstrip("=")
                pins.append((d.name, version))
        pins = list(dict.fromkeys(pins))
        if not pins:
            if ctx.project.dependencies:
                return CheckResult("warn", "nothing pinned to audit: pin the dependencies (M4) "
                                   "and audit them with pip-audit")
            return CheckResult("pass", "no dependencies declared")
        result = (ctx.auditor or audit_pins)(pins)
        return CheckResult(result.status, result.summary, tuple(result.details))


MAINTAINED_DAYS = 365
ABANDONED_DAYS = 730


class C4(_Could):
    """Prefer actively maintained software"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Unmaintained software keeps its vulnerabilities, and an abandoned package name can
        be taken over. For a Git checkout the check reads the date of the commit HEAD names,
        from the repository's objects (git never runs in the target, and its configuration is
        never read), and wants a commit in the last year (warns after one year, fails after
        two). An archive's file dates come from the tool that built it (reproducible builds
        stamp 1980), so they say nothing about maintenance: there, look at the release
        history, which for an archive fetched from an index is read from the index's upload
        times (PEP 700), with the project's age. Fix: look for a maintained fork or alternative, or be ready to maintain it
        yourself."""
        today = ctx.today
        assert today is not None  # nosec B101 - set by CheckContext.__post_init__
        if (from_index := index_evidence.c4(ctx, MAINTAINED_DAYS, ABANDONED_DAYS)) is not None:
            return from_index
        head = ctx.outcome.head_commit
        if head is None or getattr(head, "timestamp", None) is None:
            why = getattr(head, "reason", "") if head is not None else ""
            where = {"installed": "an installed distribution", "wheel": "a wheel",
                     "sdist": "an sdist"}.get(ctx.target.kind, "a directory without Git history")
            detail = (f"the Git history could not be read: {why}",) if why and why != "not a Git checkout" else ()
            return CheckResult("manual", f"{where} carries no evidence of maintenance (file dates "
                               "come from the build tool): look at the project's release and "
                               "commit history", detail)
        newest = datetime.fromtimestamp(head.timestamp, tz=timezone.utc).date()
        age = (today - newest).days
        if age < -1:
            return CheckResult("warn", f"the HEAD commit is dated {newest}, in the future: its "
                               "date cannot be trusted")
        if age <= MAINTAINED_DAYS:
            return CheckResult("pass", f"last commit {newest} ({max(age, 0)} days ago)")
        verdict = "warn" if age <= ABANDONED_DAYS else "fail"
        return CheckResult(verdict, f"last commit {newest}, {age} days ago: is it still maintained?")


SECURITY_FILES = re.compile(r"^(\.github/|docs/)?security\.(md|markdown|rst|adoc|txt)$", re.IGNORECASE)


class C5(_Could):
    """Look for a security policy"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """A security policy tells you (and researchers) how vulnerabilities are reported and
        fixed; without one, a reported flaw may simply sit in an issue tracker. The check looks
        for ``SECURITY.md`` where OpenSSF Scorecard looks (the root, ``.github/``, ``docs/``)
        and for a security contact in the metadata (a ``Security`` project URL). A wheel or an
        sdist seldom ships the policy file, so there a missing one says where to look rather
        than failing. Fix: ask the authors how to report a vulnerability, and prefer projects
        that answer."""
        found = [f.path for f in ctx.target.files if SECURITY_FILES.match(f.path)]
        urls = [f"project URL {k}: {v}" for k, v in ctx.project.urls.items() if "security" in k.lower()]
        if found or urls:
            return CheckResult("pass", "security policy: " + ", ".join(found + urls))
        if ctx.target.kind in ("wheel", "installed", "sdist"):
            return CheckResult("manual", f"a {ctx.target.kind} rarely carries SECURITY.md and its "
                               "metadata names no security contact: look in the project's "
                               "repository", tuple(f"{k}: {v}" for k, v in list(ctx.project.urls.items())[:3]))
        return CheckResult("fail", "no SECURITY.md and no security contact in the metadata")

