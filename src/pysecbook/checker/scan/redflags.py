"""Red flags of a malicious package, found by reading its files (AST and text), never running them.

Each rule has a stable id (``PSB-RF-...``), a severity, a CWE and a short message, and every
finding names the file and the line. The rules:

- ``PSB-RF-SETUP-PROCESS``, ``PSB-RF-SETUP-NETWORK``, ``PSB-RF-SETUP-EXEC``,
  ``PSB-RF-SETUP-WRITE``: install-time code that spawns processes, touches the network,
  runs ``exec``/``eval``, or writes outside the build (home directory, absolute paths,
  site-packages). Install-time code is ``setup.py`` and every other file a build backend
  runs (an in-tree backend, ``hatch_build.py``...; the scan decides which, see
  :func:`pysecbook.checker.scan.plan.install_time_paths`); it runs when the package is built
  or installed, with the installing user's rights.
- ``PSB-RF-PTH-EXEC``: a ``.pth`` file with a line starting with ``import``, which ``site``
  executes at every interpreter start.
- ``PSB-RF-EXEC-DECODED``: ``exec``/``eval``/``compile`` of data decoded or decompressed on
  the fly (base64, zlib, bz2, lzma, marshal, ``bytes.fromhex``, ``codecs.decode``, binascii).
- ``PSB-RF-IMPORT-NETWORK``, ``PSB-RF-IMPORT-PROCESS``: network access or process spawning at
  import time in a package's ``__init__.py`` (module level or class body, not in functions).
- ``PSB-RF-STARTUP-WRITE``: writes to ``sitecustomize``/``usercustomize`` or to shell start-up
  files; ``PSB-RF-STARTUP-FILE``: a ``sitecustomize.py``/``usercustomize.py`` shipped at the
  top level of the target.
- ``PSB-RF-NATIVE-BINARY``: a bundled native binary (by suffix or by ELF/PE/Mach-O magic).
- ``PSB-RF-TROJAN-SOURCE``: bidirectional control characters (U+202A-U+202E, U+2066-U+2069)
  and ``PSB-RF-INVISIBLE-CHAR``: zero-width characters in source.

Book page: ``book/checklist``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pysecbook.checker.scan.model import Finding, SourceFile


@dataclass(frozen=True)
class Rule:
    """One red-flag rule: id, severity, CWE and what it means."""

    id: str
    severity: str
    cwe: int
    title: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("PSB-RF-SETUP-PROCESS", "high", 78, "install-time code starts a process"),
    Rule("PSB-RF-SETUP-NETWORK", "high", 494, "install-time code uses the network"),
    Rule("PSB-RF-SETUP-EXEC", "medium", 95, "install-time code runs exec/eval"),
    Rule("PSB-RF-SETUP-WRITE", "high", 506, "install-time code writes outside the build directory"),
    Rule("PSB-RF-PTH-EXEC", "medium", 506, ".pth file executes code at every interpreter start"),
    Rule("PSB-RF-EXEC-DECODED", "high", 506, "exec/eval of decoded or decompressed data"),
    Rule("PSB-RF-IMPORT-NETWORK", "high", 506, "network access at import time in __init__.py"),
    Rule("PSB-RF-IMPORT-PROCESS", "high", 506, "process spawned at import time in __init__.py"),
    Rule("PSB-RF-STARTUP-WRITE", "high", 506, "writes to sitecustomize or a shell start-up file"),
    Rule("PSB-RF-STARTUP-FILE", "high", 506, "ships a sitecustomize/usercustomize module"),
    Rule("PSB-RF-NATIVE-BINARY", "medium", 506, "bundled native binary (cannot be reviewed)"),
    Rule("PSB-RF-TROJAN-SOURCE", "high", 1007, "bidirectional control character in source"),
    Rule("PSB-RF-INVISIBLE-CHAR", "medium", 1007, "invisible zero-width character in source"),
    Rule("PSB-RF-BYTECODE", "medium", 506, "ships compiled bytecode"),
    Rule("PSB-RF-BYTECODE-MISMATCH", "high", 506, "bytecode that differs from its source"),
    Rule("PSB-RF-BYTECODE-SOURCELESS", "high", 506, "compiled bytecode without its source"),
    Rule("PSB-TRUST-NOSEC", "low", 693, "the target's '# nosec' comments ask the scan to look away"),
    Rule("PSB-TRUST-CONFIG", "medium", 693, "the target's configuration asks the checker to skip checks or files"),
)}

PROCESS_CALLS = frozenset({
    "subprocess.Popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
    "subprocess.check_output", "subprocess.getoutput", "subprocess.getstatusoutput",
    "os.system", "os.popen", "os.execl", "os.execle", "os.execlp", "os.execlpe", "os.execv",
    "os.execve", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnle", "os.spawnlp",
    "os.spawnlpe", "os.spawnv", "os.spawnve", "os.spawnvp", "os.spawnvpe", "os.posix_spawn",
    "os.posix_spawnp", "os.startfile", "pty.spawn", "commands.getoutput",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
})
#: Calls that open a connection or resolve a name (a module merely used is not enough:
#: ``urllib3.disable_warnings()`` touches no network).
NETWORK_CALLS = frozenset({
    "socket.socket", "socket.create_connection", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyname_ex", "socket.socketpair", "socket.fromfd",
    "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.build_opener",
    "urllib.urlopen", "urllib.urlretrieve", "urllib2.urlopen",
    "http.client.HTTPConnection", "http.client.HTTPSConnection", "httplib.HTTPConnection",
    "httplib.HTTPSConnection", "ftplib.FTP", "ftplib.FTP_TLS", "smtplib.SMTP",
    "smtplib.SMTP_SSL", "telnetlib.Telnet", "xmlrpc.client.ServerProxy", "paramiko.SSHClient",
    "pycurl.Curl", "urllib3.PoolManager", "urllib3.request", "urllib3.connection_from_url",
    "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool", "aiohttp.ClientSession",
    "aiohttp.request", "webbrowser.open",
})
#: Modules whose top-level request functions all go to the network.
NETWORK_CLIENTS = ("requests", "httpx")
NETWORK_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                           "request", "stream", "Session", "Client", "AsyncClient"})
EXEC_CALLS = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval",
                        "builtins.compile"})
DECODE_CALLS = frozenset({
    "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.b85decode",
    "base64.a85decode", "base64.decodebytes", "base64.decodestring",
    "base64.urlsafe_b64decode", "base64.standard_b64decode", "zlib.decompress",
    "bz2.decompress", "lzma.decompress", "gzip.decompress", "marshal.loads", "bytes.fromhex",
    "codecs.decode", "binascii.unhexlify", "binascii.a2b_hex", "binascii.a2b_base64",
    "binascii.a2b_uu", "bytearray.fromhex",
})
DECODE_SUFFIXES = ("b64decode", "b32decode", "b85decode", "a85decode", "decompress",
                   "fromhex", "unhexlify")
STARTUP_NAMES = ("sitecustomize", "usercustomize", ".bashrc", ".bash_profile", ".bash_login",
                 ".profile", ".zshrc", ".zprofile", ".zshenv", ".cshrc", ".tcshrc", ".kshrc",
                 "config.fish")
WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch", "symlink_to"})
WRITE_CALLS = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move",
                         "shutil.copytree", "os.rename", "os.replace", "os.symlink", "os.link"})
OUTSIDE_MARKERS = ("os.path.expanduser", "pathlib.Path.home", "Path.home", "os.getenv",
                   "os.environ", "site.getsitepackages", "site.getusersitepackages",
                   "sys.prefix", "sys.exec_prefix", "sys.base_prefix", "sysconfig.get_path",
                   "sysconfig.get_paths", "os.path.expandvars", "tempfile.gettempdir")
NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".exe")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u180e\ufeff]")
#: Bytes a file must contain before its AST is worth building for the generic rules.
_AST_TRIGGER = re.compile(rb"\b(?:exec|eval)\s*\(|" + b"|".join(
    re.escape(n.encode()) for n in STARTUP_NAMES))


def finding(rule_id: str, path: str, line: int | None, message: str, *,
            severity: str | None = None, confidence: str | None = None) -> Finding:
    """A finding of the red-flag (or trust) rule ``rule_id``, with its registered CWE and,
    unless given, its registered severity."""
    rule = RULES[rule_id]
    return Finding(rule_id=rule_id, source="trust" if rule_id.startswith("PSB-TRUST-") else "redflag",
                   path=path, line=line, severity=severity or rule.severity,
                   confidence=confidence or ("high" if line else "medium"), cwe=rule.cwe,
                   message=message)


_finding = finding


# --------------------------------------------------------------------------- name resolution


class _Names:
    """What local names stand for, from the file's imports (``import x as y``, ``from a import b``)."""

    def __init__(self, nodes: Iterable[ast.AST]) -> None:
        self.alias: dict[str, str] = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.alias[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.alias.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.alias[a.asname or a.name] = f"{node.module}.{a.name}"

    def qualified(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to (``sp.run`` -> ``subprocess.run``)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(self.alias.get(node.id, node.id))
        elif isinstance(node, ast.Call):
            inner = self.qualified(node.func)
            if inner is None:
                return None
            parts.append(inner)
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes | str):
            parts.append(type(node.value).__name__)  # b"..".decode, "..".join
        else:
            return None
        return ".".join(reversed(parts))


def _is_process(name: str) -> bool:
    return name in PROCESS_CALLS


def _is_network(name: str) -> bool:
    if name in NETWORK_CALLS:
        return True
    module, _, verb = name.rpartition(".")
    return module in NETWORK_CLIENTS and verb in NETWORK_VERBS


def _is_decode(name: str) -> bool:
    return name in DECODE_CALLS or name.endswith(DECODE_SUFFIXES) or name.endswith(
        ".decode") and name.startswith(("bytes.", "codecs."))


def _decoded_names(nodes: list[ast.AST], names: _Names) -> set[str]:
    """Variables assigned (anywhere in the file) from an expression that decodes data."""
    tainted: set[str] = set()
    for _ in range(2):  # one step of propagation: a = b64decode(x); b = zlib.decompress(a)
        for node in nodes:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                if _contains_decode(node.value, names, tainted):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name):
                                tainted.add(n.id)
    return tainted


