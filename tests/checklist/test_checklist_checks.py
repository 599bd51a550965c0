"""Every check both ways: a target that passes it and one that fails it (hand-built targets)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from checklist_helpers import CONTAINER, GLOBAL, TODAY, VENV, ctx, finding, target
from hermetic import closed_port, days_before, osv_record, osv_server

from pysecbook.checker.checklist import all_checks, get_check
from pysecbook.checker.checklist.audit import AuditResult, audit_pins
from pysecbook.checker.checklist.licences import classify_license
from pysecbook.checker.scan.model import Unscanned
from pysecbook.checker.scan.targets.git import HeadCommit, head_commit


def run(check_id: str, c) -> str:  # type: ignore[no-untyped-def]
    return get_check(check_id)().run(c).status


def test_registry_has_every_item_of_the_source_checklist() -> None:
    ids = [c.id for c in all_checks()]
    assert ids == [f"M{i}" for i in range(1, 10)] + [f"C{i}" for i in range(1, 6)]
    for cls in all_checks():
        assert cls.title() and cls.explanation().count(".") >= 2, cls.id
        assert cls.url().endswith(f"{cls.page}.html#{cls.label()}")
        assert cls.label() == f"checklist-{cls.level}-{cls.id.lower()}"
        assert cls.level == ("must" if cls.id.startswith("M") else "could")


def test_every_check_has_its_labelled_section_in_the_book(root: Path) -> None:
    for cls in all_checks():
        page = root / "book" / f"{cls.page}.md"
        assert f"({cls.label()})=" in page.read_text(encoding="utf-8"), (cls.id, page)


GOOD_PYPROJECT = """[project]
name = "tidy"
license = "MIT"
dependencies = ["rich>=13"]
[project.urls]
Security = "https://example.org/security"
"""
HASHED = "rich==13.9.4 \\\n    --hash=sha256:" + "a" * 64 + "\n"


def test_m1_trusted_sources() -> None:
    assert run("M1", ctx(target({"pyproject.toml": GOOD_PYPROJECT}))) == "pass"
    bad = target({"requirements.txt": "--extra-index-url https://example.invalid/simple\nrich==1\n"})
    assert run("M1", ctx(bad)) == "fail"
    vcs = target({"requirements.txt": "pkg @ git+https://example.invalid/pkg.git\n"})
    assert run("M1", ctx(vcs)) == "fail"
    installed = target({}, kind="installed", dist_info={"direct_url.json": b'{"url": "file:///tmp/x", "dir_info": {}}'})
    assert run("M1", ctx(installed)) == "fail"
    # A look-alike name is for a person to confirm (forks and namesakes have them too)...
    squat = target({"pyproject.toml": '[project]\nname = "reqeusts"\n'})
    result = get_check("M1")().run(ctx(squat))
    assert result.status == "manual" and "'requests'" in result.details[0]
    # ... and a source outside a trusted index still fails beside it.
    squat_vcs = target({"pyproject.toml": '[project]\nname = "reqeusts"\n',
                        "requirements.txt": "pkg @ git+https://example.invalid/pkg.git\n"})
    assert run("M1", ctx(squat_vcs)) == "fail"


def test_m1_the_project_itself_as_a_local_requirement_is_no_outside_source() -> None:
    """pip-compile writes the project itself as ``name @ file:.`` into a docs lock
    (jsonschema, referencing); ``-e .`` and ``./vendor/pkg`` are inside what was read too."""
    for line in ("jsonschema @ file:.", "file:.#egg=jsonschema", "-e .", ".[socks]",
                 "-e ./vendor/pkg", "vendored @ file:./vendor/x"):
        assert run("M1", ctx(target({"docs/requirements.txt": f"{line}\n"}))) == "pass", line
    for line in ("other @ file:../other", "-e ../sibling", "file:///opt/pkg", "/abs/pkg"):
        result = get_check("M1")().run(ctx(target({"requirements.txt": f"{line}\n"})))
        assert result.status == "warn" and "outside the target" in result.details[0], line


def test_m2_sast() -> None:
    assert run("M2", ctx(target({"a.py": "x = 1\n"}))) == "pass"
    assert run("M2", ctx(target({}), findings=[finding("low")])) == "warn"
    # A Bandit finding in someone else's code asks for a reviewer; in your own, it fails.
    assert run("M2", ctx(target({}), findings=[finding("high")])) == "manual"
    assert run("M2", ctx(target({}), findings=[finding("high")], own_project=True)) == "fail"
    assert run("M2", ctx(target({}), findings=[finding("medium")], fail_on="medium", own_project=True)) == "fail"
    # A red flag is evidence, whoever owns the code.
    assert run("M2", ctx(target({}), findings=[finding("high", "redflag")])) == "fail"
    assert run("M2", ctx(target({}), findings=[finding("medium", "redflag")])) == "warn"
    # A file that could not be scanned is a gap for a person to read, not evidence...
    assert run("M2", ctx(target({}), unscanned=[Unscanned("b.py", "syntax error")])) == "manual"
    # ... unless it runs at build or install time, or hides a part never read.
    assert run("M2", ctx(target({}), unscanned=[Unscanned("setup.py", "syntax error", True)])) == "fail"
    assert run("M2", ctx(target({}), findings=[finding("high", "redflag")],
                         unscanned=[Unscanned("b.py", "syntax error")])) == "fail"


def test_m3_virtual_environment() -> None:
    assert run("M3", ctx(target({}), env=VENV)) == "pass"
    assert run("M3", ctx(target({}), env=CONTAINER)) == "pass"
    assert run("M3", ctx(target({}), env=GLOBAL)) == "fail"


def test_m4_dependencies() -> None:
    assert run("M4", ctx(target({"requirements.txt": HASHED}))) == "pass"
    assert run("M4", ctx(target({"requirements.txt": "rich\n"}))) == "fail"
    assert run("M4", ctx(target({"requirements.txt": "rich==13.9.4\n"}))) == "warn"
    assert run("M4", ctx(target({"pyproject.toml": '[project]\nname="x"\ndependencies=["reqeusts==1.0"]\n',
                                 "requirements.txt": HASHED}))) == "warn"
    assert run("M4", ctx(target({"requirements.in": "rich\n", "requirements.txt": HASHED}))) == "pass"
    native = target({"requirements.txt": HASHED, "setup.py": "from setuptools import Extension\n"})
    assert run("M4", ctx(native)) == "warn"


def test_m4_development_files_of_a_third_party_ask_for_a_look() -> None:
    """requests' sdist: an unpinned requirements-dev.txt and ``.[socks]`` (pip reads it as
    the project itself, with an extra). Its users never install that file; its maintainers do."""
    dev = {"requirements-dev.txt": ".[socks]\npytest>=2.8\n", "requirements.txt": HASHED}
    result = get_check("M4")().run(ctx(target(dev)))
    assert result.status == "warn"
    assert result.details == ("requirements-dev.txt:2: pytest>=2.8 is not pinned "
                              "(the maintainers' file: not what pip installs with the program)",)
    assert run("M4", ctx(target(dev), own_project=True)) == "fail"
    # Whole words only: a "devices" file is the program's own.
    assert run("M4", ctx(target({"requirements-devices.txt": "rich\n"}))) == "fail"
    assert run("M4", ctx(target({"docs/requirements.txt": "rich\n"}))) == "warn"


def test_m4_a_requirements_file_inside_a_package_is_not_what_pip_installs() -> None:
    """bandit's and pybtex-docutils' sdists ship an unpinned requirements.txt: pip installs
    what the metadata declares, so the file speaks of the maintainers' set-up. A project
    directory you would run is installed from it: there it counts in full."""
    files = {"requirements.txt": "docutils>=0.14\n", "PKG-INFO": "Name: x\nVersion: 1\n"}
    for kind in ("sdist", "wheel", "installed"):
        result = get_check("M4")().run(ctx(target(files, kind=kind)))
        assert result.status == "warn", kind
        assert "not what pip installs" in result.details[0]
    assert run("M4", ctx(target(files, kind="directory"))) == "fail"
    assert run("M4", ctx(target(files, kind="sdist"), own_project=True)) == "fail"


def test_m4_setup_cfg_comments_are_read_as_setuptools_reads_them() -> None:
    cfg = ("[options]\ninstall_requires =\n    # the DNS checks\n"
           "    dnspython>=2.0.0 # optional if deliverability check isn't needed\n    idna>=2.0.0\n")
    result = get_check("M4")().run(ctx(target({"setup.cfg": cfg})))
    assert result.status == "warn" and not any("unreadable" in d for d in result.details)
    broken = get_check("M4")().run(ctx(target({"setup.cfg": "[options]\ninstall_requires =\n    dns python>=\n"})))
    assert broken.status == "fail" and "unreadable requirement" in broken.details[0]


def test_m4_c_sources_among_tests_are_no_extension_to_build() -> None:
    tests = target({"tests/examplefiles/c/ceval.c": "int main(void) { return 0; }\n"})
    assert not any("compiler" in d for d in get_check("M4")().run(ctx(tests)).details)
    ext = target({"src/speedups.c": "int main(void) { return 0; }\n"})
    assert any("compiler" in d for d in get_check("M4")().run(ctx(ext)).details)


def test_m5_isolation() -> None:
    assert run("M5", ctx(target({}), env=GLOBAL)) == "pass"
    assert run("M5", ctx(target({}), findings=[finding("high", "redflag")], env=CONTAINER)) == "pass"
    assert run("M5", ctx(target({}), findings=[finding("high", "redflag")], env=GLOBAL)) == "fail"
    # A Bandit finding is a question for a reviewer, not a reason to reach for a container.
    assert run("M5", ctx(target({}), findings=[finding("high")], env=GLOBAL)) == "pass"


MIT_TEXT = """MIT License

