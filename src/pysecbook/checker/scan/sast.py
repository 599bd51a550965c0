"""Bandit, used as a library: scan source bytes in memory, without writing files.

The checker scans archive members in memory, and the book's pages show what Bandit says about
each example (:mod:`pysecbook.teaching.sast`). Bandit's only stable interface is its command
line; this module uses its ``BanditManager`` at the exact version pinned in
``requirements.txt`` and keeps that use in one place, with two adjustments that change no
result, each tested against Bandit's own behaviour: the ``# nosec`` lookup in constant time
per node (:func:`nosec_for_lines`), and the syntax tree the scan already built handed to
Bandit instead of a second parse (:class:`_AstWithGivenTree`).
"""

from __future__ import annotations

import ast
import functools
import io
import logging
import threading
import types
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One Bandit result."""

    test_id: str
    test_name: str
    severity: str
    confidence: str
    cwe: int | None
    line: int
    message: str


@dataclass(frozen=True)
class ScanResult:
    """Findings for one source text, and why it could not be scanned if it could not."""

    findings: tuple[Finding, ...]
    skipped: str | None = None
    #: How many findings a "nosec" comment suppressed (counted as Bandit's metrics count them).
    nosec: int = 0

    @property
    def test_ids(self) -> set[str]:
        return {f.test_id for f in self.findings}


def nosec_for_lines(nosec_lines: dict[int, Any], context: dict[str, Any]) -> Any:
    """Bandit's ``utils.get_nosec``, with the same answer in time that does not grow with the
    node's length.

    Bandit asks, for every test on every node, which ``# nosec`` comment covers the node, by
    walking every line of the node's range; for a string it uses its parent's range. In a
    generated table (one dict literal of 17,000 lines, as in a PDF library's glyph list)
    that is 17,000 strings times 17,000 lines times each string test: over a minute of CPU,
    enough to time a real file out. Bandit builds every range as ``list(range(first,
    last + 1))`` (``utils.linerange``), so the first covered line of the range is the
    smallest commented line between its ends, found among the comments, which are few.
    With no comment at all (always when ``# nosec`` is ignored) there is nothing to walk.
    """
    if not nosec_lines:
        return None
    lines = context["linerange"]
    if lines and len(lines) == lines[-1] - lines[0] + 1 and len(nosec_lines) < len(lines):
        first, last = lines[0], lines[-1]
        hits = [n for n in nosec_lines if first <= n <= last]
        return nosec_lines[min(hits)] if hits else None
    for lineno in lines:
        found = nosec_lines.get(lineno)
        if found is not None:
            return found
    return None


def _install_nosec_lookup() -> None:
    """Use :func:`nosec_for_lines` for Bandit's lookup, in this process only (the pinned
    Bandit version's ``tester`` calls it as ``utils.get_nosec``)."""
    from bandit.core import utils as b_utils

    b_utils.get_nosec = nosec_for_lines


#: The syntax tree the caller already has for the source Bandit is about to parse (per thread).
_given = threading.local()


class _AstWithGivenTree(types.ModuleType):
    """The :mod:`ast` module as Bandit's node visitor sees it, except that ``parse`` hands back
    the tree the caller already built for the very same source (:func:`scan_bytes`'s
    ``tree``): the scan parsed every file once for its own rules, and Bandit would parse it
    again. Any other source is parsed as usual. Every other name is the real module's,
    copied in (the visitor reads ``ast.Expr`` and the like at every node: a lookup through
    ``__getattr__`` would cost what the saved parse gains)."""

    def __init__(self) -> None:
        super().__init__("ast")
        self.__dict__.update({k: v for k, v in vars(ast).items() if k != "parse"})

    @staticmethod
    def parse(source: Any, *args: Any, **kwargs: Any) -> Any:
        given = getattr(_given, "value", None)
        if given is not None and not args and not kwargs and given[0] == source:
            _given.value = None
            return given[1]
        return ast.parse(source, *args, **kwargs)


def _install_tree_handoff() -> None:
    """Bandit's node visitor (the pinned version) parses with ``ast.parse(data)`` through its
    module's ``ast`` name: give it :class:`_AstWithGivenTree`, in this process only."""
    from bandit.core import node_visitor as b_node_visitor

    if not isinstance(b_node_visitor.ast, _AstWithGivenTree):
        b_node_visitor.ast = _AstWithGivenTree()


@functools.lru_cache(maxsize=2)
def _manager(ignore_nosec: bool = False):  # type: ignore[no-untyped-def]
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    _install_nosec_lookup()
    _install_tree_handoff()
    return b_manager.BanditManager(
        b_config.BanditConfig(), "file", quiet=True, ignore_nosec=ignore_nosec
    )


def scan_bytes(data: bytes, name: str = "<source>", *, ignore_nosec: bool = False,
               tree: ast.Module | None = None) -> ScanResult:
    """Run every Bandit test on ``data`` (Python source) and return what it found.

    ``# nosec`` comments are honoured, as Bandit does, unless ``ignore_nosec`` is true.
    ``tree`` is ``ast.parse(data)``, when the caller has it: Bandit then uses it rather than
    parsing again, and leaves notes of its own on its nodes (``_bandit_parent``...).
    """
    # Bandit tokenizes the whole file to find "nosec" comments; its pattern is case-sensitive,
    # so a file without the word has none, and skipping that pass changes no result.
    mgr = _manager(ignore_nosec or b"nosec" not in data)
    mgr.results = []
    mgr.skipped = []
    files = [name]
    _given.value = (data, tree) if tree is not None else None
    try:
        mgr._parse_file(name, io.BytesIO(data), files)  # noqa: SLF001 - see module docstring
    finally:
        _given.value = None
    skipped = mgr.skipped[0][1] if mgr.skipped else None
    metrics = mgr.metrics.data.pop(name, {})  # per-file block; popped so a long scan stays small
    nosec = int(metrics.get("nosec", 0)) + int(metrics.get("skipped_tests", 0))
    findings = tuple(
        Finding(
            test_id=issue.test_id,
            test_name=issue.test,
            severity=str(issue.severity),
            confidence=str(issue.confidence),
            cwe=issue.cwe.id or None,
            line=issue.lineno,
            message=issue.text,
        )
        for issue in mgr.results
    )
    mgr.results = []
    mgr.skipped = []
    return ScanResult(findings=findings, skipped=skipped, nosec=nosec)