def _contains_decode(expr: ast.AST, names: _Names, tainted: set[str]) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
        if isinstance(sub, ast.Call):
            q = names.qualified(sub.func)
            if q and _is_decode(q):
                return True
    return False


def _mentions(expr: ast.AST, names: _Names, needles: Iterable[str], *,
              dotted: bool = True) -> str | None:
    """A string constant (or, if ``dotted``, a dotted name) in ``expr`` containing a needle."""
    needles = tuple(needles)
    for sub in ast.walk(expr):
        text = None
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            text = sub.value
        elif dotted and isinstance(sub, ast.Attribute | ast.Name):
            text = names.qualified(sub)
        if text and any(n in text for n in needles):
            return text
    return None


def _write_targets(call: ast.Call, names: _Names) -> list[ast.AST]:
    """The path expressions a call writes to, if it is a write (open(.., 'w'), write_text...)."""
    q = names.qualified(call.func) or ""
    func = call.func
    if q in ("open", "io.open", "builtins.open", "codecs.open") and call.args:
        mode = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(
                c in mode.value for c in "wax+"):
            return [call.args[0]]
        return []
    if isinstance(func, ast.Attribute) and func.attr == "open" and call.args:
        mode = call.args[0]
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(
                c in mode.value for c in "wax+"):
            return [func.value]
        return []
    if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS:
        return [func.value]
    if q in WRITE_CALLS and len(call.args) > 1:
        return [call.args[1]]
    return []


