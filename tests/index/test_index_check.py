"""``check_requirement`` and ``check_lock`` against the loopback index, end to end.

Each case asserts what the checker concluded and why: the verdict, the failing checks, the
hash status, the evidence the index supplied.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from index_helpers import FAST, demo  # noqa: F401 - the module-scoped fixture

from pysecbook.checker.index import check_lock, check_requirement, read_locks
from pysecbook.checker.index.provenance import ProvenanceClaim
from pysecbook.teaching.local_index import ServedFile, ServedIndex, demo_lock, serve


def one(report):  # type: ignore[no-untyped-def]
    [dep] = report.dependencies
    return dep


def test_a_clean_package_passes_with_both_files_verified(demo, tmp_path: Path) -> None:
    report = check_requirement("tidy-notes", demo.config(), demo.options(tmp_path))
    dep = one(report)
    assert (report.exit_code, report.outcome.reasons) == (0, ())
    assert (dep.name, dep.version) == ("tidy-notes", "1.2.0")
    assert [f.filename for f in dep.files] == ["tidy_notes-1.2.0.tar.gz",
                                               "tidy_notes-1.2.0-py3-none-any.whl"]
    assert {f.hash_status for f in dep.files} == {"verified against the index"}
    wheel = dep.files[1].report
    # The wheel alone carries no CI file (M7 asks to look); the release's sdist shows the
    # authors' scan, which counts for the whole release.
    assert (wheel.check("M7").status, dep.files[0].report.check("M7").status) == ("manual", "pass")
    assert (report.verdict, report.outcome.verdicts) == ("pass", ("pass",))
    c4 = wheel.check("C4")
    assert (c4.status, c4.summary) == ("pass", "last upload to the index 2026-10-12 (40 days ago)")
    assert c4.details[1].startswith("first upload of the project 2025-10-17 (400 days ago)")
    assert dep.facts.versions == ("1.1.0", "1.2.0")
    assert dep.facts.requires_python == ">=3.10"


def test_a_malicious_technique_fails_with_its_red_flags(demo, tmp_path: Path) -> None:
    dep = one(report := check_requirement("snoopy==0.0.1", demo.config(), demo.options(tmp_path)))
    assert (report.exit_code, report.verdict) == (1, "blocked")
    # M5 judges this machine, not the package: it is not among the package's failures.
    assert report.outcome.failed == (("M1", "M2", "M4", "M6", "M7"),)
    assert {f.rule_id for _, f in dep.red_flags} == {
        "PSB-RF-SETUP-PROCESS", "PSB-RF-PTH-EXEC", "PSB-RF-EXEC-DECODED", "PSB-RF-INSTALL-HOOK",
        "PSB-RF-META-NO-DESCRIPTION", "PSB-RF-META-ZERO-VERSION"}
    c4 = dep.files[0].report.check("C4")
    assert (c4.status, c4.summary.split(";")[0]) == ("warn", "a new project: first uploaded 2026-11-15, 6 days ago")


def test_a_yanked_release_fails_m1_with_its_reason_and_is_skipped_unless_pinned(demo, tmp_path: Path) -> None:
    dep = one(report := check_requirement("old-parser==2.0.0", demo.config(), demo.options(tmp_path)))
    assert report.outcome.failed == (("M1",),)
    m1 = dep.files[0].report.check("M1")
    assert "release 2.0.0 is yanked on the index (PEP 592): 2.0.0 reads dates in the wrong " \
           "time zone; use 2.0.1" in m1.details
    assert one(check_requirement("old-parser", demo.config(), demo.options(tmp_path))).version == "2.0.1"


def test_a_file_that_does_not_match_its_hash_fails_and_is_not_checked(demo, tmp_path: Path) -> None:
    dep = one(report := check_requirement("fast-hash", demo.config(), demo.options(tmp_path)))
    assert report.exit_code == 1
    [f] = dep.files
    assert (f.report, f.error) == (None, "discarded")
    assert f.hash_status.startswith("MISMATCH: fast_hash-1.0.0.tar.gz: SHA-256 ")
    assert not list((tmp_path / "sha256").rglob("*.tar.gz"))


@pytest.mark.parametrize(("index", "why"), [
    ("broken", "the index answered HTTP 500"), ("slow", "no answer within the timeout")])
def test_an_index_that_fails_or_times_out_fails_the_dependency(demo, tmp_path: Path, index: str,
                                                               why: str) -> None:
    dep = one(report := check_requirement("tidy-notes", demo.config(index),
                                          demo.options(tmp_path, settings=FAST)))
    assert report.exit_code == 1
    assert dep.error == f"{demo.urls[index]}tidy-notes/: {why}"
    assert report.outcome.reasons == (f"tidy-notes: {dep.error}",)


def test_a_project_only_on_a_second_index_and_a_shadowed_name_fail_m1(demo, tmp_path: Path) -> None:
    config = demo.config(extra="internal")
    dep = one(check_requirement("acme-internal", config, demo.options(tmp_path)))
    assert dep.facts.only_on_extra and dep.facts.index_url == demo.urls["internal"]
    details = dep.files[0].report.check("M1").details
    assert (f"acme-internal is not on the default index: only the extra index {demo.urls['internal']} "
            "serves it, so anyone who registers the name there wins") in details
    assert any("extra index" in d and "dependency confusion" in d for d in details)
    dep = one(check_requirement("acme-utils", config, demo.options(tmp_path)))
    assert (dep.version, dep.facts.also_on) == ("1.0.0", (demo.urls["internal"],))  # never merged
    assert dep.facts.index_url == demo.urls["main"]


def test_a_lock_with_matching_hashes_passes_in_parallel_as_in_sequence(demo, tmp_path: Path) -> None:
    lock = demo_lock(tmp_path / "requirements.txt", demo.indexes["main"],
                     {"tidy-notes": "1.2.0", "old-parser": "2.0.1", "acme-utils": "1.0.0"})
    serial = check_lock(read_locks([str(lock)]), demo.config(), demo.options(tmp_path / "c1"))
    parallel = check_lock(read_locks([str(lock)]), demo.config(), demo.options(tmp_path / "c2"), jobs=2)
    for report in (serial, parallel):
        assert (report.exit_code, report.outcome.verdicts) == (0, ("pass", "pass", "pass"))
        assert {d.hash_status for d in report.dependencies} == {"verified against the index and the lock"}
        assert [(c.id, c.status) for c in report.lock_checks] == [("M1", "warn"), ("M4", "pass")]


def test_a_lock_hash_that_matches_no_file_fails_that_dependency(demo, tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"tidy-notes==1.2.0 --hash=sha256:{'0' * 64}\nold-parser==2.0.1\nrich>=13\n",
                    encoding="utf-8")
    report = check_lock(read_locks([str(lock)]), demo.config(), demo.options(tmp_path))
    tidy = report.dependencies[0]
    assert report.outcome.verdicts[0] == "blocked"
    assert all(f.report is None and f.hash_status.startswith("MISMATCH: the lock accepts no file")
               for f in tidy.files)
    m4 = report.lock_checks[1]
    assert (m4.status, m4.details) == ("fail", (f"{lock}:3: rich>=13 is not pinned",
                                                f"{lock}:2: old-parser==2.0.1 is pinned without a hash"))
    assert report.outcome.verdicts[2] == "blocked"  # rich: not on this index, fails closed
    assert (report.verdict, report.exit_code) == ("blocked", 1)


def test_offline_uses_the_cache_and_fails_closed_without_it(demo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    online = check_requirement("tidy-notes==1.2.0", demo.config(), demo.options(cache))
    offline = check_requirement("tidy-notes==1.2.0", demo.config("broken"),  # never asked
                                demo.options(cache, offline=True))
    assert (online.exit_code, offline.exit_code) == (0, 1)  # the broken index's page is not cached
    offline = check_requirement("tidy-notes==1.2.0", demo.config(), demo.options(cache, offline=True))
    assert offline.exit_code == 0 and one(offline).facts.from_cache
    empty = check_requirement("tidy-notes==1.2.0", demo.config(), demo.options(tmp_path / "none",
                                                                                offline=True))
    assert one(empty).error.endswith("not in the cache, and --offline forbids asking the index")


def test_provenance_that_cannot_be_verified_is_shown_as_unverified(
        demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sigstore keeps its trust root under the user's data and cache directories.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sdist = demo.indexes["main"].projects["acme-utils"][0]
    document = {"version": 1, "attestation_bundles": [{
        "publisher": {"kind": "GitHub", "repository": "acme/acme-utils", "workflow": "release.yml"},
        "attestations": [{"version": 1, "verification_material": {
            "certificate": "bm90IGEgY2VydGlmaWNhdGU=", "transparency_entries": [{}]},
            "envelope": {"statement": "e30=", "signature": "c2ln"}}]}]}
    served = ServedIndex({"acme-utils": [ServedFile(sdist.path, sdist.upload_time, provenance=document)]})
    with serve({"p": served}) as urls:
        dep = one(check_requirement("acme-utils", type(demo)(urls, {"p": served}, tmp_path).config("p"),
                                    demo.options(tmp_path / "c")))
    assert dep.facts.provenance == (ProvenanceClaim(
        "acme_utils-1.0.0.tar.gz", "GitHub: repository acme/acme-utils, workflow release.yml",
        False, "invalid X.509 certificate"),)
    m7 = dep.files[0].report.check("M7")
    assert (m7.status, m7.details[-1]) == (
        "pass", "acme_utils-1.0.0.tar.gz: PEP 740 provenance UNVERIFIED, publisher GitHub: "
                "repository acme/acme-utils, workflow release.yml (invalid X.509 certificate)")


def test_a_verified_attestation_tells_m7_where_to_look_never_a_pass() -> None:
    from dataclasses import replace

    from hermetic import TODAY

    from pysecbook.checker.checklist import CheckContext, get_check
    from pysecbook.checker.index.facts import IndexFacts
    from pysecbook.checker.scan.model import SourceFile, Target

    facts = IndexFacts("https://mirror.invalid/simple/", "--index-url", False, "demo", "1.0", ())
    ctx = CheckContext(Target("wheel", "demo-1.0-py3-none-any.whl",
                              files=[SourceFile("demo/__init__.py", b"")]), today=TODAY,
                       index=facts)
    assert get_check("M7")().run(ctx).summary == (
        "this wheel carries no CI configuration: find the project's repository for a CI step or "
        "pre-commit hook that runs a scanner")
    good = ProvenanceClaim("demo-1.0-py3-none-any.whl", "GitHub: repository o/demo", True, "checked")
    bad = ProvenanceClaim("demo-1.0.tar.gz", "GitHub: repository x/y", False, "bad signature")
    ctx.index = replace(facts, provenance=(good,))
    result = get_check("M7")().run(ctx)
    # Verified: the place to look is the workflow that published the file; still not a pass.
    assert (result.status, result.details) == ("manual", (good.describe(),))
    assert result.summary.startswith(
        "this wheel carries no CI configuration: look at the CI that published "
        "demo-1.0-py3-none-any.whl (verified PEP 740 provenance: GitHub: repository o/demo) for")
    ctx.index = replace(facts, provenance=(bad,))
    result = get_check("M7")().run(ctx)
    # Unverified: shown, but the place to look is not taken from it.
    assert (result.status, result.details) == ("manual", (bad.describe(),))
    assert "find the project's repository" in result.summary


def test_a_machine_problem_raises_a_pass_to_review_and_never_blocks_a_package(demo, tmp_path: Path) -> None:
    from pysecbook.checker.checklist import RuntimeEnvironment

    # No virtual environment: M3 fails on this machine, whatever the package.
    options = demo.options(tmp_path, environment=RuntimeEnvironment((3, 12), None, None))
    clean = check_requirement("tidy-notes==1.2.0", demo.config(), options)
    assert (clean.outcome.verdicts, clean.verdict, clean.exit_code) == (("pass",), "review", 3)
    assert ([c.id for c in clean.outcome.machine], clean.outcome.reasons) == (["M3"], ())
    from pysecbook.checker.report import render

    text = render(clean, "text").split("\n--- ")[0]
    assert text.endswith("(the packages passed; this machine did not, see its line)\nThis machine, "
                         "not the packages: M3 fail: this interpreter is the global one: create a "
                         "virtual environment (python -m venv .venv) and install the program "
                         "there. Fix it before you install here.\nThe packages passed: fix this machine first, then install "
                         "with pip's --require-hashes from the one index checked.\n")
    bad = check_requirement("snoopy==0.0.1", demo.config(), options)
    assert (bad.verdict, bad.exit_code) == ("blocked", 1)
    assert not any("M3" in r for r in bad.outcome.reasons)
