"""Red flags of a malicious package, found by reading its files (AST and text), never running them.

The rules come in families, one module per technique, each rule registered once in
:data:`RULES` with a stable id, a severity, a CWE and the MITRE ATT&CK tactic it serves
(:mod:`~pysecbook.checker.scan.rules.registry`):

- :mod:`~.install`: install-time and import-time code (``PSB-RF-SETUP-*``,
  ``PSB-RF-INSTALL-HOOK``, ``PSB-RF-IMPORT-*``);
- :mod:`~.execution`: decoded, downloaded, obfuscated or image-borne payloads, packers,
  hidden imports, opaque blobs;
- :mod:`~.exfiltration`: secrets and host data sent away (HTTP, DNS, webhooks, bot APIs),
  reverse shells, shady links;
- :mod:`~.persistence`: start-up files, autostart entries, hidden processes, self-propagation;
- :mod:`~.spyware`: clipboard hijacking, screenshots, keylogging, dropped native code,
  shellcode;
- :mod:`~.files`: ``.pth`` files, start-up modules, native binaries, data-file payloads,
  Unicode tricks, bytecode (checked in :mod:`pysecbook.checker.scan.filescan`) and the trust
  rules;
- :mod:`~.metadata`: heuristics on the artifact's metadata, and the correlation of findings
  across files, both in the main process on data the workers returned.

**Correlation, not keyword alarms.** A capability (network, processes, file access, ``exec``)
is normal library code, and an indicator alone (a secret path, a webhook URL, a string trick)
may be a test fixture. A rule is high only where a capability and an indicator meet in one
file or on one install-time path: a secret read and sent, a payload decoded and run, a
start-up file written with nobody asking. A lone indicator gets the rule's ``lone`` severity,
low or medium. Every rule reads the syntax tree the worker already built (one parse per file,
:func:`~.collector.read_facts` walks it once) and text only where obfuscation defeats the tree.

Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import exfiltration, execution, install, persistence, spyware
from pysecbook.checker.scan.rules.common import Capabilities
from pysecbook.checker.scan.rules.collector import read_facts
from pysecbook.checker.scan.rules.files import (
    lookalike_rules,
    native_kind,
    scan_layout,
    scan_other,
    text_rules,
)
from pysecbook.checker.scan.rules.registry import RULES, TACTICS, Rule, finding

from pysecbook.checker.scan.rules import layout, metadata  # noqa: E402,F401 - registers its rules last

__all__ = ["FAMILIES", "RULES", "TACTICS", "Analysis", "Rule", "analyse_python", "finding",
           "metadata", "native_kind", "scan_layout", "scan_other", "scan_python", "text_rules"]

#: The families that read a Python file's facts, in the order their findings are reported.
FAMILIES = (install, execution, exfiltration, persistence, spyware)


@dataclass
class Analysis:
    """What the rules found in one Python file, and what it can do (for the main process)."""

    findings: list[Finding] = field(default_factory=list)
    #: (capability, line, runs early) for: process, network, exec, secrets, write, native.
    capabilities: list[tuple[str, int, bool]] = field(default_factory=list)


def analyse_python(path: str, data: bytes, tree: ast.Module | None, *,
                   install_time: bool = False) -> Analysis:
    """The red flags of one Python file from its syntax tree (``None``: it did not parse, and
    only the text rules run), and a summary of its capabilities."""
    result = Analysis(findings=text_rules(path, data, tree) + lookalike_rules(path, data))
    if tree is None:
        return result
    facts = read_facts(path, tree, install_time)
    caps = Capabilities(facts)
    for family in FAMILIES:
        result.findings += family.check(facts, caps)
    summary: list[tuple[str, int, bool]] = []
    for kind, records in (("process", caps.processes), ("network", caps.network),
                          ("exec", caps.execs), ("secrets", caps.secret_reads)):
        for rec in records[:3]:
            summary.append((kind, rec.line, facts.early(rec.scope)))
    result.capabilities = summary
    return result


def scan_python(path: str, data: bytes, tree: ast.Module | None = None, *,
                install_time: bool = False) -> list[Finding]:
    """Red flags in one Python file. When ``tree`` is None the file is parsed here (for
    callers that have no tree; the scan's workers always pass theirs). A file that does not
    parse gets only the text rules."""
    if tree is None:
        try:
            tree = ast.parse(data, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
    return analyse_python(path, data, tree, install_time=install_time).findings
