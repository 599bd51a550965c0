"""What one Python file can do: the record the red-flag rules read, and where its code runs.

One pass over the tree (:func:`pysecbook.checker.scan.rules.collector.read_facts`) fills a
:class:`Facts` with their scope (the function or class they are in, or the module): the calls
that matter to some rule, what each local name was assigned, the functions called from each
scope, install-command overrides, string tricks and links. :class:`Facts` answers which scopes
run at import or install time; what kind of data an expression carries (decoded, downloaded,
secret, the environment, ...) is computed only where a rule asks, by
:class:`~pysecbook.checker.scan.rules.dataflow.DataFlow`. Most files have no call a rule
cares about, so most files cost one walk and nothing more.

Nothing here runs the file: names are resolved from its imports, constants folded by
:func:`pysecbook.checker.scan.rules.names.fold`. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field

from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.dataflow import BUDGET, EMPTY, MODULE, RETURN, DataFlow
from pysecbook.checker.scan.rules.names import Names

__all__ = ["EMPTY", "GATE", "HOOK_BASES", "MAIN", "MAINTAINER", "MODULE", "PAYLOAD", "RETURN",
           "SENSITIVE", "WRITE_CALLS", "WRITE_METHODS", "Call", "Facts"]

#: The body of ``if __name__ == "__main__":`` (runs when the file is run, not imported).
MAIN = "<main>"
#: Prefix of the scope of a ``setup.py`` branch for a command pip never runs (``publish``).
MAINTAINER = "<setup.py "
#: Data labels that mean "code hidden from review".
PAYLOAD = frozenset({"decoded", "obfuscated", "fetched", "image"})
#: Data labels that mean "something the user would not want sent".
SENSITIVE = frozenset({"secret", "env", "envvar", "recon", "collected"})
#: Bases of setuptools/distutils command classes: their methods run at build or install time.
HOOK_BASES = frozenset({"install", "develop", "egg_info", "build_py", "build_ext", "build",
                        "sdist", "bdist_wheel", "bdist_egg", "easy_install", "install_lib",
                        "install_scripts", "install_data", "bdist", "Command", "build_clib"})
#: The last part of every call name some rule looks at (a cheap gate during the walk).
GATE = frozenset(
    {n.rsplit(".", 1)[-1] for n in (
        *C.PROCESS_CALLS, *C.NETWORK_CALLS, *C.DNS_CALLS, *C.EXEC_CALLS, *C.DECODE_CALLS,
        *C.ENCODE_CALLS, *C.RECON_CALLS, *C.CLIPBOARD_GET, *C.CLIPBOARD_SET, *C.SCREEN_CALLS,
        *C.KEYLOG_CALLS, *C.NATIVE_LOADS, *C.IMAGE_OPENS, *C.WALK_CALLS, *C.DYNAMIC_IMPORTS,
        *C.REGISTRY_WRITES)}
    | C.NETWORK_VERBS | C.SEND_METHODS | set(C.CLIPBOARD_METHODS) | C.KEYLOG_METHODS
    | C.NATIVE_LOAD_METHODS | set(C.SHELLCODE_STEPS) | set(C.DECODE_SUFFIXES)
    | {"open", "write_text", "write_bytes", "write", "touch", "symlink_to", "copy", "copy2",
       "copyfile", "move", "copytree", "rename", "replace", "symlink", "link", "chmod",
       "connect", "dup2", "join", "chr", "getattr", "setup", "hex", "expanduser", "urlopen",
       "read_text", "read_bytes", "exists", "isfile", "glob", "listdir", "walk", "scandir",
       "fork", "setsid", "Path", "__pyarmor__", "pyarmor_runtime", "__pyarmor_enter__",
       "OpenKey", "FunctionType", "sub", "replace", "makedirs", "match", "fullmatch",
       "search", "findall", "finditer"}
)
WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch", "symlink_to"})
WRITE_CALLS = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move",
                          "shutil.copytree", "os.rename", "os.replace", "os.symlink", "os.link"})


@dataclass
class Call:
    """A call some rule looks at: its node, qualified name and scope."""

    node: ast.Call
    name: str
    scope: str

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass
class Facts(DataFlow):
    """What the walk found in one file."""

    path: str
    install_time: bool
    names: Names
    calls: list[Call] = field(default_factory=list)
    #: scope -> local name -> the expressions assigned to it.
    assigned: dict[str, dict[str, list[ast.AST]]] = field(default_factory=lambda: defaultdict(dict))
    #: scope -> local functions it calls (by name).
    callees: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: function scopes by their last name part.
    functions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: scope -> the scope it is defined in.
    parent: dict[str, str] = field(default_factory=dict)
    #: methods of install-command overrides (install-time files only).
    hooks: set[str] = field(default_factory=set)
    #: command classes registered only under commands pip never runs: class -> command.
    maintainer_classes: dict[str, str] = field(default_factory=dict)
    #: class scopes (their bodies run when the enclosing scope runs).
    classes: set[str] = field(default_factory=set)
    #: (line, url) of every link in a string constant (docstrings left out).
    links: list[tuple[int, str, str]] = field(default_factory=list)
    #: (line, what) of string tricks found anywhere (chr chains, reversed literals, XOR...).
    tricks: list[tuple[int, str]] = field(default_factory=list)
    #: (line, what) of attribute/item access on builtins or sys.modules.
    lookups: list[tuple[int, ast.AST, str]] = field(default_factory=list)
    #: (line, length, text) of long string constants.
    blobs: list[tuple[int, int, str]] = field(default_factory=list)
    _memo: dict[int, frozenset[str]] = field(default_factory=dict)
    _budget: int = BUDGET
    _reached: set[str] | None = None
    _hook_reached: set[str] | None = None

    # ------------------------------------------------------------------ reachability
    def _closure(self, start: set[str]) -> set[str]:
        seen = set(start)
        todo = list(start)
        while todo:
            scope = todo.pop()
            for name in self.callees.get(scope, ()):
                for target in self.functions.get(name, ()):
                    if target not in seen:
                        seen.add(target)
                        todo.append(target)
            for cls in self.classes:
                if self.parent.get(cls) == scope and cls not in seen:
                    seen.add(cls)
                    todo.append(cls)
        return seen

    @property
    def reached(self) -> set[str]:
        """Scopes that run when the module is imported (or the script run): the module, class
        bodies in it, and the local functions they call, transitively."""
        if self._reached is None:
            self._reached = self._closure({MODULE})
        return self._reached

    @property
    def hook_reached(self) -> set[str]:
        """Methods of install-command overrides and the local functions they call."""
        if self._hook_reached is None:
            self._hook_reached = self._closure(self.hooks) if self.hooks else set()
        return self._hook_reached

    def early(self, scope: str) -> bool:
        """Code in ``scope`` runs at import time, or at install time without anyone calling it."""
        return scope in self.reached or scope in self.hook_reached

    def maintainers_only(self, scope: str) -> str | None:
        """The command pip never runs under which alone ``scope`` runs (a ``publish`` branch,
        a method of a ``test`` command class), when nothing else reaches it; else None."""
        if self.early(scope):
            return None
        if scope.startswith(MAINTAINER):
            return scope[len(MAINTAINER):]
        return self.maintainer_classes.get(scope.split(".", 1)[0])

    def where(self, scope: str) -> str:
        if command := self.maintainers_only(scope):
            return f"only under 'setup.py {command}', a command pip never runs"
        if scope in self.hook_reached:
            return "in an install-command override, at install time"
        if scope in self.reached:
            return "at install time" if self.install_time else "at import time"
        return f"in {scope}(), when something calls it"

    def of(self, *names: str) -> list[Call]:
        return [c for c in self.calls if c.name in names]
