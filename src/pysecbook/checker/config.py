"""Whose settings count: the person running the check configures it, never the target.

``pysecbook check`` is the gate a reader runs before trusting someone else's program, so the
author of that program is the adversary. Settings (checks to skip, paths to exclude) come
only from the person running the check:

1. command-line flags;
2. ``--config FILE``: a TOML file of theirs, with a ``[tool.pysecbook]`` table (a
   ``pyproject.toml`` of their own works) or the same keys at its top level;
3. the ``[tool.pysecbook]`` table of *their own project*: the target, when it is the current
   directory (the CI case: a project checks itself), or any target given with
   ``--own-project``.

Inside anyone else's target, ``[tool.pysecbook]`` and ``# nosec`` comments are ignored, and
each suppression the target asks for is reported as a finding (``PSB-TRUST-CONFIG``,
``PSB-TRUST-NOSEC``). Book page: ``book/checklist/index`` (section "Whose settings count").
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pysecbook.checker.checklist import get_check
from pysecbook.checker.declarations import declarations
from pysecbook.checker.scan.model import Finding, Target
from pysecbook.checker.scan.rules import finding

__all__ = ["Config", "ConfigError", "config_of", "is_own_project", "load_config_file",
           "read_config", "refused_config_findings", "target_config"]


class ConfigError(Exception):
    """A settings table is invalid (the CLI exits with 2)."""


@dataclass(frozen=True)
class Config:
    """Checks to skip (id -> reason) and paths to exclude, with where they came from."""

    skip: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def merged(self, other: Config) -> Config:
        """This configuration with ``other``'s added (``other`` wins on a skip reason)."""
        return Config({**self.skip, **other.skip}, (*self.exclude, *other.exclude),
                      (*self.sources, *other.sources))

    @property
    def empty(self) -> bool:
        return not self.skip and not self.exclude


def _table(data: dict[str, Any], where: str) -> dict[str, Any]:
    tool = data.get("tool")
    if isinstance(tool, dict) and "pysecbook" in tool:
        table = tool["pysecbook"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [tool.pysecbook] must be a table")
        return table
    return {k: v for k, v in data.items() if k in ("skip", "exclude")}


def parse_table(table: dict[str, Any], where: str) -> Config:
    """A :class:`Config` from a ``[tool.pysecbook]`` table; every skipped check needs a reason.

    Either ``skip = {M3 = "runs in CI only"}`` or ``skip = [{id = "M3", reason = "..."}]``.
    """
    raw = table.get("skip", {})
    if isinstance(raw, list):
        items = []
        for item in raw:
            if not isinstance(item, dict) or "id" not in item:
                raise ConfigError(f"{where}: skip entries need an 'id' and a 'reason'")
            items.append((item["id"], item.get("reason")))
    elif isinstance(raw, dict):
        items = list(raw.items())
    else:
        raise ConfigError(f"{where}: skip must be a table of id = reason")
    skip = {}
    for check_id, reason in items:
        try:
            cls = get_check(str(check_id))
        except KeyError as exc:
            raise ConfigError(f"{where}: skip: {exc.args[0]}") from None
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}: skip: {cls.id} needs a reason")
        skip[cls.id] = reason.strip()
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        raise ConfigError(f"{where}: exclude must be a list of glob patterns")
    return Config(skip=skip, exclude=tuple(exclude), sources=(where,) if skip or exclude else ())


def _load(data: bytes, where: str) -> dict[str, Any]:
    try:
        loaded = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, MemoryError) as exc:
        raise ConfigError(f"{where}: not readable TOML ({str(exc).splitlines()[0][:120]})") from None
    return loaded


def read_config(pyproject: bytes | None, where: str = "pyproject.toml") -> Config:
    """The ``[tool.pysecbook]`` table of a project's ``pyproject.toml`` (empty if none)."""
    if pyproject is None:
        return Config()
    try:
        data = _load(pyproject, where)
    except ConfigError:
        return Config()  # an unreadable pyproject is the checks' business, not the config's
    return config_of(data, where)


def config_of(pyproject: dict[str, Any], where: str = "pyproject.toml") -> Config:
    """The ``[tool.pysecbook]`` table of ``pyproject.toml`` already read as data."""
    tool = pyproject.get("tool")
    if not isinstance(tool, dict) or "pysecbook" not in tool:
        return Config()
    return parse_table(_table(pyproject, where), f"{where} [tool.pysecbook]")


def target_config(target: Target) -> Config:
    """The ``[tool.pysecbook]`` table of the target's ``pyproject.toml``, from the one reading
    of it (:func:`~pysecbook.checker.declarations.declarations`); empty if none, or if the
    file is not UTF-8 TOML."""
    return config_of(declarations(target).pyproject)


def load_config_file(path: str) -> Config:
    """``--config FILE``: the user's own settings."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    return parse_table(_table(_load(data, f"--config {path}"), path), f"--config {path}")


def is_own_project(spec: str, *, installed: bool, declared: bool) -> bool:
    """Whether the target is the user's own project: declared so, or the current directory."""
    if declared:
        return True
    if installed:
        return False
    try:
        return Path(spec).is_dir() and os.path.samefile(spec, os.getcwd())
    except OSError:
        return False


def own_config(directory: str) -> Config:
    """Your own project's ``[tool.pysecbook]``, from the ``pyproject.toml`` in ``directory``,
    read before the project itself so that its excludes are never read at all."""
    path = Path(directory) / "pyproject.toml"
    try:
        return read_config(path.read_bytes())
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def refused_config_findings(target: Target) -> list[Finding]:
    """What the target's own ``[tool.pysecbook]`` asks for, as findings: it is not applied."""
    try:
        asked = target_config(target)
    except ConfigError as exc:
        return [finding("PSB-TRUST-CONFIG", "pyproject.toml", None,
                        f"the target ships an invalid [tool.pysecbook] table, which is ignored ({exc})",
                        severity="low")]
    found = []
    if asked.skip:
        found.append(finding(
            "PSB-TRUST-CONFIG", "pyproject.toml", None,
            f"the target asks to skip {', '.join(sorted(asked.skip))}: ignored, since a program "
            "does not decide its own checks", severity="medium"))
    if asked.exclude:
        shown = ", ".join(repr(p) for p in asked.exclude[:8]) + (", ..." if len(asked.exclude) > 8 else "")
        found.append(finding(
            "PSB-TRUST-CONFIG", "pyproject.toml", None,
            f"the target asks to exclude {len(asked.exclude)} pattern(s) from the scan ({shown}): "
            "ignored, every file is scanned", severity="medium"))
    return found
