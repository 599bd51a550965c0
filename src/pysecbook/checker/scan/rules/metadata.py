"""Heuristics on the artifact's metadata, and correlation across files: both in the main
process, on data (the target's declarations, the workers' findings and capability
summaries), never by parsing code there.

- ``PSB-RF-META-LOOKALIKE``: the target's name is one edit from a top project's
  (:mod:`pysecbook.checker.typosquatting`); high when the target also runs code at install.
- ``PSB-RF-META-NO-DESCRIPTION``: an empty or placeholder summary.
- ``PSB-RF-META-ZERO-VERSION``: version 0.0.0 or 0.0.1 with install hooks.
- ``PSB-RF-META-MISMATCH``: a single-module package whose code does what its description
  never mentions (network, processes, ``exec``, secrets).
- ``PSB-RF-SETUP-CHAIN``: install-time code imports a module of the target whose import-time
  code starts processes, uses the network or runs ``exec``: the same install-time path,
  across two files. ``exec`` weighs what it weighs in ``setup.py`` itself
  (``PSB-RF-SETUP-EXEC``, medium): it is how build helpers read a version file (IPython's
  ``setupbase.py`` runs ``IPython/core/release.py``), and what it runs is scanned on its own.

Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence

from pysecbook.checker import typosquatting
from pysecbook.checker.scan.model import Finding, Target
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "metadata and cross-file",
    ("PSB-RF-META-LOOKALIKE", "high", 1357, "named like a top project, with install-time code", "Initial Access", "medium"),
    ("PSB-RF-META-NO-DESCRIPTION", "low", 1357, "empty or placeholder description", "Initial Access"),
    ("PSB-RF-META-ZERO-VERSION", "medium", 1357, "version 0.0.0 or 0.0.1 with install hooks", "Initial Access"),
    ("PSB-RF-META-MISMATCH", "medium", 1357, "a single module whose code does what its description never says", "Initial Access"),
    ("PSB-RF-SETUP-CHAIN", "high", 506, "install-time code imports a module that acts at import", "Execution", "medium"),
)

PLACEHOLDERS = frozenset({"", "unknown", "none", "todo", "tbd", "test", "testing", "description",
                          "my package", "a package", "package", "a python package",
                          "add your description here", "lorem ipsum", "hello", "hello world",
                          "sample", "demo", "example", "xxx", "..."})
#: Findings that mean "code runs at install": the install hooks of ZERO-VERSION and LOOKALIKE.
INSTALL_RULES = frozenset({"PSB-RF-SETUP-PROCESS", "PSB-RF-SETUP-NETWORK", "PSB-RF-SETUP-EXEC",
                           "PSB-RF-SETUP-WRITE", "PSB-RF-INSTALL-HOOK", "PSB-RF-PTH-EXEC",
                           "PSB-RF-STARTUP-FILE", "PSB-RF-SETUP-CHAIN"})
#: Words a description uses when the code's capability is its purpose.
PURPOSE_WORDS = {
    "network": ("http", "web", "url", "api", "client", "download", "request", "network", "server",
                "fetch", "upload", "cloud", "remote", "telemetry", "socket", "online", "sync",
                "proxy", "webhook", "bot", "monitor", "service", "crawl", "scrap"),
    "process": ("command", "shell", "process", "subprocess", "run", "exec", "cli", "terminal",
                "launcher", "wrapper", "build", "git", "tool", "automation", "script"),
    "exec": ("eval", "template", "interpreter", "plugin", "dynamic", "expression", "repl", "sandbox"),
    "secrets": ("credential", "password", "key", "token", "ssh", "auth", "wallet", "browser",
                "cookie", "secret", "vault", "login", "keyring"),
}


def _module_paths(target: Target) -> list[str]:
    """The target's Python modules that make up its code (no build scripts, tests, docs)."""
    out = []
    for f in target.files:
        p = f.path
        if not p.endswith(".py") or ".dist-info/" in p or ".egg-info/" in p:
            continue
        base = p.rsplit("/", 1)[-1]
        if base in ("setup.py", "conftest.py", "noxfile.py", "tasks.py", "hatch_build.py") or (
                "/tests/" in f"/{p}" or "/test/" in f"/{p}" or "/docs/" in f"/{p}"
                or base.startswith("test_")):
            continue
        if base == "__init__.py" and len(f.data.strip()) < 200:
            continue  # an empty package marker
        out.append(p)
    return out


