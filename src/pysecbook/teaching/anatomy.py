"""The technique corpus: inert samples of malicious-package techniques, each beside its
near-miss twin, and what ``pysecbook check``'s scan says about both.

``samples/techniques/manifest.toml`` (shipped with the book's repository) lists every
technique: the directory of the sample and of its twin, the file the page shows, and the
exact red flags the scan must raise on each side. The page runs the scan on both and shows
the result; ``tests/scan/test_corpus.py`` holds the scan to the manifest; ``make bench``
measures Bandit and GuardDog on the same directories. Nothing here runs a sample: it is only
read, as a scanner reads it. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pysecbook.checker.scan import open_target, scan
from pysecbook.checker.scan.model import Finding, TargetError
from pysecbook.checker.scan.rules import RULES

__all__ = ["CORPUS", "SIDES", "Technique", "corpus_markdown", "corpus_table", "red_flags",
           "rules_markdown", "scan_corpus",
           "side_by_side", "technique", "techniques"]

#: Where the corpus lives in the book's repository.
CORPUS = Path(__file__).resolve().parents[3] / "samples" / "techniques"
#: The two sides of every technique.
SIDES = ("sample", "twin")


@dataclass(frozen=True)
class Technique:
    """One technique: what the sample does, what its twin does, what the scan must say."""

    id: str
    title: str
    family: str
    sample: str
    twin: str
    sample_show: str
    twin_show: str
    #: rule id -> severity, for every red flag the scan raises on each side.
    sample_fires: dict[str, str]
    twin_fires: dict[str, str]

    def directory(self, side: str) -> Path:
        """The sample's or the twin's directory (a target ``pysecbook check`` can scan)."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        return CORPUS / self.id / side

    def shown(self, side: str) -> Path:
        """The file of that side the page shows."""
        return self.directory(side) / (self.sample_show if side == "sample" else self.twin_show)

    def expected(self, side: str) -> dict[str, str]:
        return self.sample_fires if side == "sample" else self.twin_fires


@cache
def techniques() -> tuple[Technique, ...]:
    """Every technique of the manifest, in its order."""
    path = CORPUS / "manifest.toml"
    if not path.is_file():
        raise TargetError(f"the technique corpus is not at {CORPUS} (it ships with the book's repository)")
    data = tomllib.loads(path.read_text("utf-8"))
    return tuple(Technique(**entry) for entry in data["technique"])


def technique(technique_id: str) -> Technique:
    for t in techniques():
        if t.id == technique_id:
            return t
    raise KeyError(technique_id)


def red_flags(directory: Path | str, *, jobs: int = 1) -> list[Finding]:
    """The red flags (and trust findings) the scan raises on a directory, Bandit left out."""
    outcome = scan(open_target(str(directory)), jobs=jobs)
    return [f for f in outcome.findings if f.source in ("redflag", "trust")]


def scan_corpus(ids: Iterable[str] | None = None, *, jobs: int = 1) -> dict[tuple[str, str], list[Finding]]:
    """The red flags of every sample and twin: (technique id, side) -> findings."""
    chosen = [technique(i) for i in ids] if ids is not None else list(techniques())
    return {(t.id, side): red_flags(t.directory(side), jobs=jobs) for t in chosen for side in SIDES}


def _line(f: Finding) -> str:
    where = f"{f.path}:{f.line}" if f.line else f.path
    return f"  {f.severity.upper():<6} {f.rule_id} at {where}\n         {f.message}"


def side_by_side(technique_id: str, results: dict[tuple[str, str], list[Finding]] | None = None) -> str:
    """What the scan says about one technique's sample and its twin, as text for a page."""
    t = technique(technique_id)
    results = results if results is not None else scan_corpus([technique_id])
    lines = []
    for side, what in (("sample", t.sample), ("twin", t.twin)):
        found = sorted(results[(t.id, side)], key=lambda f: ("high", "medium", "low").index(f.severity))
        high = any(f.severity == "high" for f in found)
        verdict = "ALARM (a high red flag)" if high else "no alarm"
        lines.append(f"{side}: {what}\n  -> {verdict}")
        lines += [_line(f) for f in found] or ["  (no red flag)"]
        lines.append("")
    return "\n".join(lines).rstrip()


def corpus_table(results: dict[tuple[str, str], list[Finding]]) -> list[dict[str, str]]:
    """One row per technique: its family, the high red flags on the sample, and what the
    twin gets (the page prints it as a table)."""
    rows = []
    for t in techniques():
        sample = sorted({f.rule_id for f in results[(t.id, "sample")] if f.severity == "high"})
        twin = sorted({f"{f.rule_id} ({f.severity})" for f in results[(t.id, "twin")]})
        rows.append({"technique": t.title, "family": t.family,
                     "sample: high red flags": ", ".join(sample) or "none",
                     "twin: red flags": ", ".join(twin) or "none",
                     "tactic": ", ".join(sorted({RULES[r].tactic for r in sample}))})
    return rows


def _md_table(rows: list[dict[str, str]]) -> str:
    heads = list(rows[0])
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(r[h].replace("|", "\\|") for h in heads) + " |" for r in rows]
    return "\n".join(lines)


def corpus_markdown(results: dict[tuple[str, str], list[Finding]]) -> str:
    """:func:`corpus_table` as a Markdown table, with the counts that sum it up."""
    rows = corpus_table(results)
    alarms = sum(r["sample: high red flags"] != "none" for r in rows)
    quiet = sum(not any(f.severity == "high" for f in results[(t.id, "twin")]) for t in techniques())
    return (f"{alarms} of {len(rows)} samples raise a high red flag; {quiet} of {len(rows)} twins "
            "raise none.\n\n" + _md_table(rows))


def rules_markdown() -> str:
    """Every red-flag rule, by family: id, severity when correlated and alone, CWE, tactic."""
    rows = [{"rule": f"`{r.id}`", "family": r.family, "what it means": r.title,
             "severity": r.severity + (f" (alone: {r.lone})" if r.lone else ""),
             "CWE": f"CWE-{r.cwe}", "ATT&CK tactic": f"{r.tactic} ({r.tactic_id})"}
            for r in RULES.values()]
    return _md_table(rows)
