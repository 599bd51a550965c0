"""What the package index says, turned into evidence for the checks (C4, M1, M7) and for a lock.

An archive alone cannot say when it was released, whether its release was yanked, who
published it or which other indexes pip would consult. When ``pysecbook check`` fetched the
target from an index it hands the index's facts to every check as ``ctx.index`` (an
:class:`~pysecbook.checker.index.facts.IndexFacts`, None for a local target); the small
functions here read them, so that each check needs only a line or two to use them.
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pysecbook.checker.checklist.base import CheckContext, CheckResult

if TYPE_CHECKING:
    from pysecbook.checker.declarations import IndexOption
    from pysecbook.checker.index.config import IndexConfig
    from pysecbook.checker.index.lockfile import LockEntry

__all__ = ["NEW_PROJECT_DAYS", "c4", "lock_m1", "lock_m4", "m1", "m1_result", "m7",
           "machine_sources", "source_findings"]

#: A project first uploaded fewer days ago than this is young: look at who publishes it.
NEW_PROJECT_DAYS = 90


def source_findings(extra: Iterable[IndexOption], index_url: str, index_origin: str,
                    index_is_default: bool) -> tuple[list[str], list[str]]:
    """(failures, warnings) about where pip would take packages from, for M1."""
    bad, odd = [], []
    for s in extra:
        if s.option == "extra-index-url":
            bad.append(f"{s.where}: extra index {s.value}: pip gathers candidates from every "
                       "index and takes the highest version (dependency confusion)")
        elif s.option in ("find-links", "trusted-host"):
            bad.append(f"{s.where}: --{s.option} {s.value}: a source outside the index")
    if not index_is_default:
        odd.append(f"checked against {index_url} ({index_origin}), not PyPI: make sure it is a "
                   "mirror you trust")
    return bad, odd


def _split_sources(extra: Iterable[IndexOption]) -> tuple[list[IndexOption], list[IndexOption]]:
    """(the checked files' own sources, this machine's pip settings)."""
    extra = list(extra)
    return [s for s in extra if not s.machine], [s for s in extra if s.machine]


def machine_sources(extra: Iterable[IndexOption]) -> list[str]:
    """M1's failures that come from this machine's pip settings: evidence about where pip
    would install from here, never against the package being checked."""
    bad, _ = source_findings(_split_sources(extra)[1], "", "", True)
    return bad


def m1_result(bad: list[str], odd: list[str], machine: list[str]) -> CheckResult | None:
    """M1's result when it has failures: the target's, or else the machine's alone."""
    if bad:
        return CheckResult("fail", f"{len(bad)} source(s) outside a trusted index",
                           tuple(bad + odd + machine))
    if machine:
        return CheckResult("fail", f"pip here would also take packages from {len(machine)} "
                           "source(s) besides the index, by this machine's settings: remove "
                           "them before you pip install anything", tuple(machine + odd),
                           judges="machine")
    return None


def m1(ctx: CheckContext) -> tuple[list[str], list[str], list[str]]:
    """(failures, warnings, this machine's failures) for M1 from the index: a yank, extra
    indexes, a shadowed name."""
    facts = ctx.index
    if facts is None:
        return [], [], []
    own, _ = _split_sources(facts.extra_sources)
    bad, odd = source_findings(own, facts.index_url, facts.index_origin, facts.index_is_default)
    if facts.yanked:
        bad.append(f"release {facts.version} is yanked on the index (PEP 592): "
                   f"{facts.yanked_reason or 'no reason given'}")
    if facts.only_on_extra:
        bad.append(f"{facts.project} is not on the default index: only the extra index "
                   f"{facts.index_url} serves it, so anyone who registers the name there wins")
    for url in facts.also_on:
        bad.append(f"{facts.project} is also served by {url}: a shadowed name, pip would take "
                   "the highest version from either index")
    odd += [f"could not ask whether an extra index serves the name: {u}" for u in facts.unasked]
    return bad, odd, machine_sources(facts.extra_sources)


