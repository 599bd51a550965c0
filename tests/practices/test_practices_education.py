"""Education (book/practices/education): the sample module and Bandit's plugin list."""

from __future__ import annotations

from pysecbook.teaching import education


def test_sample_module_findings() -> None:
    result = education.scan_sample()
    assert result.skipped is None
    assert {"B301", "B506", "B324", "B602", "B608", "B105"} <= result.test_ids


def test_bandit_rules_come_from_entry_points() -> None:
    rules = education.bandit_plugin_rules()
    names = {r.name for r in rules}
    assert "assert_used" in names and "logging_config_insecure_listen" in names
    assert all(":" in r.target for r in rules)
