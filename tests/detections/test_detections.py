"""The project's own Bandit rules: registered, loaded by Bandit, and right both ways.

Every sample a detection carries is scanned through the checker's in-memory Bandit, the one
``pysecbook check`` runs: each ``flags`` sample must be reported with the detection's id,
each ``passes`` sample (a near miss) must not. The risks' own insecure and secure functions
are checked in ``tests/test_risks.py``.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from hermetic import closed_port

from conftest import ROOT
from pysecbook.checker.detections import FAMILIES, LEVELS, all_detections, get
from pysecbook.checker.scan.sast import scan_bytes
from pysecbook.cli import main

DETECTIONS = all_detections()
IDS = [d.id for d in DETECTIONS]


def samples(kind: str) -> list[tuple[str, str]]:
    return [(d.id, s) for d in DETECTIONS for s in getattr(d, kind)]


def sample_ids(kind: str) -> list[str]:
    counts: dict[str, int] = {}
    out = []
    for detection_id, _ in samples(kind):
        counts[detection_id] = counts.get(detection_id, 0) + 1
        out.append(f"{detection_id}-{counts[detection_id]}")
    return out


@pytest.mark.parametrize("detection", DETECTIONS, ids=IDS)
def test_detection_is_complete(detection) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"PSB[1-9]\d\d", detection.id)
    assert detection.id[3] in FAMILIES
    assert detection.severity in LEVELS and detection.confidence in LEVELS
    assert detection.cwe > 0 and detection.title and detection.fix.endswith(".")
    assert detection.flags and detection.passes
    plugin = detection.plugin
    assert plugin._test_id == detection.id and plugin._checks  # what Bandit reads
    assert plugin.__name__.startswith("pysecbook_")
    assert plugin.__module__.startswith("pysecbook.checker.detections.")
    assert all(ast.parse(s) for s in (*detection.flags, *detection.passes))


@pytest.mark.parametrize(("detection_id", "source"), samples("flags"), ids=sample_ids("flags"))
def test_detection_flags_its_samples(detection_id: str, source: str) -> None:
    result = scan_bytes(source.encode(), f"{detection_id}.py")
    hits = [f for f in result.findings if f.test_id == detection_id]
    assert hits, result.findings
    detection = get(detection_id)
    assert (hits[0].severity, hits[0].confidence, hits[0].cwe) == (
        detection.severity, detection.confidence, detection.cwe)
    assert hits[0].message.endswith(detection.fix)


@pytest.mark.parametrize(("detection_id", "source"), samples("passes"), ids=sample_ids("passes"))
def test_detection_passes_its_near_misses(detection_id: str, source: str) -> None:
    result = scan_bytes(source.encode(), f"{detection_id}.py")
    assert result.skipped is None
    assert detection_id not in result.test_ids, result.findings


def test_entry_points_in_pyproject_name_every_plugin_once() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    table = declared["project"]["entry-points"]["bandit.plugins"]
    expected = {d.plugin.__name__: f"{d.plugin.__module__}:{d.plugin.__qualname__}"
                for d in DETECTIONS}
    assert table == expected


def test_the_installed_package_registers_the_same_plugins() -> None:
    """A stale install (pyproject changed, ``make install`` not rerun) fails here, not silently."""
    installed = {ep.name: ep.value for ep in metadata.entry_points(group="bandit.plugins")
                 if ep.name.startswith("pysecbook_")}
    assert installed == {d.plugin.__name__: f"{d.plugin.__module__}:{d.plugin.__qualname__}"
                         for d in DETECTIONS}, "run 'make install' to refresh the entry points"


def test_bandit_loads_every_detection_under_its_id() -> None:
    from bandit.core import extension_loader

    loaded = extension_loader.MANAGER.plugins_by_id
    for detection in DETECTIONS:
        assert loaded[detection.id].plugin is detection.plugin
        assert extension_loader.MANAGER.plugins_by_name[detection.plugin.__name__].plugin \
            is detection.plugin


def test_ids_and_names_cannot_collide_with_bandits_own() -> None:
    from bandit.core import extension_loader

    manager = extension_loader.MANAGER
    theirs = {i for i, p in manager.plugins_by_id.items() if not p.name.startswith("pysecbook_")}
    theirs |= set(manager.blacklist_by_id)
    assert theirs and all(re.fullmatch(r"B\d{3}", i) for i in theirs)
    assert not {d.id for d in DETECTIONS} & theirs
    assert not any(name.startswith("pysecbook_") for name in manager.blacklist_by_name)


@pytest.mark.parametrize("spelling", ["PSB302", "pysecbook_return_in_finally"])
def test_nosec_names_a_detection_by_id_or_name(spelling: str) -> None:
    """Bandit's own parser of ``# nosec`` comments understands the id scheme."""
    from bandit.core.manager import _parse_nosec_comment

    assert _parse_nosec_comment(f"# nosec {spelling} - a reviewed exception") == {"PSB302"}
    source = ("def f():\n    try:\n        work()\n    finally:\n"
              f"        return 1  # nosec {spelling} - reviewed\n")
    result = scan_bytes(source.encode(), "reviewed.py")
    assert "PSB302" not in result.test_ids and result.nosec == 1


