"""The nine must-do items of the pre-run checklist, one check each.

Book page: ``book/checklist/must`` (one section per check, labelled ``checklist-m1`` ...).
"""

from __future__ import annotations

import re
from collections import Counter

from pysecbook.checker import typosquatting
from pysecbook.checker.checklist import index_evidence
from pysecbook.checker.checklist.base import Check, CheckContext, CheckResult
from pysecbook.checker.checklist.ci_evidence import ci_files, scanner_invocations
from pysecbook.checker.checklist.licences import classify_license, identify_text
from pysecbook.checker.declarations import local_path_inside
from pysecbook.checker.scan.model import LEVELS

__all__ = ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "classify_license",
           "project_repository"]


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
        ask: list[str] = []
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
            elif dep.local and not local_path_inside(dep.local):
                odd.append(f"{dep.origin}:{dep.line or '?'}: installs the local path "
                           f"{dep.local!r}, outside the target: make sure it is part of what "
                           "you reviewed")
        if info.direct_url is not None:
            url = str(info.direct_url.get("url", ""))
            kind = ("a VCS checkout" if "vcs_info" in info.direct_url
                    else "a local directory" if url.startswith("file:") else "a direct URL")
            bad.append(f"installed from {kind} ({url}), not from an index (PEP 610 direct_url.json)")
        # A look-alike name is what typosquatters choose, and what legitimate forks
        # (nest-asyncio2) and namesakes choose too: a person must confirm it is the project
        # they mean. What the code does is judged by M2 either way.
        if info.name and (suspect := typosquatting.check_name(info.name)):
            ask.append(f"the target's own name: {suspect}: make sure it is the project you mean")
        index_bad, index_odd, machine = index_evidence.m1(ctx)
        bad, odd = bad + index_bad, odd + index_odd
        if ask and not bad:
            return CheckResult("manual", "a name to confirm by hand: one edit away from a "
                               "well-known project's", tuple(ask + odd + machine))
        if result := index_evidence.m1_result(bad + ask, odd, machine):
            return result
        if odd:
            return CheckResult("warn", f"{len(odd)} source(s) to confirm: a replacement index "
                               "or a local path", tuple(odd))
        return CheckResult("pass", "no extra index, URL or VCS dependency, or look-alike name found")


