"""Code that hides what it runs: decoded, downloaded or obfuscated payloads, packers, hidden
imports, and code read out of images or data files.

``exec``/``eval``/``compile`` are capabilities; what they run is the indicator. Running data
that was decoded (base64, zlib, marshal, hex, rot13...), downloaded, spelled by string tricks
(``chr`` codes, XOR, ``[::-1]``, fragments) or read from an image is high. A trick without
``exec`` is a lone indicator. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
import math
from collections import Counter

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.common import Capabilities, same_file
from pysecbook.checker.scan.rules.facts import Facts
from pysecbook.checker.scan.rules.install import hostile_command
from pysecbook.checker.scan.rules.names import fold, text_of
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "hidden code",
    ("PSB-RF-EXEC-DECODED", "high", 506, "exec/eval of decoded or decompressed data", "Defense Evasion"),
    ("PSB-RF-EXEC-OBFUSCATED", "high", 506, "exec/eval of code spelled by string tricks", "Defense Evasion"),
    ("PSB-RF-DOWNLOAD-EXEC", "high", 494, "downloads code or a program and runs it", "Execution"),
    ("PSB-RF-STEGO-EXEC", "high", 506, "runs code read out of an image or data file", "Defense Evasion"),
    ("PSB-RF-OBFUSCATION", "medium", 506, "string tricks that hide names or code", "Defense Evasion"),
    ("PSB-RF-HIDDEN-IMPORT", "high", 506, "imports or looks up a dangerous name it hides", "Defense Evasion", "medium"),
    ("PSB-RF-PACKED", "high", 506, "packed by an obfuscator (PyArmor and the like)", "Defense Evasion", "medium"),
    ("PSB-RF-OPAQUE-BLOB", "low", 506, "a long high-entropy string: data that cannot be read", "Defense Evasion"),
)

_RUNS_FILE = frozenset({"os.startfile", "os.chmod", "importlib.import_module", "runpy.run_path",
                        "__import__", *C.PROCESS_CALLS, *C.NATIVE_LOADS})


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _shown(f: Facts, node: ast.AST) -> str:
    got = fold(node, f.names)
    return f": it runs {text_of(got)}" if got is not None else ""


def check(f: Facts, caps: Capabilities) -> list[Finding]:
    out: list[Finding] = []
    path = f.path
    flagged_exec = False
    for rec in caps.execs:
        arg = rec.call.node.args[0]
        name = rec.call.name
        if "image" in rec.labels:
            out.append(finding("PSB-RF-STEGO-EXEC", path, rec.line,
                               f"{name}() of data read from an image or data file: code hidden "
                               "in a file that looks like data."))
        elif "fetched" in rec.labels:
            out.append(finding("PSB-RF-DOWNLOAD-EXEC", path, rec.line,
                               f"{name}() of data downloaded at run time: the code that runs is "
                               "not in the package at all."))
        elif "decoded" in rec.labels:
            out.append(finding("PSB-RF-EXEC-DECODED", path, rec.line,
                               f"{name}() of data decoded on the fly: the code that runs is hidden "
                               f"from review{_shown(f, arg)}."))
        elif "obfuscated" in rec.labels or "reversed" in rec.labels:
            out.append(finding("PSB-RF-EXEC-OBFUSCATED", path, rec.line,
                               f"{name}() of code spelled by string tricks{_shown(f, arg)}."))
        else:
            continue
        flagged_exec = True
    for rec in caps.processes:
        hostile = hostile_command(rec.detail)
        if hostile == "downloads and runs a program in one command":
            out.append(finding("PSB-RF-DOWNLOAD-EXEC", path, rec.line,
                               f"{rec.call.name}({rec.detail[:100]!r}) {hostile}."))
    fetched_writes = [w for w in caps.writes if "fetched" in w.content]
    fetched_writes += [caps_rec for caps_rec in caps.network
                       if caps_rec.call.name.endswith("urlretrieve")]
    pairs = [(w, r) for w in fetched_writes for r in f.calls
             if r.name in _RUNS_FILE and r.line != w.line and same_file(f, w, r)]
    if pairs:
        w, r = pairs[0]
        out.append(finding("PSB-RF-DOWNLOAD-EXEC", path, r.line,
                           f"writes downloaded data to a file (line {w.line}) and runs that "
                           f"file with {r.name}() (line {r.line}): a program fetched at run time."))
    for c in f.calls:
        if c.name not in C.DYNAMIC_IMPORTS and c.name != "getattr":
            continue
        args = c.node.args
        index = 1 if c.name == "getattr" else 0
        if len(args) <= index:
            continue
        name_node = args[index]
        name = fold(name_node, f.names)
        if not isinstance(name, str):
            continue
        computed = not isinstance(name_node, ast.Constant)
        on_builtins = c.name == "getattr" and (f.names.qualified(args[0]) or "") in C.BUILTINS_NAMES
        dangerous = name in C.DANGEROUS_NAMES or name.split(".")[0] in C.DANGEROUS_NAMES
        if computed and dangerous:
            out.append(finding("PSB-RF-HIDDEN-IMPORT", path, c.line,
                               f"{c.name}() of a name spelled at run time ({name!r}): a "
                               "dangerous module or function kept out of sight."))
        elif computed or (on_builtins and dangerous):
            out.append(finding("PSB-RF-HIDDEN-IMPORT", path, c.line,
                               f"{c.name}() of {name!r}, "
                               f"{'spelled at run time' if computed else 'looked up on the builtins'}.",
                               lone=True))
    for line, node, scope in f.lookups:
        key = fold(node.slice, f.names)  # type: ignore[attr-defined]
        base = f.names.qualified(node.value) or ""  # type: ignore[attr-defined]
        if not isinstance(key, str):
            continue
        if (base == "sys.modules" and key in C.DANGEROUS_NAMES) or (base.endswith("__dict__") and (
                base.split(".")[0] in C.BUILTINS_NAMES and key in C.DANGEROUS_NAMES)) or (
                base in ("vars", "globals") and key in C.DANGEROUS_NAMES | C.BUILTINS_NAMES):
            computed = not isinstance(node.slice, ast.Constant)  # type: ignore[attr-defined]
            out.append(finding("PSB-RF-HIDDEN-IMPORT", path, line,
                               f"reaches {key!r} through {base}[...]"
                               f"{', with a name spelled at run time' if computed else ''}.",
                               lone=not computed))
    if f.tricks and not flagged_exec:
        kinds = sorted({what for _, what in f.tricks})
        lines = ", ".join(str(n) for n, _ in f.tricks[:5])
        out.append(finding("PSB-RF-OBFUSCATION", path, f.tricks[0][0],
                           f"{'; '.join(kinds)} (line {lines}): names or code kept out of sight, "
                           "nothing here runs them."))
    packer = [c for c in f.calls if c.name.split(".")[-1] in ("__pyarmor__", "pyarmor_runtime",
                                                              "__pyarmor_enter__")]
    if packer:
        early = [c for c in packer if f.early(c.scope)]
        c = (early or packer)[0]
        out.append(finding("PSB-RF-PACKED", path, c.line,
                           f"{c.name}() runs a PyArmor-packed blob"
                           f"{' when the module is imported' if early else ''}: the code cannot "
                           "be read, only run.", lone=not early))
    for line, length, text in f.blobs[:50]:
        if sum(ch.isspace() for ch in text[:4096]) > len(text[:4096]) // 20:
            continue  # prose or a formatted table
        bits = entropy(text[:65536])
        if bits >= 5.0:
            out.append(finding("PSB-RF-OPAQUE-BLOB", path, line,
                               f"a {length}-character string of {bits:.1f} bits of entropy per "
                               "character: encoded or encrypted data nobody can review."))
            break
    return out
