"""Staying on the machine and spreading from it: start-up files, autostart entries (cron,
systemd, shell rc files, Windows Run keys, start-up folders, launch agents), processes
started hidden or detached, and self-propagation (publishing packages, rewriting other
projects).

Writing a start-up file is what a shell-completion installer or a build-isolation tool does
when the user asks; it is persistence when nobody asked: at import or install time, or with
a payload as the thing that will start. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.common import Capabilities, strings_in
from pysecbook.checker.scan.rules.classify import autostart_kind, startup_kind
from pysecbook.checker.scan.rules.facts import PAYLOAD, Facts
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "persistence and propagation",
    ("PSB-RF-STARTUP-WRITE", "high", 506, "writes to sitecustomize or a shell start-up file", "Persistence", "low"),
    ("PSB-RF-PERSISTENCE", "high", 506, "registers an autostart entry (cron, systemd, Run key, start-up folder)", "Persistence", "low"),
    ("PSB-RF-SILENT-PROCESS", "high", 78, "starts a process hidden or detached from the user", "Defense Evasion", "low"),
    ("PSB-RF-SELF-PROPAGATE", "high", 506, "publishes packages or rewrites other projects", "Lateral Movement", "low"),
)


def _payload_command(text: str) -> bool:
    low = text.lower()
    return any(m in low for m in C.INTERPRETER_INLINE) or "pythonw" in low or any(
        t in low for t in C.FETCH_TOOLS)


def _silent(f: Facts, rec) -> str | None:  # type: ignore[no-untyped-def]
    """How a process call hides itself, if it does."""
    node = rec.call.node
    hidden = []
    outputs = set()
    for k in node.keywords:
        value = ast.unparse(k.value) if k.arg in ("creationflags", "preexec_fn", "startupinfo",
                                                   "stdout", "stderr", "stdin",
                                                   "start_new_session") else ""
        if k.arg == "creationflags" and (any(flag in value for flag in C.SILENT_FLAGS) or (
                isinstance(k.value, ast.Constant) and k.value.value in C.SILENT_FLAG_VALUES)):
            hidden.append("no window")
        elif (k.arg == "start_new_session" and value == "True") or (k.arg == "preexec_fn" and "setsid" in value):
            hidden.append("a new session")
        elif k.arg in ("stdout", "stderr", "stdin") and "DEVNULL" in value:
            outputs.add(k.arg)
    if {"stdout", "stderr"} <= outputs:
        hidden.append("every output to /dev/null")
    low = rec.detail.lower()
    hidden += [m.strip() for m in C.SILENT_MARKERS if m in low]
    if C.BACKGROUND.search(low):
        hidden.append("&")
    return ", ".join(hidden) if hidden else None


def check(f: Facts, caps: Capabilities) -> list[Finding]:
    out: list[Finding] = []
    path = f.path
    for rec in caps.writes:
        startup = startup_kind(rec.target)
        autostart = autostart_kind(rec.target)
        if not (startup or autostart):
            continue
        early = f.early(rec.scope)
        payload = rec.content & PAYLOAD
        high = early or payload
        what = f"a start-up file ({startup!r})" if startup else f"an autostart location ({autostart!r})"
        runs = ("code that runs at every interpreter or shell start" if startup
                else "a program started at every boot or login")
        why = []
        if early:
            why.append(f"it happens {f.where(rec.scope)}, with nobody asking")
        if payload:
            why.append(f"what it writes is {', '.join(sorted(payload))}")
        if not high:
            why.append(f"only {f.where(rec.scope)}: a feature a user invokes, or persistence "
                       "waiting for a caller; check who calls it")
        out.append(finding("PSB-RF-STARTUP-WRITE" if startup else "PSB-RF-PERSISTENCE", path,
                           rec.line, f"writes {what}, {runs}; {'; '.join(why)}.", lone=not high))
    for rec in caps.processes:
        low = rec.detail.lower()
        command = next((m for m in C.AUTOSTART_COMMANDS if m in low), None)
        if command and (autostart_kind(rec.detail) or command != "reg add" or "run" in low):
            early = f.early(rec.scope)
            high = early or _payload_command(rec.detail) or rec.labels & PAYLOAD
            out.append(finding("PSB-RF-PERSISTENCE", path, rec.line,
                               f"{rec.call.name}({rec.detail[:90]!r}) registers an autostart entry "
                               f"{f.where(rec.scope)}.", lone=not high))
        hidden = _silent(f, rec)
        if hidden:
            early = f.early(rec.scope)
            payload = _payload_command(rec.detail) or rec.labels & PAYLOAD
            out.append(finding("PSB-RF-SILENT-PROCESS", path, rec.line,
                               f"{rec.call.name}({rec.detail[:80]!r}) runs hidden ({hidden}) "
                               f"{f.where(rec.scope)}"
                               f"{'; what it runs is a payload' if payload else ''}.",
                               lone=not (early or payload)))
        publish = next((m for m in C.PUBLISH_COMMANDS if m in low), None)
        if publish:
            early = f.early(rec.scope)
            tokens = any("index and Git tokens" in r.detail for r in caps.secret_reads)
            out.append(finding("PSB-RF-SELF-PROPAGATE", path, rec.line,
                               f"{rec.call.name}({rec.detail[:80]!r}) publishes a package "
                               f"{f.where(rec.scope)}"
                               f"{' with tokens read from the user' if tokens else ''}.",
                               lone=not (early or tokens)))
    for c in f.calls:
        if c.name in C.REGISTRY_WRITES:
            strings = " ".join(s for a in c.node.args for s in strings_in(f, a, c.scope))
            if autostart_kind(strings):
                early = f.early(c.scope)
                out.append(finding("PSB-RF-PERSISTENCE", path, c.line,
                                   f"{c.name}() adds a Windows Run key {f.where(c.scope)}.",
                                   lone=not early))
                break
    for rec in caps.sends:
        strings = [s for a in rec.call.node.keywords for s in strings_in(f, a.value, rec.scope)]
        if C.UPLOAD_FORM_FIELD in strings and "file_upload" in strings:
            out.append(finding("PSB-RF-SELF-PROPAGATE", path, rec.line,
                               f"{rec.call.name}() posts a package upload form (':action': "
                               f"'file_upload') {f.where(rec.scope)}.", lone=not f.early(rec.scope)))
    walks = [c for c in f.calls if c.name in C.WALK_CALLS]
    for rec in caps.writes:
        into_site = "site-packages" in rec.target or "dist-packages" in rec.target or any(
            (f.names.qualified(n) or "").startswith("site.get") for n in ast.walk(rec.call.node))
        walked = walks and any(w.scope == rec.scope for w in walks) and (
            ".py" in rec.target or "setup.py" in " ".join(strings_in(f, rec.call.node, rec.scope)))
        if (into_site and not startup_kind(rec.target)) or walked:
            early = f.early(rec.scope)
            out.append(finding("PSB-RF-SELF-PROPAGATE", path, rec.line,
                               f"writes into {'site-packages' if into_site else 'Python files it searched for'}"
                               f" {f.where(rec.scope)}: code that rewrites other projects.",
                               lone=not early))
            break
    return out
