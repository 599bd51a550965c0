"""The pure helpers of bench/bench.py (medians, ratios, verdicts, report rendering).

No timing is asserted here: speed is measured by `make bench`, never by a unit test.
"""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("pysecbook_bench", ROOT / "bench" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["pysecbook_bench"] = bench
_spec.loader.exec_module(bench)


def test_median_and_ratio() -> None:
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([4.0, 1.0]) == 2.5
    assert bench.median([]) is None
    assert bench.ratio(3.0, 6.0) == 0.5
    assert bench.ratio(None, 6.0) is None
    assert bench.ratio(3.0, 0) is None


def test_target_verdicts_and_gaps() -> None:
    met = bench.target("t", 0.5, 0.6, "max", "x")
    assert met["status"] == "met" and abs(met["gap"] + 0.1) < 1e-9 and met["why"] == ""
    over = bench.target("t", 0.9, 0.6, "max", "x", why="slow start-up")
    assert over["status"] == "not met" and over["why"] == "slow start-up"
    assert bench.target("t", 3.0, 3.0, "lt", "s")["status"] == "not met"
    assert bench.target("t", 95, 95, "min")["status"] == "met"
    missing = bench.target("t", None, 90, "lt", "s", why="ignored")
    assert missing["status"] == "not measured" and missing["gap"] is None and not missing["why"]


def test_formatting() -> None:
    assert bench.fmt_bytes(2_500_000) == "2.50 MB"
    assert bench.fmt_bytes(600_000) == "600.0 KB"
    assert bench.fmt_seconds(None) == "not measured"
    assert bench.fmt_ratio(0.55) == "0.55x"


def test_executed_pages_from_a_build_log(tmp_path) -> None:
    log = (f"{tmp_path}/book/a.md: Executed notebook in 1.50 seconds [mystnb]\n"
           f"{tmp_path}/book/b.md: Executed notebook in 4.25 seconds [mystnb]\n")
    pages = bench.executed_pages(log, tmp_path)
    assert pages == [{"page": "book/b.md", "seconds": 4.25}, {"page": "book/a.md", "seconds": 1.5}]


def _report() -> dict:
    report = {
        "machine": {"date": "2026-01-01 00:00 UTC", "cores": 2, "cpu": "cpu", "memory_gb": 4,
                    "python": "3.11.7", "os": "Linux", "note": "Shared machine."},
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
        },
        "site": {"skipped": "no built site"},
        "make_test": {"skipped": "busy machine"},
        "why": {"tree": "start-up dominates"},
    }
    report["targets"] = bench.targets(report)
    return report


def test_render_markdown_states_every_target() -> None:
    report = _report()
    text = bench.render_markdown(report)
    assert text.startswith("# `make bench` report")
    assert "| check / bandit, Django tree | <= 0.60x | 0.80x | not met | +0.20x |" in text
    assert "- **check / bandit, Django tree**: start-up dominates" in text
    assert "| rebuild after a prose edit | < 3.00 s | not measured | not measured |  |" in text
    assert "Not measured in this run: busy machine." in text
    assert ("| `bandit -r -q DJANGO_TREE` | 2.00, 1.00, 3.00 | 2.00 s | 1.50 s | 50.00 MB | "
            "50.00 MB | 1, 1, 1 | 0.5, 0.4, 0.3 |") in text
    names = [t["name"] for t in report["targets"]]
    assert len(names) == 8 + 8 and len(set(names)) == len(names)
    assert "Not measured in this run." in text.split("requirements.txt` (this project's lock")[1]


def test_render_only_rewrites_both_reports_from_the_json(tmp_path) -> None:
    report = _report()
    (tmp_path / "report.json").write_text(bench.json.dumps(report), encoding="utf-8")
    assert bench.main(["--render-only", "--out", str(tmp_path)]) == 0
    assert "| check / bandit, Django tree |" in (tmp_path / "report.md").read_text()
    again = bench.json.loads((tmp_path / "report.json").read_text())
    assert [t["status"] for t in again["targets"]][:2] == ["not met", "not measured"]


def test_the_lock_section_renders_its_figures() -> None:
    lock = bench._lock_part()
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
