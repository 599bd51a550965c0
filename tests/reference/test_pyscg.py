"""The pySCG table (book/reference/pyscg): every rule of the guide once, only risks that exist."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from pysecbook.teaching import pyscg
from pysecbook.teaching.risks import all_risks, get

RULES = pyscg.RULES


def test_the_table_lists_every_rule_of_the_index_once() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 49
    assert all(re.fullmatch(r"pyscg-\d{4}", i) for i in ids)
    per_family = Counter(r.family for r in RULES)
    assert list(per_family) == list(pyscg.FAMILIES)  # every family, in the guide's order
    assert [per_family[f] for f in pyscg.FAMILIES] == [4, 3, 7, 8, 5, 5, 9, 7, 1]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_names_existing_risks_or_says_why_not(rule: pyscg.Rule) -> None:
    assert rule.title and rule.cwes and all(c > 0 for c in rule.cwes)
    for risk_id in rule.risks:
        assert get(risk_id).id == risk_id
    if not rule.risks:
        assert rule.note, f"{rule.id} has no risk and no note saying why"
    assert rule.url.startswith(pyscg.SOURCE_URL) and rule.url.endswith(f"/{rule.id}/README.md")


def test_a_rule_with_a_partial_match_says_so_in_one_line() -> None:
    assert all("\n" not in r.note and len(r.note) < 200 for r in RULES)


def test_every_risk_of_the_coding_standard_pages_answers_a_rule() -> None:
    named = {risk for r in RULES for risk in r.risks}
    pages = {"practices/numbers", "practices/text", "practices/errors", "practices/concurrency",
             "practices/code"}
    unanswered = [r.id for r in all_risks() if r.page in pages and r.id not in named]
    assert not unanswered, unanswered