def test_a_hyphenated_id_would_not_survive_a_nosec_comment() -> None:
    """Why the ids have no hyphen: Bandit cuts ``PSB-302`` in two and finds neither part."""
    from bandit.core.manager import NOSEC_COMMENT_TESTS

    assert [m.group(1) for m in NOSEC_COMMENT_TESTS.finditer("PSB-302")] == ["PSB", "302"]


def test_pysecbook_check_runs_the_detections(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``pysecbook check`` on a small target reports a project detection like a Bandit one."""
    (tmp_path / "ledger.py").write_text(
        "import ctypes\n\n\ndef total(quantity, price):\n"
        "    return ctypes.c_int32(quantity * price).value\n", encoding="utf-8")
    with closed_port() as port:
        main(["check", str(tmp_path), "--format", "json",
              "--osv-url", f"http://127.0.0.1:{port}/v1/query"])
    data = json.loads(capsys.readouterr().out)
    hits = [f for f in data["findings"] if f["rule_id"] == "PSB101"]
    assert [(h["path"], h["line"], h["severity"], h["cwe"]) for h in hits] == [
        ("ledger.py", 5, "medium", 190)]


def test_no_detection_fails_on_any_source_of_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bandit logs a plugin's exception and goes on: here every such error is collected.

    Only the project's detections run (a Bandit profile that includes just their ids)."""
    import io
    import logging

    from bandit.core import config, manager, tester

    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(tester.BanditTester, "report_error", staticmethod(
        lambda test, context, error: errors.append((test, repr(error)))))
    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True, ignore_nosec=True,
                                profile={"include": set(IDS), "exclude": set()})
    assert {t._test_id for tests in mgr.b_ts.tests.values() for t in tests} == set(IDS)
    # the project's own sources: not bench/.venv-guarddog nor the downloads in bench/cache
    files = [p for d in ("src", "tests", "_ext", "bench") for p in (ROOT / d).rglob("*.py")
             if not {".venv-guarddog", "cache", "node_modules"} & set(p.relative_to(ROOT).parts)]
    for path in files:
        mgr._parse_file(str(path), io.BytesIO(path.read_bytes()), [str(path)])  # noqa: SLF001
    assert len(files) > 100
    assert mgr.skipped == [] and errors == []
    assert {r.test_id for r in mgr.results} >= {"PSB601", "PSB701"}  # the insecure examples


def test_the_kept_walks_answer_as_the_plain_walk() -> None:
    """``has_call`` and ``local_nodes`` keep their answers on the nodes, bottom up: over this
    project's own sources, asked in any order, they answer what a fresh walk answers."""
    import ast
    import random
    from pathlib import Path

    from pysecbook.checker.detections._nodes import has_call, local_nodes, walk_local

    rng = random.Random(0)
    sources = sorted(Path(__file__).resolve().parents[2].joinpath("src").rglob("*.py"))
    checked = 0
    for path in sources[:60]:
        tree = ast.parse(path.read_bytes())
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.stmt | ast.expr)]
        expected = {id(n): (any(isinstance(m, ast.Call) for m in [n, *walk_local(n)]),
                            tuple(walk_local(n))) for n in nodes}
        rng.shuffle(nodes)
        for n in nodes:
            assert has_call(n) == expected[id(n)][0], (path, n.lineno)
            assert local_nodes(n) == expected[id(n)][1]
            checked += 1
    assert checked > 10_000
