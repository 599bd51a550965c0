"""The one registry of red-flag rules: each rule defined once, with a stable id.

A rule has an id (``PSB-RF-...`` for red flags, ``PSB-TRUST-...`` for the target's attempts to
silence the scan), the severity it carries when its capability and its threat indicator meet,
the severity of a lone indicator (``lone``; None when the rule only ever fires correlated), a
CWE, the MITRE ATT&CK tactic it serves, and a one-line title. Family modules register their
rules here; the engine, the CLI's reports, the book's tables and the tests all read
:data:`RULES`. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pysecbook.checker.scan.model import Finding

#: MITRE ATT&CK enterprise tactics the rules serve: name -> tactic id.
TACTICS = {
    "Initial Access": "TA0001",
    "Execution": "TA0002",
    "Persistence": "TA0003",
    "Defense Evasion": "TA0005",
    "Credential Access": "TA0006",
    "Discovery": "TA0007",
    "Lateral Movement": "TA0008",
    "Collection": "TA0009",
    "Exfiltration": "TA0010",
    "Command and Control": "TA0011",
}


@dataclass(frozen=True)
class Rule:
    """One red-flag rule: id, severities, CWE, ATT&CK tactic, family and what it means."""

    id: str
    severity: str
    cwe: int
    title: str
    tactic: str
    family: str
    #: Severity when only one side (a capability, or an indicator) is present; None: never lone.
    lone: str | None = None

    @property
    def tactic_id(self) -> str:
        return TACTICS[self.tactic]


RULES: dict[str, Rule] = {}


def register(family: str, *rules: tuple) -> dict[str, Rule]:  # type: ignore[type-arg]
    """Register ``rules`` (tuples of :class:`Rule`'s fields after ``family``) once each."""
    made = {}
    for fields in rules:
        rule_id, severity, cwe, title, tactic, *lone = fields
        rule = Rule(rule_id, severity, cwe, title, tactic, family, lone[0] if lone else None)
        if rule.id in RULES:
            raise ValueError(f"rule {rule.id} registered twice")
        if rule.tactic not in TACTICS:
            raise ValueError(f"{rule.id}: unknown ATT&CK tactic {rule.tactic!r}")
        RULES[rule.id] = made[rule.id] = rule
    return made


def finding(rule_id: str, path: str, line: int | None, message: str, *,
            severity: str | None = None, confidence: str | None = None,
            lone: bool = False) -> Finding:
    """A finding of rule ``rule_id`` with its registered CWE and severity: the correlated
    severity, or the rule's lone severity when ``lone``, unless ``severity`` is given."""
    rule = RULES[rule_id]
    if severity is None:
        severity = rule.lone if lone and rule.lone else rule.severity
    return Finding(rule_id=rule_id, source="trust" if rule_id.startswith("PSB-TRUST-") else "redflag",
                   path=path, line=line, severity=severity,
                   confidence=confidence or ("high" if line else "medium"), cwe=rule.cwe,
                   message=message)