Copyright (c) 2026 The Tidy Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction.

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
"""


def test_m6_licence() -> None:
    assert run("M6", ctx(target({"pyproject.toml": GOOD_PYPROJECT}))) == "pass"
    assert run("M6", ctx(target({"LICENSE": MIT_TEXT}))) == "pass"
    assert run("M6", ctx(target({"a.py": ""}))) == "fail"
    assert run("M6", ctx(target({"LICENSE": "All rights reserved.", "setup.py": ""}, ), )) == "warn"
    proprietary = ctx(target({"pyproject.toml": '[project]\nname = "x"\nlicense = "LicenseRef-Proprietary"\n'}))
    assert run("M6", proprietary) == "fail"
    assert classify_license("MIT OR Apache-2.0") == "free"
    assert classify_license("GPL-2.0-or-later WITH Classpath-exception-2.0") == "free"
    assert classify_license("LicenseRef-Proprietary") == "non-free"
    assert classify_license("not the Apache License") == "unknown"


def test_m6_a_phrase_is_not_a_licence() -> None:
    """A file that names a licence (or half of one) is not that licence's text."""
    fake = target({"LICENSE": "This is not the Apache License, Version 2.0, January 2004; "
                              "all rights reserved."})
    result = get_check("M6")().run(ctx(fake))
    assert result.status == "warn" and "LICENSE: not the text of a licence" in result.details[0]
    half_mit = target({"LICENSE": MIT_TEXT.split("The above")[0]})
    assert run("M6", ctx(half_mit)) == "warn"