def m7(ctx: CheckContext) -> tuple[str | None, list[str]]:
    """(where to look, details) for M7 from PEP 740 provenance.

    A verified attestation names the CI workflow that published this very file: the place to
    read for a scan step, surer than the project's self-declared URLs. It is not a scan, so
    M7 still asks the user to look there; every claim, verified or not, is shown.
    """
    facts = ctx.index
    if facts is None:
        return None, []
    verified = [c for c in facts.provenance if c.verified]
    where = (f"the CI that published {verified[0].filename} (verified PEP 740 provenance: "
             f"{verified[0].publisher})" if verified else None)
    return where, [c.describe() for c in facts.provenance]


def c4(ctx: CheckContext, maintained_days: int, abandoned_days: int) -> CheckResult | None:
    """C4 from PEP 700 upload times (None when the index gave none: use the archive's dates)."""
    facts = ctx.index
    today = ctx.today
    if facts is None or facts.last_upload is None or today is None:
        return None
    last = facts.last_upload.date()
    first = facts.first_upload.date() if facts.first_upload else last
    release = facts.release_upload.date() if facts.release_upload else None
    details = (f"release {facts.version} uploaded {release or 'at an unknown date'}",
               f"first upload of the project {first} ({(today - first).days} days ago), "
               f"{len(facts.versions)} version(s) on the index")
    age = (today - last).days
    if age < -1:
        return CheckResult("warn", f"the index dates the last upload {last}, in the future: "
                           "its dates cannot be trusted", details)
    young = (today - first).days
    if young < NEW_PROJECT_DAYS:
        return CheckResult("warn", f"a new project: first uploaded {first}, {young} days ago; "
                           "look at who publishes it before trusting it", details)
    if age <= maintained_days:
        return CheckResult("pass", f"last upload to the index {last} ({max(age, 0)} days ago)",
                           details)
    verdict = "warn" if age <= abandoned_days else "fail"
    return CheckResult(verdict, f"last upload to the index {last}, {age} days ago: is it still "
                       "maintained?", details)


def lock_m1(config: IndexConfig, entries: Sequence[LockEntry]) -> CheckResult:
    """M1 for a lock as a whole: the sources pip would use for it."""
    own, _ = _split_sources(config.extra)
    bad, odd = source_findings(own, config.index_url, config.origin, config.is_default)
    here = config.index_url.rstrip("/")
    bad += [f"{e.origin}: {e.name} was locked from another index, {e.index}" for e in entries
            if e.index and e.index.rstrip("/") != here]
    bad += [f"{e.origin}: {e.requirement} {e.error}" for e in entries
            if e.error and ("URL" in e.error or "editable" in e.error or "comes from" in e.error)]
    machine = machine_sources(config.extra)
    if bad:
        return CheckResult("fail", f"{len(bad)} source(s) outside the one index",
                           tuple(bad + odd + machine))
    if result := m1_result([], odd, machine):
        return result
    if odd:
        return CheckResult("warn", "a replacement package index is configured: make sure it is "
                           "a mirror you trust", tuple(odd))
    return CheckResult("pass", f"one index, {config.index_url}, and no other source")


def lock_m4(entries: Sequence[LockEntry]) -> CheckResult:
    """M4 for a lock as a whole: every line pinned, every pin hashed."""
    fail = [f"{e.origin}: {e.requirement} is not pinned" for e in entries
            if not e.error and not e.pinned]
    fail += [f"{e.origin}: {e.requirement}: {e.error}" for e in entries if e.error]
    warn = [f"{e.origin}: {e.requirement} is pinned without a hash" for e in entries
            if not e.error and e.pinned and not e.hashed]
    if fail:
        return CheckResult("fail", f"{len(fail)} lock line(s) not pinned or not from an index",
                           tuple(fail + warn))
    if warn:
        return CheckResult("warn", f"{len(warn)} pin(s) without a hash: the index could serve "
                           "other bytes tomorrow", tuple(warn))
    return CheckResult("pass", f"{len(entries)} requirement(s) pinned with hashes")