class M2(_Must):
    """Run a basic security (SAST) scan"""

    family = "code"
    covers_scan_gaps = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Bandit reads every Python file of the target (nothing is executed) and pysecbook
        adds the red flags of malicious packages: code run at install time, ``.pth`` files,
        ``exec`` of decoded data, hidden Unicode, bytecode that differs from its source, and
        every attempt of the target to silence the scan. A red flag at or above the
        ``--fail-on`` severity (default: high) fails the check, and so does a file that could
        not be scanned when it runs without anyone importing it (at build or install time, or
        at every interpreter start), or when part of the target was never read. Any other file that could not be
        scanned (a test fixture that is not valid Python on this interpreter, a file past the
        scanner's deadline) leaves the check to a person: an incomplete scan is not a pass,
        and not evidence either. A Bandit finding in someone else's code is a question for a
        person who can read it, not proof of danger: at or above ``--fail-on`` it asks for
        that review; in your own project it fails the check. Fix: read each finding and each
        file that was not scanned; do not run the program until someone who can read the
        code has explained every high-severity one."""
        threshold = LEVELS.index(ctx.fail_on)

        def at_or_above(f: object) -> bool:
            return f.severity in LEVELS and LEVELS.index(f.severity) >= threshold  # type: ignore[attr-defined]

        counts = Counter((f.severity, f.confidence) for f in ctx.findings)
        flags = [f for f in ctx.findings if f.source in ("redflag", "trust") and at_or_above(f)]
        bandit = [f for f in ctx.findings if f.source == "bandit" and at_or_above(f)]
        table = ", ".join(
            f"{sev}: {sum(n for (s, _), n in counts.items() if s == sev)}"
            f" ({', '.join(f'{n} {c} confidence' for (s, c), n in sorted(counts.items()) if s == sev)})"
            for sev in reversed(LEVELS) if any(s == sev for s, _ in counts)
        )
        nosec = f"; {ctx.outcome.nosec_count} '# nosec' suppression(s) honoured" if ctx.outcome.nosec_count else ""
        scanned = f"{ctx.outcome.files_scanned} code file(s) scanned{nosec}"

        def lines(found: list[object]) -> tuple[str, ...]:
            return tuple(f"{f.path}:{f.line or '-'}: {f.rule_id} [{f.severity}/{f.confidence}] "  # type: ignore[attr-defined]
                         f"{f.message}" for f in found)  # type: ignore[attr-defined]

        unscanned = tuple(f"not scanned: {u.path}: {u.reason}" for u in ctx.unscanned)
        blocking = [u for u in ctx.unscanned if u.blocks]
        if blocking:
            return CheckResult("fail", f"{len(blocking)} file(s) that run at build or install "
                               "time, or parts of the target never read, could not be scanned"
                               f" ({scanned})", lines(flags) + unscanned)
        if flags:
            return CheckResult("fail", f"{len(flags)} red flag(s) at or above {ctx.fail_on} "
                               f"severity; {table} ({scanned})", lines(flags + bandit) + unscanned)
        if ctx.unscanned:
            return CheckResult("manual", f"{len(ctx.unscanned)} file(s) could not be scanned: "
                               "nothing shows whether they are dangerous, so read them by hand "
                               f"(an incomplete scan is not a pass; {scanned})",
                               lines(bandit) + unscanned)
        if bandit and ctx.own_project:
            return CheckResult("fail", f"{len(bandit)} Bandit finding(s) at or above "
                               f"{ctx.fail_on} severity in your own code; {table} ({scanned})",
                               lines(bandit))
        if bandit:
            return CheckResult("manual", f"{len(bandit)} Bandit finding(s) at or above "
                               f"{ctx.fail_on} severity: a question for someone who can read "
                               f"the code, not proof of danger; {table} ({scanned})", lines(bandit))
        if ctx.findings:
            return CheckResult("warn", f"findings below {ctx.fail_on} severity: {table} ({scanned})")
        return CheckResult("pass", f"no findings ({scanned})")


class M3(_Must):
    """Use a virtual environment"""

    family = "environment"
    judges = "machine"

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
        development: list[str] = []
        distribution = ctx.target.kind in ("sdist", "wheel", "installed")
        for d in info.dependencies:
            where = f"{d.origin}:{d.line or '?'}"
            if d.local:
                continue  # a local project or path: M1 asks the reader to confirm it
            # A third party's development files (tests, docs) are not installed with the
            # program: what they leave open is worth a look, not evidence against it. In your
            # own project they are your maintainers' machines, and they count in full.
            problems = development if d.development and not ctx.own_project else fail
            # Nor does pip pin a package's dependencies from a requirements file it ships:
            # it installs what the metadata declares, ranges as a library's always are (a
            # setup.py that reads the file turns it into such ranges). A URL or an unreadable
            # line there still counts: setup.py may pass it on to pip.
            loose = development if distribution and not ctx.own_project else problems
            if d.error:
                problems.append(f"{where}: unreadable requirement {d.text!r} ({d.error})")
            elif d.url:
                problems.append(f"{where}: {d.name or d.text} from a URL or VCS")
            elif d.locked and not d.pinned:
                loose.append(f"{where}: {d.text} is not pinned")
            elif d.locked and not d.hashed:
                (development if loose is development else warn).append(
                    f"{where}: {d.text} is pinned without a hash")
        if development:
            warn += [f"{line} (the maintainers' file: not what pip installs with the program)"
                     for line in development]
        fail += [f"{path}: {why}" for path, why in sorted(info.unreadable.items())]
        names = [d.name for d in info.dependencies if d.name]
        # A look-alike name is a reason to check the spelling, not proof: legitimate forks
        # (``nest-asyncio2``) and namesakes (``uri-template``) are one edit away too.
        warn += [f"dependency {s}: check the spelling" for s in typosquatting.check_names(names)]
        native = [f.path for f in ctx.target.files
                  if f.path.endswith((".c", ".cc", ".cpp", ".pyx", ".rs"))
                  and not set(f.path.lower().split("/")[:-1]) & _TEST_FOLDERS]
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


#: Folders whose C sources are test inputs or examples, not extensions the build compiles.
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "examplefiles", "examples", "docs", "doc"})


class M5(_Must):
    """Isolate higher-risk programs"""

    family = "environment"
    judges = "machine"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Python cannot sandbox Python: when a scan raises concerns (a red flag of medium or
        high severity, a file that could not be scanned), run the program only inside a
        sandbox managed from outside the interpreter, such as a container, a virtual machine or
        a BSD jail, with no access to your files, credentials or network beyond what it needs.
        This check compares the scan with the place ``pysecbook check`` runs in. Fix: rerun
        the program (and this check) inside a container or VM."""
        env = ctx.environment
        assert env is not None  # nosec B101 - set by CheckContext.__post_init__
        concerns = [f for f in ctx.findings
                    if f.source in ("redflag", "trust") and f.severity in ("medium", "high")]
        n = len(concerns) + len(ctx.unscanned)
        if n == 0:
            return CheckResult("pass", "the scan raised no concern that calls for isolation")
        if env.isolated:
            return CheckResult("pass", f"{n} concern(s), and this runs in a container ({env.container})")
        return CheckResult("fail", f"the scan raised {n} concern(s) and this machine is not a "
                           "container or VM: run the program in an isolated environment")


class M6(_Must):
    """Use free and open-source software"""

    family = "project"
    evidence_in_any_file = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Open source is not automatically safer, but only code you (or someone you trust)
        can read can be audited. The check reads an SPDX licence expression in the metadata
        (PEP 639 ``license``, ``License-Expression``), OSI-approved classifiers, the free-text
        licence field, and licence files, which count only when they hold a licence's own
        text (every passage that carries its terms, not a phrase somewhere). Fix: prefer
        software under a licence the OSI or FSF approve; without any licence, the code is not
        open source whatever its repository looks like."""
        info = ctx.project
        evidence = []
        if info.license_expression:
            verdict = classify_license(info.license_expression)
            if verdict == "free":
                return CheckResult("pass", f"SPDX licence expression {info.license_expression!r}")
            if verdict == "non-free":
                return CheckResult("fail", f"proprietary licence {info.license_expression!r}")
            evidence.append(f"licence expression {info.license_expression!r} is not a known "
                            "free licence")
        osi = [c for c in info.license_classifiers if "OSI Approved" in c or "Free Software" in c]
        if osi:
            return CheckResult("pass", f"classifier {osi[0]!r}")
        if info.license_text and classify_license(info.license_text.strip()) == "free":
            return CheckResult("pass", f"licence field {info.license_text.strip()[:80]!r}")
        for path, text in sorted(info.license_files.items()):
            spdx = identify_text(text)
            if spdx:
                return CheckResult("pass", f"{path} holds the text of the {spdx} licence")
            evidence.append(f"{path}: not the text of a licence pysecbook knows")
        proprietary = [c for c in info.license_classifiers if "proprietary" in c.lower()]
        if info.license_text and info.license_text.strip().lower() in ("proprietary", "commercial"):
            proprietary.append(f"licence field {info.license_text.strip()!r}")
        if proprietary:
            return CheckResult("fail", "the licence is proprietary", tuple(proprietary + evidence))
        if evidence or info.license_text:
            if info.license_text:
                evidence.append(f"licence field {info.license_text.strip()[:80]!r}")
            return CheckResult("warn", "a licence is declared but not recognised as free: read it",
                               tuple(evidence))
        return CheckResult("fail", "no licence found: without one, nobody may legally audit or "
                           "reuse the code")


REPORT_FILES = re.compile(r"(^|/)[^/]+\.sarif$|(^|/)bandit[-_.][^/]*\.(json|html|txt|xml)$",
                          re.IGNORECASE)


class M7(_Must):
    """Look for security validation by the authors"""

    family = "project"
    evidence_in_any_file = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Authors who scan their own code leave evidence where it runs on every change: a CI
        step or a pre-commit hook that invokes a security scanner (Bandit, Semgrep, CodeQL,
        pip-audit, OSV-Scanner, pysecbook...). A badge, a file name or a tool's
        configuration shows intent at most. A wheel or an installed package carries no CI
        configuration, so there the check says where to look: the project's repository.
        Fix: if nothing is there, ask the authors which scanner they run and for its report
        on the version you are about to run; ``pysecbook check --format html`` produces one."""
        found = scanner_invocations(ctx.target)
        published, claims = index_evidence.m7(ctx)  # PEP 740: who published the file
        if found:
            return CheckResult("pass", "the authors' CI or pre-commit runs a security scanner",
                               tuple(str(e) for e in found) + tuple(claims))
        hints = [f"{f.path} looks like a scan report (a file, not a process)"
                 for f in ctx.target.files if REPORT_FILES.search(f.path)]
        tool = ctx.project.pyproject.get("tool", {})
        if isinstance(tool, dict) and "bandit" in tool:
            hints.append("pyproject.toml configures Bandit, but nothing here runs it")
        ci = ci_files(ctx.target)
        if ci:
            return CheckResult("warn", "the authors' CI runs no security scanner: your own scan "
                               "(M2) is all there is; ask them", tuple(ci + hints + claims))
        if ctx.own_project:
            return CheckResult("warn", "your project has no CI configuration that runs a "
                               "security scanner: add a step or a pre-commit hook", tuple(hints))
        where = published or project_repository(ctx.project.urls)
        look = f"look at {where}" if where else "find the project's repository"
        return CheckResult("manual", f"this {ctx.target.kind} carries no CI configuration: "
                           f"{look} for a CI step or pre-commit hook that runs a scanner",
                           tuple(hints + claims))


def project_repository(urls: dict[str, str]) -> str | None:
    """The repository or home page among a project's URLs (its metadata's ``Project-URL``)."""
    for key in ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home"):
        for label, url in urls.items():
            if label.strip().lower() == key:
                return f"{label}: {url}"
    return next((f"{label}: {url}" for label, url in urls.items()), None)


class M8(_Must):
    """Keep Python and packages updated"""

    family = "environment"
    judges = "machine"

    def run(self, ctx: CheckContext) -> CheckResult:
        """Security fixes reach an interpreter only while its feature version is supported,
        and only through new patch releases: a 3.11.7 runs on a supported branch and still
        lacks every fix released in 3.11.8 and later. The check reads the running
        interpreter's exact version against two dated tables shipped with pysecbook: the
        support schedule of each feature version, and the newest patch release of each branch
        with the security fixes released since (both say how old they are). A distribution's
        interpreter may carry backported fixes under an old version number: read its package
        changelog before you trust or dismiss the verdict. Fix: install the newest patch
        release of a supported version, recreate virtual environments on it, and keep
        packages current with ``pip list --outdated`` and ``pip install --upgrade`` inside the
        virtual environment."""
        env = ctx.environment
        assert env is not None  # nosec B101 - set by CheckContext.__post_init__
        lookup = ctx.support_status
        try:
            from pysecbook.checker.eol import patch_gap
            if lookup is None:
                from pysecbook.checker.eol import support_status as lookup
        except ImportError:
            return CheckResult("error", "the support table (pysecbook.checker.eol) is not available")
        status = lookup(env.python_version, ctx.today)
        gap = None
        if env.python_release is not None:
            gap = patch_gap(env.python_release, ctx.today, distribution_build=env.distribution_build)
        details = tuple(gap.details()) if gap is not None else ()
        stale = status.stale or (gap is not None and gap.stale)
        old = (" (the table is old: check the Python developer's guide)",) if status.stale else ()
        if status.status == "end-of-life":
            return CheckResult("fail", status.message, old + details)
        if gap is not None and gap.behind:
            return CheckResult("fail", gap.summary(), (status.message, *old, *details))
        if status.status in ("prerelease", "unknown") or stale:
            return CheckResult("warn", status.message, old + details)
        if gap is not None and gap.known:
            return CheckResult("pass", f"{gap.summary()}. {status.message}", details)
        return CheckResult("pass", status.message)


class M9(_Must):
    """Have a recovery plan"""

    family = "manual"
    manual_by_nature = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """No program can check this for you. Before running unknown code, know what you
        will do if it misbehaves: disconnect the machine from the network, keep a recent
        backup you can restore, know which credentials the program could reach so you can
        revoke them, and run it somewhere you can throw away (a container or VM snapshot)."""
        return CheckResult("manual", "decide before you run it: disconnect, revoke the "
                           "credentials it could reach, restore from a backup or a snapshot")
