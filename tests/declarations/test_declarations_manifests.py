"""Each manifest of a target parsed once per run, kept with the target, read by every part.

Also the project's side of the choices made where the former readers disagreed (pip's
behaviour wins): the include limit, loops, lines pip refuses, pip's option spellings.
"""

from __future__ import annotations

import gc
import tomllib
from pathlib import Path

import pytest
from hermetic import TODAY

from pysecbook.checker import Config, check_target
from pysecbook.checker.checklist import CheckContext, RuntimeEnvironment, get_check
from pysecbook.checker.declarations import declarations, manifests, project_info
from pysecbook.checker.scan.model import ScanOutcome, SourceFile, Target

VENV = RuntimeEnvironment((3, 12), "/srv/venv", None)
PYPROJECT = """\
# parsed-once-marker
[build-system]
requires = []
build-backend = "backend"
backend-path = ["_build"]

[project]
name = "tidy"
version = "1.0"
dependencies = ["rich==13.9.4"]

[tool.pysecbook]
skip = {M3 = "the target asks for it"}
"""


def target(files: dict[str, str | bytes], kind: str = "directory") -> Target:
    return Target(kind, "t", files=[SourceFile(p, d.encode() if isinstance(d, str) else d)
                                    for p, d in files.items()])


def test_pyproject_is_parsed_once_in_a_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The target's settings (refused), the scan's plan (its in-tree backend), its metadata
    heuristics and every check read one parse of ``pyproject.toml``."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "backend.py").write_text("import subprocess\nsubprocess.run(['id'])\n",
                                                    encoding="utf-8")
    parses = []
    loads = tomllib.loads

    def counting(text: str, **kwargs):  # type: ignore[no-untyped-def]
        if "parsed-once-marker" in text:
            parses.append(text)
        return loads(text, **kwargs)

    monkeypatch.setattr(tomllib, "loads", counting)
    report = check_target(str(tmp_path), environment=VENV, today=TODAY, jobs=1,
                          settings=Config(skip={"C3": "no audit in this test"}))
    assert len(parses) == 1
    # each reader saw it: the refused settings, the backend as install-time code, the project
    # (named, without a summary) in the metadata heuristics
    found = {(f.rule_id, f.path) for f in report.findings}
    assert {("PSB-TRUST-CONFIG", "pyproject.toml"), ("PSB-RF-SETUP-PROCESS", "_build/backend.py"),
            ("PSB-RF-META-NO-DESCRIPTION", "pyproject.toml")} <= found


def test_declarations_are_kept_with_the_target_while_it_lives() -> None:
    t = target({"pyproject.toml": PYPROJECT})
    first = declarations(t)
    assert declarations(t) is first and first.project() is first.project(None)
    assert first.project({"name": "x"}) is first.project({"name": "x"}) is not first.project()
    with pytest.raises(AttributeError):  # a Target is read-only: nothing can go stale
        t.files = (*t.files, SourceFile("requirements.txt", b"attrs==24.1\n"))  # type: ignore[misc]
    twin = target({"pyproject.toml": PYPROJECT, "requirements.txt": "attrs==24.1\n"})
    other = declarations(twin)  # another target, even with the same files: its own reading
    assert other is not first and [d.text for d in other.project().dependencies][-1] == "attrs==24.1"
    held = len(manifests._CACHE)
    del t, twin, first, other
    gc.collect()
    assert len(manifests._CACHE) == held - 2  # nothing outlives its target


def test_the_scan_setup_arguments_reach_the_checks() -> None:
    """``setup.py``'s literal arguments are known once the scan's workers read it: the checks
    see them through ``ctx.project``, with the manifests read before."""
    t = target({"setup.py": "from setuptools import setup\nsetup(name='demo')\n",
                "setup.cfg": "[metadata]\nlicense = MIT\n"})
    outcome = ScanOutcome(setup_kwargs={"name": "demo", "install_requires": ["rich>=13"], "_line": 2})
    ctx = CheckContext(t, outcome, environment=VENV, today=TODAY)
    assert ctx.project is declarations(t).project(outcome.setup_kwargs)
    assert (ctx.project.name, ctx.project.license_text) == ("demo", "MIT")
    assert [(d.text, d.origin, d.line) for d in ctx.project.dependencies] == [("rich>=13", "setup.py", 2)]
    assert project_info(t).name is None  # without the scan's arguments


# ------------------------------------------------------------------ pip's rules in a project

def test_includes_are_followed_past_ten_files() -> None:
    """The scan's former reader stopped at 10 files, the lock reader at 100; pip has no limit.
    One limit now, 100 files, for both."""
    files = {"requirements.txt": "-r r/1.txt\n"}
    files |= {f"r/{i}.txt": f"-r {i + 1}.txt\npkg{i}==1.0\n" for i in range(1, 15)}
    files["r/15.txt"] = "last==1.0\n"
    info = project_info(target(files))
    assert not info.unreadable
    assert len(info.dependencies) == 15 and info.dependencies[0].text == "last==1.0"


def test_a_file_that_includes_itself_is_unreadable_as_pip_refuses_it() -> None:
    """The scan's former reader skipped a loop in silence; pip refuses the file."""
    info = project_info(target({"requirements.txt": "-r requirements/base.txt\nrich==13.9.4\n",
                                "requirements/base.txt": "-r ../requirements.txt\n"}))
    assert info.unreadable == {"requirements/base.txt:1": "includes 'requirements.txt', which "
                               "includes it back: pip refuses a requirements file that includes itself"}
    assert [d.text for d in info.dependencies] == ["rich==13.9.4"]


def test_an_unknown_option_is_reported_not_ignored() -> None:
    t = target({"requirements.txt": "rich==13.9.4\n--frobnicate\n"})
    ctx = CheckContext(t, ScanOutcome(), environment=VENV, today=TODAY)
    assert ctx.project.unreadable == {"requirements.txt:2": "pip refuses this line: no such option: "
                                                            "--frobnicate"}
    assert [u.path for u in ctx.unscanned] == ["requirements.txt:2"]


def test_options_are_read_with_pips_spellings() -> None:
    """An abbreviation and pip's ``--pypi-url`` alias change pip's indexes: M1 sees them (the
    scan's former reader split ``--opt value`` by hand and knew neither)."""
    t = target({"requirements.txt": "--pypi-url https://mirror.invalid/simple\n"
                                    "--extra-index https://extra.invalid/simple\n"
                                    "rich==13.9.4\t# pinned\n"})
    result = get_check("M1")().run(CheckContext(t, ScanOutcome(), environment=VENV, today=TODAY))
    assert result.status == "fail"
    assert result.details[:2] == ("requirements.txt:2: extra index https://extra.invalid/simple "
                                  "(dependency confusion)",
                                  "requirements.txt:1: the default index is replaced by "
                                  "https://mirror.invalid/simple")
    [dep] = project_info(t).dependencies
    assert (dep.text, dep.pinned) == ("rich==13.9.4", True)  # a comment after a tab
