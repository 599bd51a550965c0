"""The technique corpus as tests: every sample raises exactly the red flags its manifest
annotates (at least one high), every near-miss twin exactly its own (never a high one)."""

from __future__ import annotations

import pytest

from pysecbook.checker.scan.rules import RULES
from pysecbook.teaching.anatomy import SIDES, red_flags, side_by_side, techniques

CASES = [(t, side) for t in techniques() for side in SIDES]


@pytest.mark.parametrize(("tech", "side"), CASES, ids=[f"{t.id}-{s}" for t, s in CASES])
def test_corpus_annotation_holds(tech, side: str) -> None:
    found = {(f.rule_id, f.severity) for f in red_flags(tech.directory(side))}
    assert found == set(tech.expected(side).items())


def test_every_sample_alarms_and_no_twin_does() -> None:
    for t in techniques():
        assert "high" in t.sample_fires.values(), t.id
        assert "high" not in t.twin_fires.values(), t.id
        assert set(t.sample_fires) | set(t.twin_fires) <= set(RULES), t.id
        assert t.shown("sample").is_file() and t.shown("twin").is_file(), t.id


def test_samples_stay_inert_by_construction() -> None:
    """Hosts in the corpus end in .invalid or are documentation or loopback addresses."""
    import re

    allowed_ips = ("203.0.113.", "198.51.100.", "192.0.2.", "127.0.0.1")
    for t in techniques():
        for side in SIDES:
            for path in t.directory(side).rglob("*"):
                if not path.is_file() or path.suffix not in (".py", ".pth", ".toml"):
                    continue
                text = path.read_text("utf-8")
                for host in re.findall(r"://([^/:\"' ]+)", text):
                    assert host.endswith(".invalid") or host.startswith(allowed_ips), (path, host)


def test_side_by_side_says_which_side_alarms() -> None:
    text = side_by_side("persist-bashrc")
    sample, twin = text.split("\ntwin: ")
    assert "ALARM" in sample and "HIGH   PSB-RF-STARTUP-WRITE at setup.py:8" in sample
    assert "no alarm" in twin and "LOW    PSB-RF-STARTUP-WRITE" in twin
