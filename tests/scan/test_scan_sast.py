"""Bandit as a library: the faster ``# nosec`` lookup gives Bandit's own answers."""

from __future__ import annotations

import random

import pytest
from bandit.core import utils as b_utils

from pysecbook.checker.scan import sast

#: Bandit's own lookup, kept before anything in this process replaced it.
ORIGINAL = b_utils.get_nosec if b_utils.get_nosec is not sast.nosec_for_lines else None


def bandit_get_nosec(nosec_lines, context):  # the pinned Bandit's utils.get_nosec, verbatim
    for lineno in context["linerange"]:
        nosec = nosec_lines.get(lineno, None)
        if nosec is not None:
            return nosec
    return None


def test_the_copy_above_is_bandits_own() -> None:
    import inspect

    if ORIGINAL is None:
        pytest.skip("Bandit's lookup was replaced before this module was imported")
    # Everything but the def line: the comparison below is against Bandit itself.
    assert inspect.getsource(ORIGINAL).splitlines()[1:] == \
        inspect.getsource(bandit_get_nosec).splitlines()[1:]


@pytest.mark.parametrize("seed", range(40))
def test_same_answer_as_bandit(seed: int) -> None:
    rng = random.Random(seed)
    comments = {rng.randint(1, 300): {f"B{rng.randint(100, 999)}"} if rng.random() < 0.5 else set()
                for _ in range(rng.randint(0, 12))}
    for _ in range(200):
        first = rng.randint(0, 320)
        lines = list(range(first, first + rng.randint(0, 60) + 1)) if rng.random() < 0.95 else []
        context = {"linerange": lines}
        assert sast.nosec_for_lines(comments, context) is bandit_get_nosec(comments, context)


def test_a_range_that_is_not_contiguous_is_walked_in_order() -> None:
    comments = {5: {"B101"}, 2: {"B102"}}
    assert sast.nosec_for_lines(comments, {"linerange": [5, 2]}) == {"B101"}
    assert sast.nosec_for_lines(comments, {"linerange": [2, 5, 9, 1]}) == {"B102"}


def test_nosec_inside_a_long_literal_still_counts() -> None:
    rows = "".join(f"    'k{i}': 'v{i}',\n" for i in range(400))
    source = (f"import subprocess\nTABLE = {{\n{rows}}}\n"
              "subprocess.call('ls', shell=True)  # nosec B602\n"
              "subprocess.call('ls', shell=True)\n").encode()
    honoured = sast.scan_bytes(source, "table.py")
    ignored = sast.scan_bytes(source, "table.py", ignore_nosec=True)
    assert [f.line for f in honoured.findings if f.test_id == "B602"] == [405]
    assert honoured.nosec == 1
    assert [f.line for f in ignored.findings if f.test_id == "B602"] == [404, 405]


def as_tuples(result: sast.ScanResult) -> list[tuple]:
    return [(f.test_id, f.line, f.severity, f.confidence, f.message) for f in result.findings]


def test_bandit_walks_the_tree_it_is_given_and_finds_the_same() -> None:
    import ast
    from pathlib import Path

    sources = sorted(Path(sast.__file__).resolve().parents[2].rglob("*.py"))[:40]
    sources += [Path(__file__)]
    for path in sources:
        data = path.read_bytes()
        tree = ast.parse(data)
        given = sast.scan_bytes(data, str(path), ignore_nosec=True, tree=tree)
        assert as_tuples(given) == as_tuples(sast.scan_bytes(data, str(path), ignore_nosec=True))
        assert any(hasattr(n, "_bandit_parent") for n in ast.walk(tree))  # it was this tree


def test_the_tree_serves_its_own_source_once_and_nothing_after() -> None:
    import ast

    risky = b"import subprocess\nsubprocess.call('ls', shell=True)\n"
    tree = ast.parse(risky)
    assert "B602" in {f.test_id for f in sast.scan_bytes(risky, "r.py", tree=tree).findings}
    assert getattr(sast._given, "value", None) is None
    # The next source parses on its own, whatever came before it.
    assert [f.test_id for f in sast.scan_bytes(b"x = 1\n", "x.py").findings] == []
    assert "B602" in {f.test_id for f in sast.scan_bytes(risky, "r.py").findings}
