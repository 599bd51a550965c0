"""Spying on the user and running native code: clipboard hijacking, screenshots, keylogging,
loading a native library the package wrote itself, and shellcode injection.

A library may read the clipboard or take a screenshot because that is its job; reading the
clipboard and writing it back with a wallet address in view, or capturing the screen or the
keyboard in a file that also sends data away, is the alarm. Book page:
``book/checklist/anatomy``.
"""

from __future__ import annotations

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.common import Capabilities, same_file, where_to
from pysecbook.checker.scan.rules.facts import Facts
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "spyware and native code",
    ("PSB-RF-CLIPBOARD", "high", 200, "reads the clipboard and rewrites it (a clipboard hijacker)", "Collection", "low"),
    ("PSB-RF-SCREENSHOT", "high", 200, "captures the screen and sends data away", "Collection", "low"),
    ("PSB-RF-KEYLOGGER", "high", 200, "records keystrokes", "Collection", "medium"),
    ("PSB-RF-NATIVE-DROP", "high", 506, "writes a native binary and loads or runs it", "Execution"),
    ("PSB-RF-SHELLCODE", "high", 506, "allocates memory, copies bytes into it and runs them", "Execution"),
)


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _links(write) -> bool:  # type: ignore[no-untyped-def]
    """The write is a symbolic or hard link (``Path.symlink_to``, ``os.symlink``, ``os.link``)."""
    return _last(write.call.name) in ("symlink_to", "hardlink_to", "symlink", "link")


def check(f: Facts, caps: Capabilities) -> list[Finding]:
    out: list[Finding] = []
    path = f.path
    sends = caps.sends
    gets = [c for c in f.calls if c.name in C.CLIPBOARD_GET or C.CLIPBOARD_METHODS.get(_last(c.name)) == "get"]
    sets = [c for c in f.calls if c.name in C.CLIPBOARD_SET or C.CLIPBOARD_METHODS.get(_last(c.name)) == "set"]
    if gets or sets:
        wallet = any(p in s.lower() for c in f.calls if c.name.startswith("re.") and c.node.args
                     for s in [f.text(c.node.args[0], c.scope) or ""] for p in C.WALLET_PATTERNS)
        if gets and sets and (wallet or sends):
            out.append(finding("PSB-RF-CLIPBOARD", path, sets[0].line,
                               f"reads the clipboard ({gets[0].name}(), line {gets[0].line}) and "
                               f"replaces its content ({sets[0].name}()"
                               f"{', matching crypto-wallet addresses' if wallet else ''}): what the "
                               "user pastes is no longer what they copied."))
        else:
            c = (gets or sets)[0]
            out.append(finding("PSB-RF-CLIPBOARD", path, c.line,
                               f"{c.name}() {'reads' if gets else 'writes'} the clipboard.", lone=True))
    shots = [c for c in f.calls if c.name in C.SCREEN_CALLS or (
        _last(c.name) in ("grab", "shot", "screenshot") and "mss" in c.name)]
    if shots:
        c = shots[0]
        if sends:
            out.append(finding("PSB-RF-SCREENSHOT", path, c.line,
                               f"captures the screen with {c.name}() and sends data with "
                               f"{sends[0].call.name}() (line {sends[0].line}) to "
                               f"{where_to(caps, sends[0])}."))
        else:
            out.append(finding("PSB-RF-SCREENSHOT", path, c.line,
                               f"{c.name}() captures the screen; nothing in this file sends it.",
                               lone=True))
    keys = [c for c in f.calls if c.name in C.KEYLOG_CALLS or _last(c.name) in C.KEYLOG_METHODS]
    if keys:
        c = keys[0]
        logs = [w for w in caps.writes if "a" in str(w.call.node.args[1:2])] or caps.writes
        if sends or logs:
            to = (f"sends data with {sends[0].call.name}() to {where_to(caps, sends[0])}" if sends
                  else f"writes to a file (line {logs[0].line})")
            out.append(finding("PSB-RF-KEYLOGGER", path, c.line,
                               f"records keystrokes with {c.name}() and {to}."))
        else:
            out.append(finding("PSB-RF-KEYLOGGER", path, c.line,
                               f"{c.name}() records keystrokes.", lone=True))
    loads = [c for c in f.calls if c.name in C.NATIVE_LOADS or _last(c.name) in C.NATIVE_LOAD_METHODS
             or c.name in ("os.startfile",)]
    # A link writes no bytes: running a binary through one is running it where it lies, as
    # running a bundled binary in place is (setuptools' tests link its own launcher).
    dropped = [w for w in caps.writes if not _links(w)
               and (w.target.lower().endswith(C.NATIVE_SUFFIXES_WRITE) or w.content & {"decoded", "fetched"})]
    runs = [*loads, *(p.call for p in caps.processes)]
    pair = next(((w, r) for w in dropped for r in runs if same_file(f, w, r)), None)
    if pair:
        w, r = pair
        out.append(finding("PSB-RF-NATIVE-DROP", path, r.line,
                           f"writes a binary it carries or fetched (line {w.line}) and loads or "
                           f"runs that file with {r.name}() (line {r.line}): native code nobody "
                           "reviewed."))
    steps = {C.SHELLCODE_STEPS[_last(c.name)]: c for c in f.calls if _last(c.name) in C.SHELLCODE_STEPS}
    if {"alloc", "copy", "run"} <= set(steps):
        out.append(finding("PSB-RF-SHELLCODE", path, steps["run"].line,
                           f"{_last(steps['alloc'].name)}() then {_last(steps['copy'].name)}() then "
                           f"{_last(steps['run'].name)}(): bytes copied into memory and run as "
                           "machine code."))
    return out
