"""The capabilities of one file, as records the rule families share: processes, network
calls, writes, code execution, file reads. Each is computed once per file from its
:class:`~pysecbook.checker.scan.rules.facts.Facts`. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.classify import is_network, link_kind, secret_kind, shady_kind
from pysecbook.checker.scan.rules.facts import EMPTY, Call, Facts
from pysecbook.checker.scan.rules.names import fold

_OPEN_CALLS = frozenset({"open", "io.open", "builtins.open", "codecs.open"})
_ACCESS = frozenset({"open", "io.open", "builtins.open", "codecs.open", "os.path.expanduser",
                     "glob.glob", "glob.iglob", "os.listdir", "os.walk", "os.scandir",
                     "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
                     "sqlite3.connect", "pathlib.Path", "Path"})
_ACCESS_METHODS = frozenset({"read_text", "read_bytes", "glob", "expanduser", "open"})


@dataclass
class Record:
    """One capability used at one place: the call, its scope and what its data carries."""

    call: Call
    labels: frozenset[str]
    detail: str = ""
    #: For writes: the destination's strings; for network calls: the destination.
    target: str = ""
    #: For writes: labels of what is written.
    content: frozenset[str] = EMPTY
    sends: bool = False

    @property
    def line(self) -> int:
        return self.call.line

    @property
    def scope(self) -> str:
        return self.call.scope


def strings_in(f: Facts, node: ast.AST | None, scope: str, depth: int = 0) -> list[str]:
    """String constants in ``node`` and in what its names were assigned (two levels)."""
    if node is None or depth > 2:
        return []
    out: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.append(sub.value)
        elif isinstance(sub, ast.Name):
            for value in f.values_of(sub.id, scope)[:4]:
                out += strings_in(f, value, scope, depth + 1)
        elif isinstance(sub, ast.Call):
            got = fold(sub, f.names)
            if isinstance(got, str):
                out.append(got)
        if len(out) > 64:
            break
    return out


def _mode(call: ast.Call, position: int) -> str | None:
    mode = call.args[position] if len(call.args) > position else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return mode.value
    return None


class Capabilities:
    """The records of one file, computed on first use."""

    def __init__(self, facts: Facts) -> None:
        self.f = facts
        self._cache: dict[str, list[Record]] = {}

    def _get(self, key: str, build) -> list[Record]:  # type: ignore[no-untyped-def]
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def args_labels(self, call: Call) -> frozenset[str]:
        f = self.f
        out: frozenset[str] = EMPTY
        for a in (*call.node.args, *(k.value for k in call.node.keywords)):
            got = f.labels(a, call.scope)
            if got:
                out = out | got
        return out

    @property
    def processes(self) -> list[Record]:
        def build() -> list[Record]:
            out = []
            for c in self.f.calls:
                if c.name in C.PROCESS_CALLS:
                    out.append(Record(c, self.args_labels(c), self.f.command(c.node, c.scope)))
            return out
        return self._get("processes", build)

    @property
    def network(self) -> list[Record]:
        def build() -> list[Record]:
            out = []
            f = self.f
            for c in f.calls:
                node = c.node
                last = c.name.rsplit(".", 1)[-1]
                if is_network(c.name):
                    verb = last
                    url_node = node.args[0] if node.args else next(
                        (k.value for k in node.keywords if k.arg in ("url", "host")), None)
                    if c.name.endswith(".request") and len(node.args) > 1:
                        url_node = node.args[1]
                        method = f.text(node.args[0], c.scope) or ""
                        verb = method.lower()
                    target = f.text(url_node, c.scope) or ""
                    sends = (verb in C.SEND_VERBS or any(k.arg in C.SEND_KEYWORDS for k in node.keywords)
                             or (c.name.endswith("urlopen") and len(node.args) > 1))
                    inner = node.args[0] if c.name.endswith("urlopen") and node.args else None
                    if isinstance(inner, ast.Name):  # request = Request(url, data=...); urlopen(request)
                        inner = next((v for v in f.values_of(inner.id, c.scope) if isinstance(v, ast.Call)), None)
                    if isinstance(inner, ast.Call):
                        sends = sends or len(inner.args) > 1 or any(k.arg == "data" for k in inner.keywords)
                        target = target or f.text(inner.args[0] if inner.args else None, c.scope) or ""
                    out.append(Record(c, self.args_labels(c), c.name, target, sends=sends))
                elif last in C.SEND_METHODS and isinstance(node.func, ast.Attribute):
                    out.append(Record(c, self.args_labels(c), c.name, "", sends=True))
                elif last == "connect" and node.args and isinstance(node.args[0], ast.Tuple) and len(
                        node.args[0].elts) == 2:
                    host = f.text(node.args[0].elts[0], c.scope) or ""
                    out.append(Record(c, self.args_labels(c), "socket connect", host))
            return out
        return self._get("network", build)

    @property
    def dns(self) -> list[Record]:
        def build() -> list[Record]:
            out = []
            for c in self.f.calls:
                if c.name in C.DNS_CALLS and c.node.args and not isinstance(c.node.args[0], ast.Constant):
                    out.append(Record(c, self.f.labels(c.node.args[0], c.scope), c.name))
            return out
        return self._get("dns", build)

    @property
    def sends(self) -> list[Record]:
        return [r for r in self.network if r.sends]

    @property
    def execs(self) -> list[Record]:
        def build() -> list[Record]:
            out = []
            for c in self.f.calls:
                if (c.name in C.EXEC_CALLS or c.name == "types.FunctionType") and c.node.args:
                    arg = c.node.args[0]
                    labels = self.f.labels(arg, c.scope)
                    if isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Slice) and arg.slice.step is not None:
                        labels = labels | {"obfuscated"}
                    out.append(Record(c, labels, c.name))
            return out
        return self._get("execs", build)

    @property
    def writes(self) -> list[Record]:
        """File writes: ``open(.., 'w'/'a'/'x'/'+')`` (with what is written through the
        handle), ``write_text``/``write_bytes``, copies and moves."""
        def build() -> list[Record]:
            f = self.f
            out = []
            for c in f.calls:
                node, func = c.node, c.node.func
                dest: ast.AST | None = None
                content: list[ast.AST] = []
                if c.name in _OPEN_CALLS and node.args:
                    mode = _mode(node, 1)
                    if mode and any(ch in mode for ch in "wax+"):
                        dest = node.args[0]
                elif isinstance(func, ast.Attribute) and func.attr == "open" and node.args and not c.name.startswith(
                        ("os.", "io.", "codecs.", "webbrowser.", "tarfile.", "zipfile.", "gzip.")):
                    mode = _mode(node, 0)
                    if mode and any(ch in mode for ch in "wax+"):
                        dest = func.value
                elif isinstance(func, ast.Attribute) and func.attr in ("write_text", "write_bytes", "touch", "symlink_to"):
                    dest = func.value
                    content = list(node.args[:1])
                elif c.name in ("shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move",
                                "shutil.copytree", "os.rename", "os.replace", "os.symlink",
                                "os.link") and len(node.args) > 1:
                    dest = node.args[1]
                    content = [node.args[0]]
                if dest is None:
                    continue
                strings = strings_in(f, dest, c.scope)
                content_labels: frozenset[str] = EMPTY
                for n in content:
                    content_labels = content_labels | f.labels(n, c.scope)
                rec = Record(c, f.labels(dest, c.scope), "", " ".join(strings), content_labels)
                out.append(rec)
            # what is written through a handle: ``with open(p, 'w') as fh: fh.write(x)``
            by_node = {id(r.call.node): r for r in out}
            for c in f.calls:
                func = c.node.func
                if isinstance(func, ast.Attribute) and func.attr in ("write", "writelines") and isinstance(
                        func.value, ast.Name) and c.node.args:
                    for value in f.values_of(func.value.id, c.scope):
                        rec = by_node.get(id(value))
                        if rec is not None:
                            rec.content = rec.content | f.labels(c.node.args[0], c.scope)
            return out
        return self._get("writes", build)

    @property
    def secret_reads(self) -> list[Record]:
        """File-system access whose path names a secret store."""
        def build() -> list[Record]:
            f = self.f
            out = []
            for c in f.calls:
                last = c.name.rsplit(".", 1)[-1]
                if c.name in _ACCESS or (last in _ACCESS_METHODS and isinstance(c.node.func, ast.Attribute)):
                    nodes = [*c.node.args, *(k.value for k in c.node.keywords)]
                    if isinstance(c.node.func, ast.Attribute):
                        nodes.append(c.node.func.value)
                    for n in nodes:
                        kinds = {k for s in strings_in(f, n, c.scope) if (k := secret_kind(s))}
                        if kinds:
                            out.append(Record(c, frozenset({"secret"}), ", ".join(sorted(kinds))))
                            break
            return out
        return self._get("secret_reads", build)

    def shady(self, record: Record) -> str | None:
        """Why a network record's destination is shady, if it is."""
        if record.target:
            why = shady_kind(record.target)
            if why:
                return f"{why} ({record.target[:80]})"
        if "shady" in record.labels:
            for line, url, scope in self.f.links:
                why = link_kind(url)
                if why:
                    return f"{why} ({url[:80]})"
        return None


