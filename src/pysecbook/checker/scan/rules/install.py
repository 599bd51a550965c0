"""Install-time and import-time code: what runs before anyone calls the package.

``setup.py`` and the other files a build backend runs (see
:func:`pysecbook.checker.scan.plan.install_time_paths`) run with the installing user's rights
when the package is built or installed; an install-command override (``cmdclass``) runs at
``pip install`` without anyone importing anything. A process, a network call or a write
outside the build there is a capability; inside an install-command override, or carrying a
payload or the user's data, it meets a threat indicator and is high. Code at the top level of
any module runs at import. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.common import Capabilities, Record, what_is, where_to
from pysecbook.checker.scan.rules.classify import autostart_kind, startup_kind
from pysecbook.checker.scan.rules.facts import PAYLOAD, SENSITIVE, Facts
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "install-time code",
    ("PSB-RF-SETUP-PROCESS", "high", 78, "install-time code starts a process", "Execution", "medium"),
    ("PSB-RF-SETUP-NETWORK", "high", 494, "install-time code uses the network", "Command and Control", "medium"),
    ("PSB-RF-SETUP-EXEC", "medium", 95, "install-time code runs exec/eval", "Execution"),
    ("PSB-RF-SETUP-WRITE", "high", 506, "install-time code writes outside the build directory", "Persistence", "medium"),
    ("PSB-RF-INSTALL-HOOK", "low", 506, "overrides an install command: code that runs at pip install", "Execution"),
    ("PSB-RF-IMPORT-NETWORK", "high", 506, "network access at import time", "Command and Control", "medium"),
    ("PSB-RF-IMPORT-PROCESS", "high", 506, "process spawned at import time", "Execution", "medium"),
)

_OUTSIDE = ("os.path.expanduser", "Path.home", "pathlib.Path.home", "os.getenv", "os.environ",
            "site.getsitepackages", "site.getusersitepackages", "sys.prefix", "sys.exec_prefix",
            "sys.base_prefix", "sysconfig.get_path", "os.path.expandvars", "tempfile.gettempdir")


def _word_at(text: str, marker: str) -> bool:
    """``marker`` occurs in ``text`` starting a word: ``sh -i`` in ``/bin/sh -i`` or
    ``bash -c 'sh -i'``, never inside ``putty -ssh -i key`` (awscli's SOCKS tunnel)."""
    start = text.find(marker)
    while start != -1:
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "-_."):
            return True
        start = text.find(marker, start + 1)
    return False


def hostile_command(text: str) -> str | None:
    """What makes a command line hostile on its own: fetch-and-run, a reverse shell, hiding."""
    low = text.lower()
    if any(t in low for t in C.FETCH_TOOLS) and any(p in low for p in C.PIPE_TO_SHELL):
        return "downloads and runs a program in one command"
    if any(_word_at(low, m) for m in C.REVERSE_SHELL_MARKERS) or (
            any(_word_at(low, m) for m in C.SHELL_HALVES)
            and any(_word_at(low, m) for m in C.NETWORK_TOOLS)):
        return "opens a reverse shell"
    if any(m in low for m in C.INTERPRETER_INLINE):
        return "runs inline interpreter code"
    return None


def _writes_outside(f: Facts, rec: Record) -> bool:
    dest = rec.call.node.args[0] if rec.call.node.args and rec.call.name in (
        "open", "io.open", "builtins.open", "codecs.open") else None
    text = rec.target
    if text.startswith(("/", "~")) or (len(text) > 2 and text[1] == ":" and text[2] in "\\/"):
        return True
    import ast

    nodes = [dest] if dest is not None else []
    if isinstance(rec.call.node.func, ast.Attribute):
        nodes.append(rec.call.node.func.value)
    if len(rec.call.node.args) > 1 and rec.call.name.startswith(("shutil.", "os.")):
        nodes.append(rec.call.node.args[1])
    for node in nodes:
        for sub in ast.walk(node):
            q = f.names.qualified(sub) if isinstance(sub, ast.Attribute | ast.Name) else None
            if q and any(q.startswith(m) for m in _OUTSIDE):
                return True
            if isinstance(sub, ast.Name):
                for value in f.values_of(sub.id, rec.scope)[:2]:
                    for v in ast.walk(value):
                        qv = f.names.qualified(v) if isinstance(v, ast.Attribute | ast.Name) else None
                        if qv and any(qv.startswith(m) for m in _OUTSIDE):
                            return True
    return False


