"""SARIF 2.1.0, for code-scanning dashboards: one run, stable rule ids, a truthful invocation.

``executionSuccessful`` is false when any file could not be scanned, and each such file is a
``toolExecutionNotifications`` entry as well as a result, so a dashboard never shows an
incomplete scan as a clean one.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pysecbook.checker.checklist import all_checks
from pysecbook.checker.report.safe import sanitized
from pysecbook.checker.results import Report

__all__ = ["SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _level(status_or_severity: str) -> str:
    return {"fail": "error", "error": "error", "warn": "warning", "manual": "note", "high": "error",
            "medium": "warning", "low": "note"}.get(status_or_severity, "note")


def _uri(path: str) -> str:
    """A relative path as a valid URI reference (percent-encoded)."""
    return quote(path.lstrip("/"), safe="/") or "."


def _location(path: str, line: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def to_sarif(report: Any) -> str:
    """SARIF 2.1.0: stable rule ids (``PSB-CHECK-M1``..., Bandit ids, red-flag ids); for
    packages from an index, one run holding every file's results."""
    if not isinstance(report, Report):
        return _lock_sarif(report)
    report = sanitized(report)
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    anchor = report.manifest or "."
    for cls in all_checks():
        rules[f"PSB-CHECK-{cls.id}"] = {
            "id": f"PSB-CHECK-{cls.id}",
            "name": "".join(w.capitalize() for w in cls.title().replace("-", " ").split()),
            "shortDescription": {"text": cls.title()},
            "fullDescription": {"text": cls.explanation()},
            "helpUri": cls.url(),
            "properties": {"level": cls.level, "judges": cls.judges, "tags": ["security", "checklist"]},
        }
    for c in report.checks:
        if c.status not in ("fail", "warn", "error", "manual") or c.manual_by_nature:
            continue
        text = f"{c.title}: {c.summary}"
        if c.details:
            text += " (" + "; ".join(c.details[:10]) + ")"
        results.append({
            "ruleId": f"PSB-CHECK-{c.id}",
            "level": _level(c.status) if c.level == "must" else "warning",
            "message": {"text": text},
            "locations": [_location(anchor)],
            "properties": {"status": c.status, "level": c.level, "judges": c.judges},
        })
    for f in report.findings:
        rules.setdefault(f.rule_id, {
            "id": f.rule_id,
            "shortDescription": {"text": f"{f.source}: {f.rule_id}"},
            "properties": {"tags": ["security", f.source]
                           + ([f"external/cwe/cwe-{f.cwe}"] if f.cwe else [])},
        })
        results.append({
            "ruleId": f.rule_id,
            "level": _level(f.severity),
            "message": {"text": f.message},
            "locations": [_location(f.path, f.line)],
            "properties": {"severity": f.severity, "confidence": f.confidence, "source": f.source},
        })
    notifications = []
    for u in report.unscanned:
        results.append({"ruleId": "PSB-UNSCANNED", "level": "error",
                        "message": {"text": f"not scanned: {u.reason}"},
                        "locations": [_location(u.path)]})
        notifications.append({"level": "error", "message": {"text": f"{u.path}: not scanned: {u.reason}"},
                              "locations": [_location(u.path)]})
    if report.unscanned:
        rules["PSB-UNSCANNED"] = {"id": "PSB-UNSCANNED",
                                  "shortDescription": {"text": "A file could not be scanned"}}
    rule_list = list(rules.values())
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.unscanned,
        "endTimeUtc": report.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "properties": {"verdict": report.deciding_verdict, "targetVerdict": report.target_verdict,
                       "ownProject": report.own_project,
                       "target": {"kind": report.target_kind, "path": report.target_path}},
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool_name,
                "version": report.tool_version,
                "informationUri": "https://github.com/pysecbook/pysecbook",
                "rules": rule_list,
            }},
            "invocations": [invocation],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _package(d: Any) -> dict[str, Any]:
    """The dependency as a SARIF logical location."""
    return {"name": d.label, "kind": "package",
            "fullyQualifiedName": f"pypi:{d.name or d.requirement}@{d.version or ''}".rstrip("@")}