def test_m6_quadratic_spdx_input_is_refused_quickly() -> None:
    assert classify_license("MIT" + " " * 50_000 + "X") == "unknown"


WORKFLOW = """on: push
jobs:
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: |
          python -m pip install --require-hashes -r requirements.txt
          bandit -r src
"""


def test_m7_security_validation() -> None:
    ci = target({".github/workflows/ci.yml": WORKFLOW})
    assert run("M7", ctx(ci)) == "pass"
    hook = target({".pre-commit-config.yaml": "repos:\n  - repo: https://example.invalid/bandit\n"
                                              "    rev: 1.8.0\n    hooks:\n      - id: bandit\n"})
    assert run("M7", ctx(hook)) == "pass"
    via_make = target({".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: make audit\n",
                       "Makefile": "audit:\n\tpip-audit -r requirements.txt\n"})
    assert run("M7", ctx(via_make)) == "pass"
    # A CI that scans nothing, a report file, a badge: no evidence of a scan that runs.
    no_scan = target({".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n"})
    assert run("M7", ctx(no_scan)) == "warn"
    assert run("M7", ctx(target({"bandit-report.json": "{}"}))) == "manual"
    assert run("M7", ctx(target({"README.md": "hi"}), own_project=True)) == "warn"  # yours: add one
    assert run("M7", ctx(target({"scan_results.txt": "all good"}))) == "manual"
    wheel = target({"demo/__init__.py": ""}, kind="wheel", dist_info={
        "METADATA": b"Metadata-Version: 2.1\nName: demo\nProject-URL: Source, https://example.invalid/demo\n"})
    result = get_check("M7")().run(ctx(wheel))
    assert result.status == "manual" and "Source: https://example.invalid/demo" in result.summary


def test_m7_a_scanner_named_in_a_comment_or_an_echo_is_not_run() -> None:
    echo = target({".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n"
                   "      - run: echo we-should-run-banditx one day\n"})
    assert run("M7", ctx(echo)) == "warn"


