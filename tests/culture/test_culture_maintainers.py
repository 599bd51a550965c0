"""The maintainers' page of book/culture: a Bandit plugin run without installing it."""

from __future__ import annotations

from pysecbook.teaching import bandit_plugin
from pysecbook.teaching.sast import scan_source


def test_plugin_flags_only_the_unfiltered_extraction() -> None:
    plain = scan_source(bandit_plugin.SAMPLE)
    extended = bandit_plugin.scan_with_plugins(
        bandit_plugin.SAMPLE, [bandit_plugin.unpack_archive_without_filter])
    assert bandit_plugin.PLUGIN_TEST_ID not in plain.test_ids
    hits = [f for f in extended.findings if f.test_id == bandit_plugin.PLUGIN_TEST_ID]
    assert [f.line for f in hits] == [5]
    assert hits[0].severity == "MEDIUM" and hits[0].cwe == 22


def test_plugin_does_not_leak_into_the_shared_scanner() -> None:
    bandit_plugin.scan_with_plugins(bandit_plugin.SAMPLE, [bandit_plugin.unpack_archive_without_filter])
    assert bandit_plugin.PLUGIN_TEST_ID not in scan_source(bandit_plugin.SAMPLE).test_ids


def test_plugin_id_is_not_a_builtin_and_entry_point_names_it() -> None:
    from bandit.core import extension_loader

    assert bandit_plugin.PLUGIN_TEST_ID not in extension_loader.MANAGER.plugins_by_id
    assert "pysecbook.teaching.bandit_plugin:unpack_archive_without_filter" in bandit_plugin.ENTRY_POINT
