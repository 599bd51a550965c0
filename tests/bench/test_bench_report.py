"""The bench's registry of parts and its pure helpers (medians, ratios, verdicts, report).

No timing is asserted here: speed is measured by `make bench`, never by a unit test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hermetic import on_sys_path

from conftest import ROOT

with on_sys_path(ROOT / "bench"):
    from pysecbench import Part, load_parts, register
    from pysecbench import book, checker, common, report
    from pysecbench.cli import main


def test_median_and_ratio() -> None:
    assert common.median([3.0, 1.0, 2.0]) == 2.0
    assert common.median([4.0, 1.0]) == 2.5
    assert common.median([]) is None
    assert common.ratio(3.0, 6.0) == 0.5
    assert common.ratio(None, 6.0) is None
    assert common.ratio(3.0, 0) is None


def test_target_verdicts_and_gaps() -> None:
    met = common.target("t", 0.5, 0.6, "max", "x")
    assert met["status"] == "met" and abs(met["gap"] + 0.1) < 1e-9 and met["why"] == ""
    over = common.target("t", 0.9, 0.6, "max", "x", why="slow start-up")
    assert over["status"] == "not met" and over["why"] == "slow start-up"
    assert common.target("t", 3.0, 3.0, "lt", "s")["status"] == "not met"
    assert common.target("t", 95, 95, "min")["status"] == "met"
    missing = common.target("t", None, 90, "lt", "s", why="ignored")
    assert missing["status"] == "not measured" and missing["gap"] is None and not missing["why"]


def test_formatting() -> None:
    assert common.fmt_bytes(2_500_000) == "2.50 MB"
    assert common.fmt_bytes(600_000) == "600.0 KB"
    assert common.fmt_seconds(None) == "not measured"
    assert common.fmt_ratio(0.55) == "0.55x"


def test_executed_pages_from_a_build_log(tmp_path: Path) -> None:
    log = (f"{tmp_path}/book/a.md: Executed notebook in 1.50 seconds\n"
           f"{tmp_path}/book/b.md: Executed notebook in 4.25 seconds [mystnb]\n")
    pages = book.executed_pages(log, tmp_path)
    assert pages == [{"page": "book/b.md", "seconds": 4.25}, {"page": "book/a.md", "seconds": 1.5}]


def test_the_parts_are_registered_by_name_in_report_order() -> None:
    parts = load_parts()
    assert [p.name for p in parts] == ["book", "checker", "site", "wheels", "redflags", "lock",
                                       "make_test"]
    assert [p.name for p in parts if not p.default] == ["lock", "make_test"]
    with pytest.raises(ValueError, match="two bench parts are named 'book'"):
        register(Part("book", "Another book", lambda a, w: {}, lambda s, r: []))


def test_the_django_sdist_is_pinned_by_hash_and_never_fetched_with_pip() -> None:
    assert checker.DJANGO["filename"] == f"django-{checker.DJANGO_VERSION}.tar.gz"
    assert len(checker.DJANGO["sha256"]) == 64
    files = [ROOT / "bench" / "bench.py", *(ROOT / "bench" / "pysecbench").glob("*.py")]
    source = "".join(p.read_text(encoding="utf-8") for p in files)
    assert '"download"' not in source  # no pip download argv anywhere in the bench


def _report() -> dict:
    return {
        "machine": {"date": "2026-01-01 00:00 UTC", "cores": 2, "cpu": "cpu", "memory_gb": 4,
                    "python": "3.11.7", "os": "Linux", "note": "Shared machine.",
                    "load_average_at_start": [0.5, 0.4, 0.3]},
        "book": {"skipped": "not requested (--only)"},
        "checker": {
            "description": "Django.",
            "runs": [{"label": "bandit -r -q DJANGO_TREE", "seconds": [2.0, 1.0, 3.0],
                      "returncodes": [1, 1, 1], "median_s": 2.0, "median_tree_rss": 50e6,
                      "median_max_rss": 50e6, "median_cpu_s": 1.5,
                      "load_before": [0.5, 0.4, 0.3]}],
            "ratios": {"tree": 0.8},
            "ratios_labels": {"tree": "check / bandit, Django tree"},
            "summary": {},
            "why": "start-up dominates",
        },
        "site": {"skipped": "no built site"},
        "wheels": {"skipped": "not requested (--only)"},
        "make_test": {"skipped": "busy machine"},
    }


def test_render_markdown_states_every_target() -> None:
    parts = load_parts()
    data = _report()
    data["targets"] = report.targets(data, parts)
    text = report.render_markdown(data, parts)
    assert text.startswith("# `make bench` report")
    assert "Load average (1, 5, 15 min) at the start: 0.5, 0.4, 0.3." in text
    assert "| check / bandit, Django tree | <= 0.60x | 0.80x | not met | +0.20x |" in text
    assert "- **check / bandit, Django tree**: start-up dominates" in text
    assert "| rebuild after a prose edit | < 3.00 s | not measured | not measured |  |" in text
    assert "| rebuild, no change | < 2.00 s | not measured | not measured |  |" in text
    assert "| clean build, every page executed | < 60.00 s |" in text
    assert "Not measured in this run: busy machine." in text
    assert ("| `bandit -r -q DJANGO_TREE` | 2.00, 1.00, 3.00 | 2.00 s | 1.50 s | 50.00 MB | "
            "50.00 MB | 1, 1, 1 | 0.5, 0.4, 0.3 |") in text
    names = [t["name"] for t in data["targets"]]
    # book 3, checker 2, site 9, wheels 1, make test 1, red flags 3 (those whose limit is a
    # number, not another tool's measurement), lock 1
    assert len(names) == 3 + 2 + 9 + 1 + 1 + 3 + 1 and len(set(names)) == len(names)


def test_render_only_rewrites_both_reports_from_the_json(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text(json.dumps(_report()), encoding="utf-8")
    assert main(["--render-only", "--out", str(tmp_path)]) == 0
    assert "| check / bandit, Django tree |" in (tmp_path / "report.md").read_text()
    again = json.loads((tmp_path / "report.json").read_text())
    assert [t["status"] for t in again["targets"]][:4] == [
        "not measured", "not measured", "not measured", "not met"]


def test_an_unknown_part_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "book,nonsense"])
    assert "unknown part(s) nonsense" in capsys.readouterr().err


def test_keep_carries_earlier_sections_over_marked_with_their_date(tmp_path: Path) -> None:
    earlier = _report()
    (tmp_path / "report.json").write_text(json.dumps(earlier), encoding="utf-8")
    from pysecbench.cli import kept_sections

    kept = kept_sections(tmp_path / "report.json")
    assert set(kept) == {"checker"}  # skipped sections are not carried over
    assert kept["checker"]["kept_from"] == "2026-01-01 00:00 UTC"
    parts = load_parts()
    data = {**_report(), **kept}
    data["targets"] = report.targets(data, parts)
    text = report.render_markdown(data, parts)
    assert "Not measured in this run: kept from the run of 2026-01-01 00:00 UTC." in text
    assert "| check / bandit, Django tree | <= 0.60x | 0.80x | not met | +0.20x |" in text
    # Kept again by a later --keep run, it keeps the date it was measured, not the later one.
    again = {**_report(), **kept, "machine": {"date": "2026-02-02 00:00 UTC"}}
    (tmp_path / "report.json").write_text(json.dumps(again), encoding="utf-8")
    assert kept_sections(tmp_path / "report.json")["checker"]["kept_from"] == "2026-01-01 00:00 UTC"


def test_the_lock_section_renders_its_figures() -> None:
    from pysecbench import lock as lock_part

    lock = lock_part._module()
    run = {"seconds": 1.0, "tree_rss": 2e8}
    section = {"description": "D.", "seconds": {"cold": 90.0, "warm": 20.0, "offline": 12.5,
                                                 "bandit": 40.0},
               "peak_tree_rss": {"cold": 3e8, "warm": 2.5e8, "offline": 2e8, "bandit": 1e8},
               "warm_ratio": 0.5, "summary": {"verdicts": {"pass": 3}, "failing_checks": {},
                                              "not_fetched": []}, "cold": run}
    text = "\n".join(lock.markdown(section))
    assert "| warm cache | 20.0 s | 250 MB |" in text and "| --offline | 12.5 s | 200 MB |" in text
    assert "Warm cache / bandit -r: 0.50x (target: under 1x)." in text
    assert lock.markdown({"skipped": "offline machine"})[-2] == "Not measured in this run: offline machine."