def test_m8_interpreter_support() -> None:
    assert run("M8", ctx(target({}), status="bugfix")) == "pass"
    assert run("M8", ctx(target({}), status="security")) == "pass"
    assert run("M8", ctx(target({}), status="end-of-life")) == "fail"
    assert run("M8", ctx(target({}), status="unknown")) == "warn"


def test_m8_with_the_real_support_table() -> None:
    from pysecbook.checker.checklist import CheckContext
    from pysecbook.checker.checklist.environment import RuntimeEnvironment

    old = CheckContext(target({}), environment=RuntimeEnvironment((3, 7), None, None), today=TODAY)
    assert get_check("M8")().run(old).status == "fail"


def _m8(micro: int, *, day=None, distribution: bool = False):  # type: ignore[no-untyped-def]
    from pysecbook.checker.checklist import CheckContext
    from pysecbook.checker.checklist.environment import RuntimeEnvironment

    env = RuntimeEnvironment((3, 11), "/venv", None, python_micro=micro, distribution_build=distribution)
    return get_check("M8")().run(CheckContext(target({}), environment=env, today=day or TODAY))


def test_m8_fails_a_supported_branch_behind_its_newest_patch_release() -> None:
    result = _m8(7)
    assert result.status == "fail"
    assert result.summary.startswith("Python 3.11.7 lacks 10 patch releases of 3.11 (3.11.8 to 3.11.17)")
    assert result.details[0].startswith("Python 3.11 gets security fixes only")
    assert any(d.startswith("3.11.13: CVE-2024-12718, CVE-2025-4138, CVE-2025-4330, CVE-2025-4517 (tarfile)")
               for d in result.details)


def test_m8_passes_the_newest_patch_release_and_warns_when_the_table_is_old() -> None:
    from datetime import timedelta

    from pysecbook.checker.eol import patches

    current = _m8(17)
    assert current.status == "pass"
    assert current.summary.startswith("Python 3.11.17 is the newest 3.11 release in the table")
    stale = _m8(17, day=patches.load_table().checked + timedelta(days=200))
    assert stale.status == "warn"
    assert any("patch table was checked on" in d for d in stale.details)


def test_m8_tells_a_distribution_build_how_to_check_its_backports() -> None:
    result = _m8(2, distribution=True)
    assert result.status == "fail"
    assert result.details[1].startswith("this interpreter looks like a distribution build")


def test_m9_is_manual_never_pass() -> None:
    assert run("M9", ctx(target({}))) == "manual"


def test_c1_cloud_sdks() -> None:
    assert run("C1", ctx(target({"a.py": "import json\n"}))) == "pass"
    assert run("C1", ctx(target({"a.py": "from google.cloud import storage\n"}))) == "fail"
    assert run("C1", ctx(target({"pyproject.toml": '[project]\nname="x"\ndependencies=["azure-storage-blob"]\n'}))) == "fail"


def test_c2_telemetry() -> None:
    assert run("C2", ctx(target({"a.py": "import logging\n"}))) == "pass"
    assert run("C2", ctx(target({"a.py": "import sentry_sdk\n"}))) == "fail"
    assert run("C2", ctx(target({"requirements.txt": "posthog==3.0\n"}))) == "fail"


def test_c3_vulnerabilities_with_a_fake_auditor() -> None:
    t = target({"requirements.txt": HASHED})
    seen = []

    def clean(pins):  # type: ignore[no-untyped-def]
        seen.extend(pins)
        return AuditResult("pass", "none")

    assert run("C3", ctx(t, auditor=clean)) == "pass"
    assert seen == [("rich", "13.9.4")]
    assert run("C3", ctx(t, auditor=lambda p: AuditResult("fail", "CVE"))) == "fail"
    assert run("C3", ctx(target({"requirements.txt": "rich\n"}))) == "warn"
    assert run("C3", ctx(target({"a.py": ""}))) == "pass"