def _origin(origin: str | None) -> dict[str, Any]:
    """A lock file line ("requirements.txt:12", "pylock.toml:packages[3]") as a SARIF
    physical location; anything else (an environment variable) as the working directory."""
    path, line = origin or ".", ""
    where, _, tail = path.rpartition(":")
    if where and tail.isdigit():
        path, line = where, tail
    elif where and tail.startswith("packages["):
        path = where
    if " " in path:
        path = "."
    loc: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line:
        loc["region"] = {"startLine": int(line)}
    return loc


def _lock_sarif(report: Any) -> str:
    """One run: each file's results (from the single-target SARIF, relocated into
    ``<archive>/<path>`` with the dependency as a logical location), one ``PSB-DEPENDENCY``
    result per dependency that does not pass, and the lock's own checks not passed."""
    report = sanitized(report)
    out = report.outcome
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    complete = True
    for d, verdict, why in zip(report.dependencies, out.verdicts, out.why):
        for f in d.files:
            if f.report is None:
                continue
            run = json.loads(to_sarif(f.report))["runs"][0]
            complete = complete and run["invocations"][0]["executionSuccessful"]
            for rule in run["tool"]["driver"]["rules"]:
                rules.setdefault(rule["id"], rule)
            for r in run["results"]:
                for loc in r["locations"]:
                    art = loc["physicalLocation"]["artifactLocation"]
                    art["uri"] = f"{_uri(f.filename)}/{art['uri']}".rstrip("/.")
                    loc["logicalLocations"] = [_package(d)]
                r.pop("ruleIndex", None)
                results.append(r)
        if verdict in ("blocked", "review"):
            results.append({"ruleId": "PSB-DEPENDENCY",
                            "level": "error" if verdict == "blocked" else "note",
                            "message": {"text": f"{d.label}: {verdict}: {why}"},
                            "locations": [{"physicalLocation": _origin(d.origin),
                                           "logicalLocations": [_package(d)]}],
                            "properties": {"verdict": verdict, "hash_status": d.hash_status}})
    rules["PSB-DEPENDENCY"] = {"id": "PSB-DEPENDENCY", "shortDescription": {
        "text": "A dependency is blocked (it could not be fetched, verified or checked, or "
                "shows evidence of danger) or needs a review by hand"}}
    for c in report.lock_checks:
        if c.status in ("fail", "warn", "error", "manual"):
            rules.setdefault(f"PSB-CHECK-{c.id}", {"id": f"PSB-CHECK-{c.id}",
                                                   "shortDescription": {"text": c.title}})
            level = {"warn": "warning", "manual": "note"}.get(c.status, "error")
            for detail in c.details or (c.summary,):
                results.append({"ruleId": f"PSB-CHECK-{c.id}", "level": level,
                                "message": {"text": f"{c.title}: {detail}"},
                                "locations": [{"physicalLocation": _origin(detail.split(": ")[0])}]})
    rule_list = list(rules.values())
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    unchecked = any(d.error or not d.files or any(f.report is None for f in d.files)
                    for d in report.dependencies if not d.skipped)
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": report.tool_name, "version": report.tool_version,
                            "informationUri": "https://github.com/pysecbook/pysecbook",
                            "rules": rule_list}},
        "invocations": [{"executionSuccessful": complete and not unchecked,
                         "endTimeUtc": report.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "properties": {"verdict": out.verdict,
                                        "machine": [f"{c.id} {c.status}: {c.summary}"
                                                    for c in out.machine], "target": {
                             "kind": report.kind, "source": report.source,
                             "index": report.config.index_url}}}],
        "results": results}]}
    return json.dumps(log, indent=2) + "\n"