def check(f: Facts, caps: Capabilities) -> list[Finding]:
    out: list[Finding] = []
    path = f.path

    def maintainers_only(rec: Record) -> bool:
        """A record in a ``setup.py publish`` branch or a ``test`` command class, which
        nothing can make pip run: not install-time code (the file's other rules still see
        it, at their lone severity)."""
        return f.maintainers_only(rec.scope) is not None

    if f.install_time:
        processes = [r for r in caps.processes if not maintainers_only(r)]
        network = [r for r in caps.network if not maintainers_only(r)]
        execs = [r for r in caps.execs if not maintainers_only(r)]
        writes = [r for r in caps.writes if not maintainers_only(r)]
        when = f"{path} runs at install time and"
        for cls in sorted({h.rsplit(".", 1)[0] for h in f.hooks}):
            methods = ", ".join(sorted(h.rsplit(".", 1)[1] + "()" for h in f.hooks if h.startswith(cls + ".")))
            out.append(finding("PSB-RF-INSTALL-HOOK", path, None,
                               f"{cls} overrides a setuptools command: its {methods} run(s) when "
                               "the package is built or installed, before anyone imports it.",
                               lone=True))
        for rec in processes:
            hook = rec.scope in f.hook_reached
            hostile = hostile_command(rec.detail) or ("it runs a payload" if rec.labels & PAYLOAD else None)
            high = hook or hostile
            why = (f" ({hostile})" if hostile else "") + (" in an install-command override" if hook else "")
            out.append(finding("PSB-RF-SETUP-PROCESS", path, rec.line,
                               f"{when} calls {rec.call.name}({rec.detail[:80]!r}){why}.", lone=not high))
        for rec in network:
            hook = rec.scope in f.hook_reached
            carries = rec.labels & SENSITIVE
            high = hook or (rec.sends and carries)
            what = " and sends " + what_is(carries) if rec.sends and carries else ""
            out.append(finding("PSB-RF-SETUP-NETWORK", path, rec.line,
                               f"{when} calls {rec.call.name}() to {where_to(caps, rec)}{what}"
                               f"{' in an install-command override' if hook else ''}.",
                               lone=not high))
        for rec in execs:
            if not rec.labels & PAYLOAD:
                out.append(finding("PSB-RF-SETUP-EXEC", path, rec.line, f"{when} calls {rec.call.name}()."))
        for rec in writes:
            if startup_kind(rec.target):
                continue  # PSB-RF-STARTUP-WRITE says it
            if _writes_outside(f, rec):
                hook = rec.scope in f.hook_reached
                special = autostart_kind(rec.target) or ("site-packages" if "site" in rec.target else None)
                out.append(finding("PSB-RF-SETUP-WRITE", path, rec.line,
                                   f"{when} writes outside the build directory"
                                   f"{' in an install-command override' if hook else ''}"
                                   f"{f' ({special})' if special else ''}.",
                                   lone=not (hook or special)))
        return out
    package_init = path.rsplit("/", 1)[-1] == "__init__.py"
    for rec in caps.processes:
        if rec.scope not in f.reached:
            continue
        hostile = hostile_command(rec.detail) or ("it runs a payload" if rec.labels & PAYLOAD else None)
        if not (hostile or package_init):
            continue  # a lone capability counts in __init__.py, which every import runs
        out.append(finding("PSB-RF-IMPORT-PROCESS", path, rec.line,
                           f"{rec.call.name}({rec.detail[:80]!r}) runs when the module is imported"
                           f"{f' ({hostile})' if hostile else ''}.", lone=not hostile))
    for rec in caps.network:
        if rec.scope not in f.reached or (rec.detail == "socket connect" and not rec.target):
            continue
        carries = rec.labels & SENSITIVE
        shady = caps.shady(rec)
        high = (rec.sends and carries) or shady
        if not (high or package_init):
            continue
        what = f", sending {what_is(carries)}" if rec.sends and carries else ""
        out.append(finding("PSB-RF-IMPORT-NETWORK", path, rec.line,
                           f"{rec.call.name}() to {where_to(caps, rec)} runs when the module is "
                           f"imported{what}.", lone=not high))
    return out