def test_c3_unreachable_service_is_an_error_never_a_pass() -> None:
    """pip-audit for real, pointed at a port on 127.0.0.1 that refuses connections: once as
    its OSV service, once as the proxy in front of its default service. The same on a
    networked machine as on an offline one."""
    t = target({"requirements.txt": HASHED})
    with closed_port() as port:
        osv = functools.partial(audit_pins, service="osv", osv_url=f"http://127.0.0.1:{port}/v1/query")
        proxied = functools.partial(audit_pins, env={"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
        for auditor in (osv, proxied):
            result = get_check("C3")().run(ctx(t, auditor=auditor))
            assert result.status == "error", result
            assert "could not audit" in result.summary


def test_c3_audits_for_real_against_a_loopback_service() -> None:
    """pip-audit against an OSV API on 127.0.0.1: a clean pin passes, an affected one fails."""
    advisory = osv_record("PYSEC-TEST-1", "rich", "13.9.5")
    with osv_server({("rich", "13.9.4"): [advisory]}) as url:
        auditor = functools.partial(audit_pins, service="osv", osv_url=url)
        affected = get_check("C3")().run(ctx(target({"requirements.txt": HASHED}), auditor=auditor))
        clean = get_check("C3")().run(ctx(target({"requirements.txt": HASHED.replace("13.9.4", "13.9.5")}),
                                          auditor=auditor))
    assert affected.status == "fail" and affected.details == ("rich 13.9.4: PYSEC-TEST-1 (fixed in 13.9.5)",)
    assert clean.status == "pass" and "no known vulnerabilities in 1" in clean.summary


def commit_at(root: Path, when: float) -> None:
    """A Git repository at ``root`` whose HEAD commit was committed at ``when`` (dulwich, no git)."""
    from dulwich.repo import Repo

    repo = Repo.init(str(root), mkdir=not root.exists())
    repo.get_worktree().commit(message=b"a commit", committer=b"A <a@example.invalid>",
                               author=b"A <a@example.invalid>", commit_timestamp=when,
                               commit_timezone=0, author_timestamp=when, author_timezone=0)
    repo.close()


def test_c4_maintenance(tmp_path: Path) -> None:
    for age, status in ((10, "pass"), (500, "warn"), (3 * 365, "fail"), (-3, "warn")):
        root = tmp_path / f"repo-{age}"
        commit_at(root, days_before(age))
        head = head_commit(str(root))
        assert head.timestamp == int(days_before(age))
        assert run("C4", ctx(target({"a.py": ""}, root=str(root)), head=head)) == status, age


def test_c4_file_dates_are_no_evidence() -> None:
    """An archive's file dates come from its build tool: they decide nothing."""
    for kind in ("sdist", "wheel", "installed", "directory"):
        stamped = target({"a.py": ""}, kind=kind, mtime=days_before(10 * 365))
        assert run("C4", ctx(stamped)) == "manual", kind


def test_c4_reads_the_head_commit_not_the_reflog(tmp_path: Path) -> None:
    """A fresh clone's reflog records the clone (today); its HEAD commit is years old."""
    commit_at(tmp_path, days_before(4 * 365))
    logs = tmp_path / ".git" / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "HEAD").write_text(f"{'0' * 40} {'1' * 40} A <a@b> {int(days_before(0))} +0000\tclone: from x\n")
    (tmp_path / ".git" / "config").write_text("[core]\n\tfsmonitor = /bin/false\n")
    assert run("C4", ctx(target({}, root=str(tmp_path)), head=head_commit(str(tmp_path)))) == "fail"


def test_head_commit_refuses_what_leaves_the_repository(tmp_path: Path) -> None:
    commit_at(tmp_path / "real", days_before(1))
    (tmp_path / "linked").mkdir()
    os.symlink(tmp_path / "real" / ".git", tmp_path / "linked" / ".git")
    assert head_commit(str(tmp_path / "linked")) == HeadCommit(None, ".git is a symlink: not followed")
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".git").write_text(f"gitdir: {tmp_path / 'real' / '.git'}\n")
    assert "not followed" in head_commit(str(tmp_path / "worktree")).reason
    outside = tmp_path / "real" / ".git" / "refs" / "heads"
    head_file = (tmp_path / "real" / ".git" / "HEAD").read_text()
    branch = head_file.split("refs/heads/")[1].strip()
    (outside / branch).unlink()
    (tmp_path / "elsewhere").write_text("0" * 40 + "\n")
    os.symlink(tmp_path / "elsewhere", outside / branch)
    assert head_commit(str(tmp_path / "real")).timestamp is None


def test_c5_security_policy() -> None:
    assert run("C5", ctx(target({".github/SECURITY.md": "mail us"}))) == "pass"
    assert run("C5", ctx(target({"pyproject.toml": GOOD_PYPROJECT}))) == "pass"
    assert run("C5", ctx(target({"README.md": "hi"}))) == "fail"
    assert run("C5", ctx(target({"README.md": "hi"}, kind="wheel"))) == "manual"