def _resolve(expr: ast.AST, assigned: dict[str, ast.AST]) -> list[ast.AST]:
    """``expr`` plus what its names were assigned (one level), to follow ``p = ...; open(p)``."""
    out = [expr]
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Name) and sub.id in assigned:
            out.append(assigned[sub.id])
    return out


def _assignments(nodes: list[ast.AST]) -> dict[str, ast.AST]:
    found: dict[str, ast.AST] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
        elif isinstance(node, ast.With):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    found[item.optional_vars.id] = item.context_expr
    return found


def _import_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Statements that run when the module is imported: everything outside function bodies
    (class bodies and ``if``/``try``/``with`` blocks at module level included)."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            # Decorators and default values do run at import time.
            stack.extend(node.decorator_list if not isinstance(node, ast.Lambda) else [])
            stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d)
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


# --------------------------------------------------------------------------- the rules


def _python_rules(path: str, tree: ast.Module, install_time: bool) -> list[Finding]:
    nodes = list(ast.walk(tree))
    names = _Names(n for n in nodes if isinstance(n, ast.Import | ast.ImportFrom))
    found: list[Finding] = []
    base = path.rsplit("/", 1)[-1]
    is_setup = install_time
    when = f"{path} runs at install time and"
    statements = [n for n in nodes if isinstance(n, ast.Assign | ast.AnnAssign | ast.With)]
    assigned = _assignments(statements)
    decoded = _decoded_names(statements, names)
    for call in (n for n in nodes if isinstance(n, ast.Call)):
        q = names.qualified(call.func) or ""
        line = call.lineno
        if q in EXEC_CALLS and call.args:
            if _contains_decode(call.args[0], names, decoded):
                found.append(_finding("PSB-RF-EXEC-DECODED", path, line,
                                      f"{q}() of data decoded on the fly: the code that runs is "
                                      "hidden from review."))
            elif is_setup:
                found.append(_finding("PSB-RF-SETUP-EXEC", path, line, f"{when} calls {q}()."))
        if is_setup and _is_process(q):
            found.append(_finding("PSB-RF-SETUP-PROCESS", path, line, f"{when} calls {q}()."))
        if is_setup and _is_network(q):
            found.append(_finding("PSB-RF-SETUP-NETWORK", path, line, f"{when} calls {q}()."))
        for dest in _write_targets(call, names):
            exprs = _resolve(dest, assigned)
            startup = next(filter(None, (_mentions(e, names, STARTUP_NAMES, dotted=False)
                                  for e in exprs)), None)
            if startup:
                found.append(_finding("PSB-RF-STARTUP-WRITE", path, line,
                                      f"writes to a start-up file ({startup!r}): code that runs "
                                      "at every interpreter or shell start."))
            elif is_setup and _writes_outside(exprs, names):
                found.append(_finding("PSB-RF-SETUP-WRITE", path, line,
                                      f"{when} writes outside the build directory."))
    if base == "__init__.py":
        for call in _import_time_nodes(tree):
            q = names.qualified(call.func) or ""  # type: ignore[attr-defined]
            if _is_process(q):
                found.append(_finding("PSB-RF-IMPORT-PROCESS", path, call.lineno,
                                      f"{q}() runs when the package is imported."))
            elif _is_network(q):
                found.append(_finding("PSB-RF-IMPORT-NETWORK", path, call.lineno,
                                      f"{q}() runs when the package is imported."))
    return found


