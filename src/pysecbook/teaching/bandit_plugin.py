"""A Bandit plugin of the size one would contribute: one rule, one node type, one issue.

Bandit finds its rules through the ``bandit.plugins`` entry-point group: a plugin is a
function decorated with the node type it inspects (``@test.checks("Call")``) and its test
id (``@test.test_id(...)``), which receives a context describing one node and returns a
``bandit.Issue`` or ``None``. This rule flags ``shutil.unpack_archive()`` called without the
``filter=`` argument that Python 3.12 added (and 3.11.4 backported), which leaves the
extraction of an untrusted archive free to write outside the destination.

:func:`scan_with_plugins` runs Bandit's own test set plus extra plugin functions on a
source text, without installing anything: it adds them to the test set of one
``BanditManager``, the same mapping from node type to functions that entry points fill.
Book page: ``book/culture/maintainers``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence

import bandit
from bandit.core import issue, test_properties as test

from pysecbook.teaching.sast import Finding, ScanResult

#: The id this example uses. Bandit's maintainers assign the id of a rule they accept.
PLUGIN_TEST_ID = "B950"


@test.checks("Call")
@test.test_id(PLUGIN_TEST_ID)
def unpack_archive_without_filter(context):  # type: ignore[no-untyped-def]
    """``shutil.unpack_archive()`` without ``filter=``: a tar member can escape the target."""
    if context.call_function_name_qual != "shutil.unpack_archive":
        return None
    if "filter" in (context.call_keywords or {}):
        return None
    return bandit.Issue(
        severity=bandit.MEDIUM,
        confidence=bandit.HIGH,
        cwe=issue.Cwe.PATH_TRAVERSAL,
        text="shutil.unpack_archive() without filter=: pass filter='data' so that members "
        "cannot be written outside the destination.",
    )


def scan_with_plugins(source: str, plugins: Sequence[Callable[..., object]],
                      name: str = "<source>") -> ScanResult:
    """Run Bandit's tests and ``plugins`` on ``source``; return what they found."""
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    mgr = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True)
    for plugin in plugins:
        for node_type in plugin._checks:  # type: ignore[attr-defined]
            mgr.b_ts.tests.setdefault(node_type, []).append(plugin)
    mgr._parse_file(name, io.BytesIO(source.encode("utf-8")), [name])  # noqa: SLF001
    return ScanResult(
        findings=tuple(
            Finding(test_id=r.test_id, test_name=r.test, severity=str(r.severity),
                    confidence=str(r.confidence), cwe=r.cwe.id or None, line=r.lineno,
                    message=r.text)
            for r in mgr.results
        ),
        skipped=mgr.skipped[0][1] if mgr.skipped else None,
    )


#: A sample to scan: one unsafe extraction, one safe.
SAMPLE = '''\
import shutil


def install_theme(archive, destination):
    shutil.unpack_archive(archive, destination)


def install_theme_safely(archive, destination):
    shutil.unpack_archive(archive, destination, filter="data")
'''

#: The entry point that registers the plugin, in the plugin package's ``pyproject.toml``.
ENTRY_POINT = '''\
[project.entry-points."bandit.plugins"]
unpack_archive_without_filter = "pysecbook.teaching.bandit_plugin:unpack_archive_without_filter"
'''
