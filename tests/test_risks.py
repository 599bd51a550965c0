"""The risk catalogue: every risk complete, and every attack shown both ways.

Parametrized by risk id, so a new risk module is covered the moment it registers a risk.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from conftest import ROOT, toc_files
from pysecbook.checker.detections import all_detections
from pysecbook.cli import main
from pysecbook.exitcodes import ExitCode
from pysecbook.teaching.risks import (
    FAMILIES, AdaptedAttack, DuplicateRiskError, Risk, all_risks, contract, get, register)
from pysecbook.teaching.sast import scan_function

RISKS = all_risks()
IDS = [r.id for r in RISKS]
ADAPTED = [(r, a) for r in RISKS for a in r.adapted]
ADAPTED_IDS = [f"{r.id}:{a.run.__name__}" for r, a in ADAPTED]


def test_catalogue_is_not_empty() -> None:
    assert RISKS


@pytest.mark.parametrize("risk", RISKS, ids=IDS)
def test_risk_fields_are_complete(risk: Risk) -> None:
    assert re.fullmatch(r"PSB-[A-Z0-9]+(-[A-Z0-9]+)+", risk.id), risk.id
    assert risk.title and risk.summary
    assert isinstance(risk.cwe, int) and risk.cwe > 0
    assert all(re.fullmatch(r"B\d{3}", b) for b in risk.bandit)
    assert all(re.fullmatch(r"PSB\d{3}", d) for d in risk.detections)
    # Every risk names the rule that flags it, or says why no static rule can.
    assert bool(risk.static_rules) != bool(risk.no_static_rule), (
        f"{risk.id}: name a Bandit or pysecbook rule, or give no_static_rule (not both)")
    assert risk.modules and all(m for m in risk.modules)
    assert callable(risk.insecure) and callable(risk.secure) and callable(risk.attack)
    assert risk.insecure is not risk.secure
    # The code lives in a topic module under pysecbook.teaching.risks, named after its topic.
    assert risk.insecure.__module__.startswith("pysecbook.teaching.risks.")
    assert risk.insecure.__module__ == risk.secure.__module__


@pytest.mark.parametrize("risk", RISKS, ids=IDS)
def test_attack_succeeds_against_insecure_and_fails_against_secure(
        risk: Risk, capsys: pytest.CaptureFixture[str]) -> None:
    """Each attack runs once, replayed the way a reader replays it: ``pysecbook demo ID
    --format json``. What the attacker got decides; the JSON is the contract for tools.
    An attack that needs what this machine cannot give (root, say) skips with the reason."""
    reason = risk.unavailable()
    if reason:
        assert main(["demo", risk.id, "--format", "json"]) == ExitCode.UNAVAILABLE
        pytest.skip(f"{risk.id}: {reason}")
    assert main(["demo", risk.id, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == risk.id
    insecure, secure = data["insecure"], data["secure"]
    assert set(insecure) == set(secure) == {"attack_succeeded", "observed"}
    assert insecure["attack_succeeded"] is True, insecure["observed"]
    assert secure["attack_succeeded"] is False, secure["observed"]
    assert isinstance(insecure["observed"], str) and insecure["observed"]
    assert isinstance(secure["observed"], str) and secure["observed"]


@pytest.mark.parametrize("risk", [r for r in RISKS if r.bandit], ids=[r.id for r in RISKS if r.bandit])
def test_bandit_flags_insecure_and_not_secure(risk: Risk) -> None:
    insecure = scan_function(risk.insecure)
    secure = scan_function(risk.secure)
    assert insecure.skipped is None and secure.skipped is None
    assert set(risk.bandit) <= insecure.test_ids, insecure.findings
    assert not set(risk.bandit) & secure.test_ids, secure.findings


DETECTED = [r for r in RISKS if r.detections]


@pytest.mark.parametrize("risk", DETECTED, ids=[r.id for r in DETECTED])
def test_project_detections_flag_insecure_and_not_secure(risk: Risk) -> None:
    """Through the installed Bandit, as ``bandit`` and ``pysecbook check`` run them."""
    known = {d.id for d in all_detections()}
    assert set(risk.detections) <= known, set(risk.detections) - known
    insecure = scan_function(risk.insecure)
    secure = scan_function(risk.secure)
    assert insecure.skipped is None and secure.skipped is None
    assert set(risk.detections) <= insecure.test_ids, insecure.findings
    assert not set(risk.detections) & secure.test_ids, secure.findings


@pytest.mark.parametrize("risk", RISKS, ids=IDS)
def test_risk_page_is_in_the_table_of_contents(risk: Risk) -> None:
    assert f"book/{risk.page}" in toc_files()
    page = ROOT / "book" / f"{risk.page}.md"
    assert f"{{risk}} {risk.id}" in page.read_text(encoding="utf-8"), (
        f"{page} does not show the risk card of {risk.id}")


def test_an_unavailable_demonstration_says_why_and_runs_nothing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """As an ordinary user, the permission demonstration cannot start a child as another user."""
    from pysecbook.teaching.risks import DemonstrationUnavailable
    from pysecbook.teaching.risks import file_permissions

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    ran = []
    monkeypatch.setattr(file_permissions, "attack", lambda func: ran.append(func))
    risk = get("PSB-FILE-PERMISSIONS")
    assert risk.unavailable() == "starting a process as another user needs root, and this one runs as uid 1000"
    with pytest.raises(DemonstrationUnavailable):
        risk.demonstrate()
    assert risk.replay() == ("PSB-FILE-PERMISSIONS cannot be demonstrated here: starting a process "
                             "as another user needs root, and this one runs as uid 1000")
    assert main(["demo", "PSB-FILE-PERMISSIONS"]) == ExitCode.UNAVAILABLE == 5
    assert "needs root" in capsys.readouterr().err
    assert ran == []


def test_registering_a_second_risk_with_the_same_id_fails() -> None:
    existing = get(IDS[0])
    twin = dataclasses.replace(existing, title="a different risk")
    with pytest.raises(DuplicateRiskError):
        register(twin)
    assert get(IDS[0]) is existing


def test_get_imports_only_the_module_that_declares_the_risk() -> None:
    """get() reads the package's sources for ``id="..."`` and imports that module alone; for
    that, each id is declared literally, in exactly one module."""
    import subprocess
    import sys
    from pathlib import Path

    package = Path(get.__code__.co_filename).parent
    sources = {p.stem: p.read_text(encoding="utf-8") for p in package.glob("*.py")}
    for risk in all_risks():
        declaring = [name for name, text in sources.items() if f'id="{risk.id}"' in text]
        assert len(declaring) == 1, (risk.id, declaring)
    code = ("import sys; from pysecbook.teaching.risks import get; "
            "print(get('PSB-NET-NO-TIMEOUT').id, "
            "sorted(m for m in sys.modules if m.startswith('pysecbook.teaching.risks.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "PSB-NET-NO-TIMEOUT ['pysecbook.teaching.risks.timeouts']"


def test_ids_are_unique_and_pages_exist() -> None:
    assert len(set(IDS)) == len(IDS)
    for risk in RISKS:
        assert (ROOT / "book" / f"{risk.page}.md").is_file(), risk.page


#: The modules named on the "Security Considerations" page of Python's documentation.
SECURITY_CONSIDERATIONS = (
    "base64", "hashlib", "http.server", "logging", "multiprocessing", "pickle", "random",
    "shelve", "ssl", "subprocess", "tempfile", "xml", "zipfile",
)


@pytest.mark.parametrize("module", SECURITY_CONSIDERATIONS)
def test_every_security_considerations_module_has_a_risk(module: str) -> None:
    covering = [r.id for r in RISKS
                if any(m == module or m.startswith(f"{module}.") for m in r.modules)]
    assert covering, f"no risk in the catalogue concerns {module}"


@pytest.mark.parametrize("risk", RISKS, ids=IDS)
def test_secure_function_states_what_it_assumes_and_does_not_stop(risk: Risk) -> None:
    """A reader who copies the secure function finds its limits in its docstring."""
    terms = contract(risk.secure)
    assert len(terms.assumes) >= 20, f"{risk.secure_ref}: no 'Assumes:' paragraph"
    assert len(terms.does_not_stop) >= 20, f"{risk.secure_ref}: no 'Does not stop:' paragraph"
    assert risk.contract == terms


def test_the_contract_parser_reads_labelled_paragraphs_only() -> None:
    def sample() -> None:
        """Summary line.

        Assumes: the caller
        holds the lock.
        Does not stop: a second
        process.

        Unrelated: text.
        """

    terms = contract(sample)
    assert terms.assumes == "the caller holds the lock."
    assert terms.does_not_stop == "a second process."
    assert contract(lambda: None).assumes == ""


@pytest.mark.parametrize("risk", RISKS, ids=IDS)
def test_risk_has_adapted_attacks_or_says_why_not(risk: Risk) -> None:
    assert bool(risk.adapted) != bool(risk.no_adapted), (
        f"{risk.id}: give adapted attacks, or say in no_adapted why none applies (not both)")
    names = [a.name for a in risk.adapted]
    assert len(set(names)) == len(names), names
    for attack in risk.adapted:
        assert attack.family in FAMILIES
        # Shown on the card from its source: a named function with a docstring, in the
        # teaching library, never a lambda or a partial.
        assert attack.run.__module__.startswith("pysecbook.teaching."), attack.ref
        assert "<" not in attack.run.__qualname__, attack.ref
        assert attack.run.__doc__, f"{attack.ref}: say what the attacker tries"
        assert attack.run is not risk.attack, f"{risk.id}: the canonical attack is not adapted"
        if attack.beats is not None:
            assert attack.beats is not risk.secure
            assert attack.beats.__module__ == risk.secure.__module__, attack.beats


@pytest.mark.parametrize(("risk", "adapted"), ADAPTED, ids=ADAPTED_IDS)
def test_adapted_attack_beats_its_target_and_fails_against_the_secure_version(
        risk: Risk, adapted: AdaptedAttack) -> None:
    """Each adapted attack is shown able to win (against the insecure function or a first fix),
    so that its failure against the secure one means something."""
    reason = risk.unavailable()
    if reason:
        pytest.skip(f"{risk.id}: {reason}")
    target = adapted.beats or risk.insecure
    won = adapted.run(target)
    assert won.attack_succeeded is True, f"{adapted.ref} did not beat {target.__qualname__}: {won.observed}"
    held = adapted.run(risk.secure)
    assert held.attack_succeeded is False, f"{adapted.ref} BEAT the secure version: {held.observed}"
    assert held.observed


def test_the_catalogue_has_at_least_two_adapted_attacks_per_risk_on_average() -> None:
    assert sum(len(r.adapted) for r in RISKS) >= 2 * len(RISKS)


def test_adapted_families_are_unknown_to_nobody() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        AdaptedAttack("x", "phishing", lambda impl: None)  # type: ignore[arg-type,return-value]


def test_demo_lists_the_adapted_attacks(capsys: pytest.CaptureFixture[str]) -> None:
    risk = get("PSB-HTTPSERVER-DOTFILES")
    assert main(["demo", risk.id, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in data["adapted"]] == [a.name for a in risk.adapted]
    assert all(a["attack_succeeded"] is False for a in data["adapted"])
    assert main(["demo", risk.id]) == 0
    out = capsys.readouterr().out
    assert "adapted attacks, tried against the secure version:" in out
    assert out.count(": held") == len(risk.adapted)