def _resolve(module: str, paths: set[str]) -> str | None:
    """The target file an absolute import names, if the target has it (flat or src layout)."""
    rel = module.replace(".", "/")
    for base in ("", "src/"):
        for candidate in (f"{base}{rel}.py", f"{base}{rel}/__init__.py"):
            if candidate in paths:
                return candidate
    return None


def scan_metadata(target: Target, info: object, findings: Sequence[Finding],
                  imports: Mapping[str, Iterable[tuple[str, int]]],
                  capabilities: Mapping[str, Sequence[tuple[str, int, bool]]],
                  install_time: Iterable[str]) -> list[Finding]:
    """Metadata heuristics and cross-file correlation on what the scan already found.

    ``info`` is the target's :class:`~pysecbook.checker.declarations.ProjectInfo`;
    ``imports`` and ``capabilities`` are the workers' summaries by file.
    """
    out: list[Finding] = []
    where = getattr(info, "metadata_file", None) or ("pyproject.toml" if target.file("pyproject.toml")
                                                     else "setup.py" if target.file("setup.py") else "")
    paths = {f.path for f in target.files}
    # the same install-time path, across files
    install = set(install_time)
    for module, sites in imports.items():
        for path, line in sites:
            if path not in install:
                continue
            found = _resolve(module, paths)
            if found is None or found in install:
                continue
            early = [(kind, ln) for kind, ln, e in capabilities.get(found, ()) if e and kind != "secrets"]
            if early:
                acts = [k for k, _ in early if k != "exec"]
                kind, ln = next(((k, n) for k, n in early if k != "exec"), early[0])
                out.append(finding("PSB-RF-SETUP-CHAIN", path, line,
                                   f"{path} imports {module} at install time, and {found} "
                                   f"{'starts a process' if kind == 'process' else 'uses the network' if kind == 'network' else 'runs exec/eval'}"
                                   f" when imported (line {ln}): install-time code in another file.",
                                   lone=not acts))
    installs = sorted({f.rule_id for f in [*findings, *out] if f.rule_id in INSTALL_RULES})
    name = getattr(info, "name", None)
    version = (getattr(info, "version", None) or "").strip()
    summary = getattr(info, "summary", None)
    description = getattr(info, "description", None) or ""
    if isinstance(name, str) and name:
        suspect = typosquatting.check_name(name)
        if suspect:
            out.append(finding("PSB-RF-META-LOOKALIKE", where, None,
                               f"the target's own name: {suspect}"
                               + (f"; and it runs code at install ({', '.join(installs)})" if installs else ""),
                               lone=not installs))
    if getattr(info, "metadata_file", None) or summary is not None or name:
        text = (summary or "").strip().lower().rstrip(".")
        if text in PLACEHOLDERS or (isinstance(name, str) and text == name.lower()):
            out.append(finding("PSB-RF-META-NO-DESCRIPTION", where, None,
                               f"the summary is {'empty' if not text else repr(summary)}: nothing "
                               "says what the package is for."))
    if version in ("0.0.0", "0.0.1", "0.0") and installs:
        out.append(finding("PSB-RF-META-ZERO-VERSION", where, None,
                           f"version {version}, a first upload, yet it runs code at install "
                           f"({', '.join(installs)})."))
    modules = _module_paths(target)
    if len(modules) == 1 and (summary or description):
        words = f"{summary or ''} {description}".lower()
        kinds = sorted({kind for kind, _, _ in capabilities.get(modules[0], ())})
        unsaid = [k for k in kinds if not any(w in words for w in PURPOSE_WORDS[k])]
        if unsaid:
            said = (summary or description).strip().splitlines()[0][:80]
            out.append(finding("PSB-RF-META-MISMATCH", modules[0], None,
                               f"the package describes itself as {said!r}, but its only module "
                               f"uses {', '.join(unsaid)}, which that description never mentions."))
    return out


def module_of(path: str) -> str:
    """The dotted module name of a file path (``src/`` left out)."""
    stem = path[4:] if path.startswith("src/") else path
    stem = posixpath.splitext(stem)[0]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")