#: What each data label means, in a message.
_WHAT = {"secret": "secrets", "env": "the whole environment", "envvar": "credentials from "  # nosec B105 - wording, not a password
         "environment variables", "recon": "host and user names", "collected": "captured "
         "screen, clipboard or keystrokes"}


def what_is(labels: frozenset[str]) -> str:
    """The data labels a message names, in words (``secrets, host and user names``)."""
    return ", ".join(_WHAT[k] for k in sorted(labels) if k in _WHAT)


def where_to(caps: Capabilities, record: Record) -> str:
    """Where a network record sends, in words."""
    shady = caps.shady(record)
    if shady:
        return shady
    if record.target:
        return record.target[:80]
    return "a destination computed at run time"


def _refs(f: Facts, nodes: list[ast.AST], scope: str) -> set[str]:
    """The local names and string constants a group of expressions mentions, with the names
    those were assigned from (one step): enough to tell that two calls name the same file."""
    out: set[str] = set()
    todo = list(nodes)
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                todo += f.values_of(sub.id, scope)[:4]
    for node in todo:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id not in ("self", "cls", "os", "sys", "path"):
                out.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) > 2:
                out.add(sub.value)
    return out


def same_file(f: Facts, written: Record, used: Call) -> bool:
    """Whether ``used`` (a run, a load) acts on the file ``written`` wrote: both in one scope,
    and the call's arguments name what the write's destination named."""
    if written.scope != used.scope:
        return False
    node = written.call.node
    dest: list[ast.AST] = []
    if isinstance(node.func, ast.Attribute) and written.call.name not in ("shutil.copy", "shutil.move"):
        dest.append(node.func.value)
    dest += node.args[:2]
    return bool(_refs(f, dest, written.scope) & _refs(f, list(used.node.args), used.scope))
