"""Evidence that a project's authors run a security scanner: a CI step or a pre-commit hook.

A file name with "scan" in it, a badge in a README or a ``[tool.bandit]`` table shows
intent at most. Evidence is a scanner actually invoked where it runs on every change:

- a step of a GitHub Actions workflow (``run:`` a scanner, or ``uses:`` a scanner's action),
  a GitLab CI job's ``script`` (or GitLab's SAST template), an Azure Pipelines ``script``;
- a hook of ``.pre-commit-config.yaml``;
- a ``make``, ``tox`` or ``nox`` command in such a step whose target, environment or session
  runs a scanner (the Makefile recipe, ``tox.ini`` commands, the ``noxfile.py`` text).

Configuration files are read as data (YAML with ``safe_load``, INI with configparser), size
limited; nothing is run. Book page: ``book/checklist/must`` (check M7).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from pysecbook.checker.scan.model import Target

__all__ = ["Evidence", "ci_files", "scanner_invocations"]

#: Scanners named in a command line (a word of their own, not a substring of another).
SCANNER_COMMAND = re.compile(
    r"(?:^|[\s;&|(`'\"/])(bandit|semgrep|pip-audit|osv-scanner|pysecbook\s+check|guarddog|"
    r"safety\s+(?:check|scan)|codeql\s+database|snyk\s+(?:test|code)|sonar-scanner|trivy)"
    r"(?=$|[\s;&|)`'\"])", re.MULTILINE)
#: GitHub Actions that run a scanner, by the start of their ``uses:`` reference.
SCANNER_ACTIONS = ("github/codeql-action/analyze", "pycqa/bandit-action", "semgrep/semgrep-action",
                   "returntocorp/semgrep-action", "pypa/gh-action-pip-audit",
                   "google/osv-scanner-action", "snyk/actions", "sonarsource/sonarcloud-github-action",
                   "aquasecurity/trivy-action", "ossf/scorecard-action")
#: pre-commit hook ids of scanners.
SCANNER_HOOKS = frozenset({"bandit", "semgrep", "pip-audit", "pysecbook-check", "osv-scanner",
                           "safety", "trivy", "detect-secrets", "gitleaks"})
RUNNERS = re.compile(r"(?:^|[\s;&|])(make|tox|nox|pre-commit)(?:\s+(?:run\s+)?([^\s;&|]+))?")
MAX_CONFIG = 1_000_000
WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
CI_NAMES = ("\\.gitlab-ci\\.ya?ml", "azure-pipelines\\.ya?ml", "\\.circleci/config\\.ya?ml",
            "bitbucket-pipelines\\.ya?ml", "Jenkinsfile", "\\.travis\\.ya?ml")
CI_FILE = re.compile(rf"^(?:\.github/workflows/[^/]+\.ya?ml|{'|'.join(CI_NAMES)})$")


@dataclass(frozen=True)
class Evidence:
    """One scanner invocation: where, and what runs."""

    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def _yaml(target: Target, path: str) -> Any:
    f = target.file(path)
    if f is None or len(f.data) > MAX_CONFIG:
        return None
    try:
        return yaml.safe_load(f.data.decode("utf-8", "replace"))
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _commands(data: Any, keys: tuple[str, ...]) -> Iterator[str]:
    """Every string under one of ``keys`` anywhere in a YAML document (bounded walk)."""
    stack, seen = [data], 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            for k, v in node.items():
                if k in keys:
                    values = v if isinstance(v, list) else [v]
                    yield from (str(x) for x in values if isinstance(x, (str, int, float)))
                else:
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)


def _uses(data: Any) -> Iterator[str]:
    yield from _commands(data, ("uses",))


def _makefile_recipes(text: str) -> dict[str, str]:
    recipes: dict[str, str] = {}
    current: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)
        if match:
            current = [match.group(1)]
            recipes.setdefault(current[0], "")
        elif line.startswith("\t") and current:
            recipes[current[0]] += line + "\n"
        elif line.strip() and not line.startswith("\t"):
            current = []
    return recipes


def _runner_scans(target: Target, runner: str, arg: str | None) -> str | None:
    """What a ``make``/``tox``/``nox``/``pre-commit`` command found in CI runs, if a scanner."""
    if runner == "make":
        f = target.file("Makefile")
        if f is None or len(f.data) > MAX_CONFIG:
            return None
        recipe = _makefile_recipes(f.data.decode("utf-8", "replace")).get(arg or "", "")
        hit = SCANNER_COMMAND.search(recipe)
        return f"make {arg}, whose recipe runs {hit.group(1)}" if hit else None
    if runner == "tox":
        f = target.file("tox.ini")
        if f is None or len(f.data) > MAX_CONFIG:
            return None
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(f.data.decode("utf-8", "replace"))
        except configparser.Error:
            return None
        for section in parser.sections():
            commands = parser.get(section, "commands", fallback="")
            hit = SCANNER_COMMAND.search(commands)
            if hit:
                return f"tox, whose [{section}] runs {hit.group(1)}"
        return None
    if runner == "nox":
        f = target.file("noxfile.py")
        if f is None or len(f.data) > MAX_CONFIG:
            return None
        hit = re.search(r"session\.run\(\s*['\"](bandit|semgrep|pip-audit|osv-scanner)['\"]",
                        f.data.decode("utf-8", "replace"))
        return f"nox, whose noxfile runs {hit.group(1)}" if hit else None
    if runner == "pre-commit":
        hooks = _pre_commit_hooks(target)
        return f"pre-commit, whose hooks include {hooks[0]}" if hooks else None
    return None


def _pre_commit_hooks(target: Target) -> list[str]:
    found = []
    for name in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
        data = _yaml(target, name)
        repos = data.get("repos") if isinstance(data, dict) else None
        for repo in repos if isinstance(repos, list) else []:
            for hook in (repo.get("hooks") or []) if isinstance(repo, dict) else []:
                hook_id = str(hook.get("id", "")) if isinstance(hook, dict) else ""
                if hook_id in SCANNER_HOOKS:
                    found.append(hook_id)
    return found


def ci_files(target: Target) -> list[str]:
    """The CI configuration files the target carries."""
    return [f.path for f in target.files if CI_FILE.match(f.path)]


def scanner_invocations(target: Target) -> list[Evidence]:
    """Every scanner the target's CI or pre-commit configuration runs."""
    found: list[Evidence] = []
    for path in ci_files(target):
        data = _yaml(target, path)
        if data is None:
            continue
        for command in _commands(data, ("run", "script", "before_script", "after_script",
                                        "command")):
            hit = SCANNER_COMMAND.search(command)
            if hit:
                found.append(Evidence(path, f"a step runs {hit.group(1)}"))
                continue
            for runner in RUNNERS.finditer(command):
                what = _runner_scans(target, runner.group(1), runner.group(2))
                if what:
                    found.append(Evidence(path, f"a step runs {what}"))
        for ref in _uses(data):
            if ref.lower().startswith(SCANNER_ACTIONS):
                found.append(Evidence(path, f"a step uses {ref.split('@', 1)[0]}"))
        if path.startswith(".gitlab-ci") and any(
                "SAST" in str(t) for t in _commands(data, ("template", "include"))):
            found.append(Evidence(path, "includes GitLab's SAST template"))
    found += [Evidence(".pre-commit-config.yaml", f"a pre-commit hook runs {h}")
              for h in _pre_commit_hooks(target)]
    return list(dict.fromkeys(found))