def _writes_outside(exprs: list[ast.AST], names: _Names) -> bool:
    for e in exprs:
        if _mentions(e, names, OUTSIDE_MARKERS):
            return True
        for sub in ast.walk(e):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and (
                    sub.value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", sub.value)):
                return True
    return False


def needs_ast(path: str, data: bytes, install_time: bool = False) -> bool:
    """Whether the AST rules could fire on this Python file (a cheap test on the bytes)."""
    base = path.rsplit("/", 1)[-1]
    return install_time or base == "__init__.py" or _AST_TRIGGER.search(data) is not None


def scan_python(path: str, data: bytes, tree: ast.Module | None = None, *,
                install_time: bool = False) -> list[Finding]:
    """Red flags in one Python file: the AST rules (when ``tree`` is given or can be built)
    and the text rules. A file that does not parse gets only the text rules.
    ``install_time`` says the file runs when the package is built or installed."""
    found = text_rules(path, data)
    if tree is None and needs_ast(path, data, install_time):
        try:
            tree = ast.parse(data, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
    if tree is not None:
        found += _python_rules(path, tree, install_time)
    return found


def _invisible_hits(line: str) -> Iterator[str]:
    """Invisible characters on a line, leaving out the legitimate joiners: a zero-width
    (non-)joiner between two non-ASCII characters belongs to an emoji sequence or a script
    that needs it (Persian, Indic)."""
    for m in INVISIBLE.finditer(line):
        char, at = m.group(), m.start()
        if char in "\u200c\u200d":
            before = line[at - 1] if at else " "
            after = line[at + 1] if at + 1 < len(line) else " "
            if not before.isascii() and not after.isascii():
                continue
        yield char


def text_rules(path: str, data: bytes) -> list[Finding]:
    """Trojan Source: bidirectional controls and invisible characters.

    One finding per rule and file, at the first line, counting the lines affected.
    """
    if not (b"\xe2\x80" in data or b"\xe2\x81" in data or b"\xef\xbb\xbf" in data
            or b"\xe1\xa0\x8e" in data):
        return []  # every character we look for has one of these UTF-8 lead sequences
    text = data.decode("utf-8", errors="replace")
    bidi: list[tuple[int, str]] = []
    invisible: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        hit = BIDI.search(line)
        if hit:
            bidi.append((number, hit.group()))
        probe = line[1:] if number == 1 and line.startswith("\ufeff") else line
        char = next(_invisible_hits(probe), None)
        if char:
            invisible.append((number, char))
    found = []
    for rule, hits, what in (
        ("PSB-RF-TROJAN-SOURCE", bidi, "bidirectional control"
         " {chars}: the code shown can differ from the code that runs (Trojan Source)"),
        ("PSB-RF-INVISIBLE-CHAR", invisible, "invisible character {chars} in source"),
    ):
        if hits:
            chars = ", ".join(sorted({f"U+{ord(c):04X}" for _, c in hits}))
            lines = ", ".join(str(n) for n, _ in hits[:5]) + (", ..." if len(hits) > 5 else "")
            found.append(_finding(rule, path, hits[0][0],
                                  what.format(chars=chars) + f" (line {lines})."))
    return found


ELF, PE, MACHO = b"\x7fELF", b"MZ", (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",
                                         b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")


def native_kind(path: str, data: bytes) -> str | None:
    """What kind of native binary the file is (by magic number or suffix), or None."""
    if data.startswith(ELF):
        return "ELF"
    if data.startswith(PE) and len(data) > 0x40:
        offset = int.from_bytes(data[0x3C:0x40], "little")
        if data[offset:offset + 4] == b"PE\x00\x00":
            return "PE"
    if data.startswith(MACHO) or (data.startswith(b"\xca\xfe\xba\xbe") and not path.endswith(
            ".class")):
        return "Mach-O"
    if path.lower().endswith(NATIVE_SUFFIXES):
        return f"{path.rsplit('.', 1)[-1]} file"
    return None


def scan_other(file: SourceFile) -> list[Finding]:
    """Red flags in a file that is not Python source: .pth, binaries, start-up modules."""
    path, data = file.path, file.data
    found: list[Finding] = []
    if path.endswith(".pth"):
        # Python 3.13 and later read a .pth file as UTF-8 with or without a byte-order mark
        # (utf-8-sig), so a BOM in front of "import" no longer stops the line from running.
        text = data.decode("utf-8-sig", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith(("import ", "import\t")):
                found.append(_finding("PSB-RF-PTH-EXEC", path, number,
                                      "this .pth line is executed by site at every interpreter "
                                      "start (legitimate for editable installs and a few "
                                      "tools; review it)."))
        found += text_rules(path, data)
    kind = native_kind(path, data)
    if kind:
        found.append(_finding("PSB-RF-NATIVE-BINARY", path, None,
                              f"bundled native binary ({kind}): its behaviour cannot be "
                              "reviewed from source."))
    return found


def scan_layout(files: Iterable[SourceFile]) -> list[Finding]:
    """Red flags about which files the target ships (start-up modules at the top level)."""
    found = []
    for f in files:
        if f.path in ("sitecustomize.py", "usercustomize.py", "src/sitecustomize.py",
                      "src/usercustomize.py"):
            found.append(_finding("PSB-RF-STARTUP-FILE", f.path, None,
                                  f"{f.path.rsplit('/', 1)[-1]} installed into site-packages "
                                  "runs at every interpreter start."))
    return found
