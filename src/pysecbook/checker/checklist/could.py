"""The five could-do items of the pre-run checklist, one check each.

A could-do check that fails is reported but does not change the exit code.
Book page: ``book/checklist/could`` (labels ``checklist-c1`` ...).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
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


def last_commit_date(root: str) -> date | None:
    """The date of the last entry in ``.git/logs/HEAD``: read as a file, git never runs.

    Running ``git log`` in a stranger's repository would read its ``.git/config``, which can
    name programs to run (``core.fsmonitor``, ``core.pager``...). The reflog is plain text.
    """
    logs = Path(root, ".git", "logs", "HEAD")
    try:
        if logs.is_symlink() or not logs.is_file() or logs.stat().st_size > 50_000_000:
            return None
        with logs.open("rb") as fh:
            fh.seek(max(0, logs.stat().st_size - 4096))
            tail = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(tail):
        m = re.search(r"> (\d{9,11}) [+-]\d{4}\t", line)
        if m:
            return datetime.fromtimestamp(int(m.group(1)), tz=timezone.utc).date()
    return None


class C4(_Could):
    """Prefer actively maintained software"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Unmaintained software keeps its vulnerabilities, and an abandoned package name can
        be taken over. The check reads the last commit of a Git repository from its reflog
        (as a file: git is never run in the target) or the newest file date of an archive, and
        wants activity in the last year (warns after one year, fails after two). Fix: look for
        a maintained fork or alternative, or be ready to maintain it yourself."""
        today = ctx.today
        assert today is not None  # nosec B101 - set by CheckContext.__post_init__
        if (from_index := index_evidence.c4(ctx, MAINTAINED_DAYS, ABANDONED_DAYS)) is not None:
            return from_index
        if ctx.target.kind == "installed":
            return CheckResult("manual", "an installed distribution carries no release date: look "
                               "at its release history on PyPI")
        newest: date | None = None
        source = ""
        if ctx.target.root:
            newest = last_commit_date(ctx.target.root)
            source = "last commit"
        if newest is None:
            stamps = [f.mtime for f in ctx.target.files if f.mtime]
            if not stamps:
                return CheckResult("manual", "no dates found: look at the project's history")
            newest = datetime.fromtimestamp(max(stamps), tz=timezone.utc).date()
            source = "newest file date"
        age = (today - newest).days
        if age < -1:
            return CheckResult("warn", f"{source} {newest} is in the future: dates cannot be trusted")
        if age <= MAINTAINED_DAYS:
            return CheckResult("pass", f"{source} {newest} ({max(age, 0)} days ago)")
        verdict = "warn" if age <= ABANDONED_DAYS else "fail"
        return CheckResult(verdict, f"{source} {newest}, {age} days ago: is it still maintained?")


SECURITY_FILES = re.compile(r"^(\.github/|docs/)?security\.(md|markdown|rst|adoc|txt)$", re.IGNORECASE)


class C5(_Could):
    """Look for a security policy"""

    family = "project"

    def run(self, ctx: CheckContext) -> CheckResult:
        """A security policy tells you (and researchers) how vulnerabilities are reported and
        fixed; without one, a reported flaw may simply sit in an issue tracker. The check looks
        for ``SECURITY.md`` where OpenSSF Scorecard looks (the root, ``.github/``, ``docs/``)
        and for a security contact in the metadata (a ``Security`` project URL). Fix: ask the
        authors how to report a vulnerability, and prefer projects that answer."""
        found = [f.path for f in ctx.target.files if SECURITY_FILES.match(f.path)]
        urls = [f"project URL {k}: {v}" for k, v in ctx.project.urls.items() if "security" in k.lower()]
        if found or urls:
            return CheckResult("pass", "security policy: " + ", ".join(found + urls))
        return CheckResult("fail", "no SECURITY.md and no security contact in the metadata")

