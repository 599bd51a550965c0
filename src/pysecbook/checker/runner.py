"""One run of ``pysecbook check``: read a target, scan it, run every check, build a report.

:func:`check_target` reads a target (never running its code), scans it and runs every
registered check on it; the :class:`Report` it returns is what every format in
:mod:`pysecbook.checker.report` prints. Book chapter: ``book/checklist/index``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from pysecbook import __version__
from pysecbook.checker.checklist import STATUSES, CheckContext, CheckResult, all_checks, get_check
from pysecbook.checker.checklist.environment import RuntimeEnvironment
from pysecbook.checker.scan.model import Finding, ScanOutcome, Unscanned

__all__ = ["CheckOutcome", "Config", "ConfigError", "Report", "check_target", "read_config",
           "run_checks"]


class ConfigError(Exception):
    """The target's ``[tool.pysecbook]`` table is invalid (the CLI exits with 2)."""


@dataclass(frozen=True)
class Config:
    """``[tool.pysecbook]`` of the target: checks to skip (id -> reason), paths to exclude."""

    skip: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()


def read_config(pyproject: bytes | None) -> Config:
    """Parse ``[tool.pysecbook]``; every skipped check needs a reason.

    Either ``skip = {M3 = "runs in CI only"}`` or ``skip = [{id = "M3", reason = "..."}]``.
    """
    if pyproject is None:
        return Config()
    try:
        data = tomllib.loads(pyproject.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, MemoryError):
        return Config()  # an unreadable pyproject is the checks' business, not the config's
    table = data.get("tool", {}).get("pysecbook", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(table, dict):
        raise ConfigError("[tool.pysecbook] must be a table")
    raw = table.get("skip", {})
    if isinstance(raw, list):
        items = []
        for item in raw:
            if not isinstance(item, dict) or "id" not in item:
                raise ConfigError("[tool.pysecbook] skip entries need an 'id' and a 'reason'")
            items.append((item["id"], item.get("reason")))
    elif isinstance(raw, dict):
        items = list(raw.items())
    else:
        raise ConfigError("[tool.pysecbook] skip must be a table of id = reason")
    skip = {}
    for check_id, reason in items:
        try:
            cls = get_check(str(check_id))
        except KeyError as exc:
            raise ConfigError(f"[tool.pysecbook] skip: {exc.args[0]}") from None
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"[tool.pysecbook] skip: {cls.id} needs a reason")
        skip[cls.id] = reason.strip()
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        raise ConfigError("[tool.pysecbook] exclude must be a list of glob patterns")
    return Config(skip=skip, exclude=tuple(exclude))


@dataclass(frozen=True)
class CheckOutcome:
    """One check's definition and its result on this target."""

    id: str
    level: str
    title: str
    status: str
    summary: str
    details: tuple[str, ...]
    url: str
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "title": self.title, "status": self.status,
                "summary": self.summary, "details": list(self.details), "url": self.url}


@dataclass
class Report:
    """Everything ``pysecbook check`` found on one target: what every format prints."""

    target_kind: str
    target_path: str
    checks: list[CheckOutcome]
    findings: list[Finding]
    unscanned: list[Unscanned]
    files_scanned: int = 0
    nosec_count: int = 0
    fail_on: str = "high"
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: The target's main declaration file (pyproject.toml, setup.py...), where reports anchor
    #: checklist results that concern the whole project.
    manifest: str | None = None
    tool_name: str = "pysecbook"
    tool_version: str = __version__

    @property
    def failed_must(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.level == "must" and c.status in ("fail", "error")]

    @property
    def passed(self) -> bool:
        """No must-do check failed or erred, and every file was scanned."""
        return not self.failed_must and not self.unscanned

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def check(self, check_id: str) -> CheckOutcome:
        return next(c for c in self.checks if c.id == check_id.upper())

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "target": {"kind": self.target_kind, "path": self.target_path},
            "generated": self.generated.isoformat(timespec="seconds"),
            "result": "pass" if self.passed else "fail",
            "fail_on": self.fail_on,
            "files_scanned": self.files_scanned,
            "nosec_count": self.nosec_count,
            "checks": [c.as_dict() for c in self.checks],
            "findings": [f.as_dict() for f in self.findings],
            "unscanned": [{"path": u.path, "reason": u.reason} for u in self.unscanned],
        }


def run_checks(ctx: CheckContext, skip: dict[str, str] | None = None) -> list[CheckOutcome]:
    """Run every registered check on ``ctx``; a check that crashes is ``error``, not a pass."""
    skip = skip or {}
    out = []
    for cls in all_checks():
        if cls.id in skip:
            result = CheckResult("skip", f"skipped by [tool.pysecbook]: {skip[cls.id]}")
        else:
            try:
                result = cls().run(ctx)
            except Exception as exc:  # noqa: BLE001 - a broken check must not pass silently
                result = CheckResult("error", f"the check crashed: {type(exc).__name__}: {exc}")
        out.append(CheckOutcome(cls.id, cls.level, cls.title(), result.status, result.summary,
                                result.details, cls.url(), cls.explanation()))
    return out


MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "PKG-INFO")


def check_target(
    spec: str,
    *,
    installed: bool = False,
    jobs: int | None = None,
    fail_on: str = "high",
    progress: Callable[[int, int], None] | None = None,
    environment: RuntimeEnvironment | None = None,
    today: date | None = None,
    auditor: Callable[[list[tuple[str, str]]], Any] | None = None,
    exclude: Sequence[str] = (),
    index_facts: Any = None,
) -> Report:
    """Read ``spec`` (never running it), scan it and run the checklist on it.

    ``index_facts`` (an :class:`~pysecbook.checker.index.facts.IndexFacts`) is what the
    package index said about a target fetched from it; the checks read it as ``ctx.index``.
    Raises :class:`~pysecbook.checker.scan.model.TargetError` when the target cannot be read at all,
    :class:`ConfigError` when its ``[tool.pysecbook]`` table is invalid.
    """
    from pysecbook.checker.scan import scan
    from pysecbook.checker.scan.targets import open_target

    target = open_target(spec, installed=installed, exclude=tuple(exclude))
    pyproject = target.file("pyproject.toml")
    config = read_config(pyproject.data if pyproject else None)
    if config.exclude:
        target = open_target(spec, installed=installed, exclude=(*exclude, *config.exclude))
    outcome: ScanOutcome = scan(target, jobs=jobs, progress=progress)
    ctx = CheckContext(target, outcome, fail_on=fail_on, environment=environment, today=today,
                       auditor=auditor, index=index_facts)
    checks = run_checks(ctx, config.skip)
    manifest = next((m for m in MANIFESTS if target.file(m) is not None),
                    target.files[0].path if target.files else None)
    return Report(target.kind, target.path, checks, list(ctx.findings), list(ctx.unscanned),
                  files_scanned=outcome.files_scanned, nosec_count=outcome.nosec_count,
                  fail_on=fail_on, manifest=manifest)
