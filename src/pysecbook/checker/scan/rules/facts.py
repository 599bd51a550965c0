"""What one Python file can do, read from the syntax tree the worker already built.

One pass over the tree (:func:`read_facts`) collects, with their scope (the function or class
they are in, or the module): the calls that matter to some rule, what each local name was
assigned, the functions called from each scope, install-command overrides, string tricks and
links. Everything else the rules want is computed afterwards, only where a rule asks:
:meth:`Facts.labels` says what kind of data an expression carries (decoded, downloaded,
secret, the environment, ...), following local names back to what they were assigned; most
files have no call a rule cares about, so most files cost one walk and nothing more.

Nothing here runs the file: names are resolved from its imports, constants folded by
:func:`pysecbook.checker.scan.rules.names.fold`. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.classify import (
    add_chain,
    is_decode,
    is_main,
    is_network,
    is_reversed,
    secret_variable,
    string_labels,
    trick_of,
)
from pysecbook.checker.scan.rules.names import Names, fold
from pysecbook.checker.scan.rules.setup_commands import (
    PIP_RUNS,
    UNKNOWN,
    argv_untouched,
    command_names,
    maintainer_command,
)

MODULE = "<module>"
#: The body of ``if __name__ == "__main__":`` (runs when the file is run, not imported).
MAIN = "<main>"
#: The name under which a function scope's ``return`` values are kept in ``assigned``.
RETURN = "<return>"
#: Prefix of the scope of a ``setup.py`` branch for a command pip never runs (``publish``).
MAINTAINER = "<setup.py "
EMPTY: frozenset[str] = frozenset()
#: Data labels that mean "code hidden from review".
PAYLOAD = frozenset({"decoded", "obfuscated", "fetched", "image"})
#: Data labels that mean "something the user would not want sent".
SENSITIVE = frozenset({"secret", "env", "envvar", "recon", "collected"})
#: Bases of setuptools/distutils command classes: their methods run at build or install time.
HOOK_BASES = frozenset({"install", "develop", "egg_info", "build_py", "build_ext", "build",
                        "sdist", "bdist_wheel", "bdist_egg", "easy_install", "install_lib",
                        "install_scripts", "install_data", "bdist", "Command", "build_clib"})
#: The last part of every call name some rule looks at (a cheap gate during the walk).
_GATE = frozenset(
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
_WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch", "symlink_to"})
_WRITE_CALLS = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move",
                          "shutil.copytree", "os.rename", "os.replace", "os.symlink", "os.link"})
_OPEN_CALLS = frozenset({"open", "io.open", "builtins.open", "codecs.open"})
#: Longest chain of names followed back to their assignments, and nodes labelled per file.
_DEPTH = 24
_BUDGET = 50_000


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
class Facts:
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
    _budget: int = _BUDGET
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

    # ------------------------------------------------------------------ data labels
    def labels(self, node: ast.AST | None, scope: str, depth: int = 0) -> frozenset[str]:
        """What kind of data ``node`` carries, following local names to their assignments."""
        if node is None or depth > _DEPTH or self._budget <= 0:
            return EMPTY
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = EMPTY  # a name assigned from itself stops here
        self._budget -= 1
        out = self._labels(node, scope, depth + 1)
        self._memo[key] = out
        return out

    def _union(self, nodes: Iterator[ast.AST], scope: str, depth: int) -> frozenset[str]:
        out: frozenset[str] = EMPTY
        for n in nodes:
            got = self.labels(n, scope, depth)
            if got:
                out = out | got
        return out

    def _labels(self, node: ast.AST, scope: str, depth: int) -> frozenset[str]:
        t = type(node)
        if t is ast.Constant:
            return string_labels(node.value) if isinstance(node.value, str) else EMPTY
        if t is ast.Name:
            out: frozenset[str] = EMPTY
            for value in self.values_of(node.id, scope):  # type: ignore[attr-defined]
                out = out | self.labels(value, scope, depth)
            return out
        if t is ast.Attribute:
            q = self.names.qualified(node)
            if q == "os.environ":
                return frozenset({"env"})
            return self.labels(node.value, scope, depth)  # type: ignore[attr-defined]
        if t is ast.Subscript:
            q = self.names.qualified(node.value)  # type: ignore[attr-defined]
            if q == "os.environ":
                key = fold(node.slice, self.names)  # type: ignore[attr-defined]
                return frozenset({"envvar"}) if isinstance(key, str) and secret_variable(key) else EMPTY
            if is_reversed(node):
                inner = self.labels(node.value, scope, depth)  # type: ignore[attr-defined]
                if isinstance(node.value, ast.Constant):  # type: ignore[attr-defined]
                    return inner | {"obfuscated"}
                return inner | {"reversed"}
            return self._union(iter((node.value, node.slice)), scope, depth)  # type: ignore[attr-defined]
        if t is ast.BinOp and type(node.op) is ast.BitXor:  # type: ignore[attr-defined]
            return self._union(ast.iter_child_nodes(node), scope, depth) | {"xor"}
        if t is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            parts = add_chain(node, set())  # type: ignore[arg-type]
            out = self._union(iter(parts), scope, depth)
            chrs = sum(isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "chr"
                       for p in parts)
            return out | {"obfuscated"} if chrs >= 4 else out
        if t is ast.Call:
            return self._call_labels(node, scope, depth)  # type: ignore[arg-type]
        if t in (ast.GeneratorExp, ast.ListComp, ast.SetComp):
            inner = self._union(ast.iter_child_nodes(node), scope, depth)
            return inner | {"obfuscated"} if "xor" in inner else inner
        if t is ast.Lambda:
            return self.labels(node.body, scope, depth)  # type: ignore[attr-defined]
        return self._union(ast.iter_child_nodes(node), scope, depth)

    def _call_labels(self, node: ast.Call, scope: str, depth: int) -> frozenset[str]:
        q = self.names.qualified(node.func) or ""
        own: set[str] = set()
        last = q.rsplit(".", 1)[-1]
        if is_decode(q):
            own.add("decoded")
        elif q in C.ENCODE_CALLS or last == "hex":
            own.add("encoded")
        elif is_network(q) or q in ("urllib.request.urlretrieve", "urllib.urlretrieve"):
            own.add("fetched")
        elif q in C.RECON_CALLS:
            own.add("recon")
        elif q in C.SCREEN_CALLS or q in C.CLIPBOARD_GET or C.CLIPBOARD_METHODS.get(last) == "get":
            own.add("collected")
        elif q in C.IMAGE_OPENS:
            own.add("image")
        elif q in _OPEN_CALLS and node.args:
            if self.names_data_file(node.args[0], scope):
                own.add("image")
        elif last in ("read_bytes", "read_text") and isinstance(node.func, ast.Attribute):
            if self.names_data_file(node.func.value, scope):
                own.add("image")
        elif q in ("os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop"):
            key = fold(node.args[0], self.names) if node.args else None
            return frozenset({"envvar"}) if isinstance(key, str) and secret_variable(key) else EMPTY
        elif last == "join" and isinstance(node.func, ast.Attribute) and node.args and trick_of(
                node, self.names):
            own.add("obfuscated")
        elif q in C.DYNAMIC_IMPORTS or q == "getattr":
            if node.args and not isinstance(node.args[-1 if q == "getattr" else 0], ast.Constant):
                name = fold(node.args[1 if q == "getattr" else 0], self.names) if len(
                    node.args) > (1 if q == "getattr" else 0) else None
                if name is not None:
                    own.add("obfuscated")
        func = node.func.value if isinstance(node.func, ast.Attribute) else None
        parts = [*node.args, *(k.value for k in node.keywords)]
        if func is not None:
            parts.append(func)
        elif isinstance(node.func, ast.Lambda):  # (lambda t: ...)(s)
            parts.append(node.func)
        elif isinstance(node.func, ast.Name):
            # a local callable: what a lambda assigned to the name, or a local function's
            # return statements, compute (``unwrap = lambda s: b64decode(s)``)
            parts += [v for v in self.values_of(node.func.id, scope) if isinstance(v, ast.Lambda)]
            for inner in self.functions.get(node.func.id, ()):
                for value in self.assigned.get(inner, {}).get(RETURN, ())[:8]:
                    got = self.labels(value, inner, depth)
                    if got:
                        own |= got
        out = self._union(iter(parts), scope, depth)
        if own:
            out = out | own
        return out

    def values_of(self, name: str, scope: str) -> list[ast.AST]:
        """What ``name`` was assigned in ``scope``, else in the scopes around it."""
        while True:
            got = self.assigned.get(scope, {}).get(name)
            if got is not None:
                return got
            if scope == MODULE:
                return []
            scope = self.parent.get(scope, MODULE)

    def names_data_file(self, node: ast.AST, scope: str) -> bool:
        """Whether a path expression names an image or data file (``logo.png``), through
        constants in it and in what its names were assigned (one step)."""
        todo: list[ast.AST] = [node]
        for value in (v for sub in ast.walk(node) if isinstance(sub, ast.Name)
                      for v in self.values_of(sub.id, scope)[:4]):
            todo.append(value)
        for expr in todo:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and (
                        sub.value.lower().endswith(C.DATA_SUFFIXES)):
                    return True
        return False

    def text(self, node: ast.AST | None, scope: str) -> str | None:
        """The string a constant expression (or a name assigned one) spells, if any."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            for value in self.values_of(node.id, scope):
                got = fold(value, self.names)
                if isinstance(got, str):
                    return got
            return None
        got = fold(node, self.names)
        if isinstance(got, bytes):
            return got.decode("utf-8", "replace")
        return got

    def command(self, call: ast.Call, scope: str) -> str:
        """A process call's command line as far as constants spell it (``?`` for the rest)."""
        if not call.args:
            return ""
        first = call.args[0]
        if isinstance(first, ast.Name):
            values = self.values_of(first.id, scope)
            first = values[0] if values else first
        if isinstance(first, ast.List | ast.Tuple):
            return " ".join(self.text(e, scope) or "?" for e in first.elts[:40])
        return self.text(first, scope) or "?"

    def of(self, *names: str) -> list[Call]:
        return [c for c in self.calls if c.name in names]


# --------------------------------------------------------------------------- the walk


def read_facts(path: str, tree: ast.Module, install_time: bool = False) -> Facts:
    """One walk over ``tree``: the calls, assignments, scopes, links and tricks of the file."""
    names = Names()
    facts = Facts(path, install_time, names)
    facts.parent[MAIN] = MODULE
    if install_time:
        facts.callees[MODULE].add(MAIN)
        facts.functions[MAIN].add(MAIN)
    gated: list[tuple[ast.Call, str]] = []
    guards: list[tuple[str, ast.If]] = []
    commands: list[ast.ClassDef] = []
    assigned = facts.assigned
    callees = facts.callees
    stack: list[tuple[ast.AST, str]] = [(tree, MODULE)]
    pop, push = stack.pop, stack.append
    children = ast.iter_child_nodes
    in_chain: set[int] = set()
    T_CALL, T_NAME, T_ATTR, T_CONST = ast.Call, ast.Name, ast.Attribute, ast.Constant
    T_ASSIGN, T_ANN, T_AUG, T_EXPR = ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr
    T_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
    while stack:
        node, scope = pop()
        t = type(node)
        if t is T_CALL:
            func = node.func  # type: ignore[attr-defined]
            tf = type(func)
            if tf is T_NAME:
                callees[scope].add(func.id)
                if func.id in _GATE:
                    gated.append((node, scope))  # type: ignore[arg-type]
            elif tf is T_ATTR:
                if func.attr in _GATE:
                    gated.append((node, scope))  # type: ignore[arg-type]
                if type(func.value) is T_NAME and func.value.id in ("self", "cls"):
                    callees[scope].add(func.attr)
            elif tf is ast.Lambda:
                facts.tricks.append((node.lineno, "a lambda called where it is defined"))  # type: ignore[attr-defined]
        elif t is T_CONST:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is str:
                if "://" in value:
                    facts.links.append((node.lineno, value, scope))  # type: ignore[attr-defined]
                if len(value) >= 1000:
                    facts.blobs.append((node.lineno, len(value), value))  # type: ignore[attr-defined]
            elif type(value) is bytes and len(value) >= 1000:
                facts.blobs.append((node.lineno, len(value), value.decode("latin-1")))  # type: ignore[attr-defined]
            continue
        elif t is T_EXPR and type(node.value) is T_CONST:  # type: ignore[attr-defined]
            continue  # a docstring or a bare string: never run, never data
        elif t is T_ASSIGN:
            value = node.value  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                if type(target) is T_NAME:
                    assigned[scope].setdefault(target.id, []).append(value)
                elif isinstance(target, ast.Tuple | ast.List):
                    for e in target.elts:
                        if type(e) is T_NAME:
                            assigned[scope].setdefault(e.id, []).append(value)
        elif t is T_ANN or t is T_AUG:
            if type(node.target) is T_NAME and node.value is not None:  # type: ignore[attr-defined]
                assigned[scope].setdefault(node.target.id, []).append(node.value)  # type: ignore[attr-defined]
        elif t in T_FUNCS:
            inner = node.name if scope == MODULE else f"{scope}.{node.name}"  # type: ignore[attr-defined]
            facts.functions[node.name].add(inner)  # type: ignore[attr-defined]
            facts.parent[inner] = scope
            for d in node.decorator_list:  # type: ignore[attr-defined]
                push((d, scope))
            for d in (*node.args.defaults, *node.args.kw_defaults):  # type: ignore[attr-defined]
                if d is not None:
                    push((d, scope))
            for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):  # type: ignore[attr-defined]
                assigned[inner].setdefault(a.arg, [])
            for stmt in reversed(node.body):  # type: ignore[attr-defined]
                push((stmt, inner))
            continue
        elif t is ast.ClassDef:
            inner = node.name if scope == MODULE else f"{scope}.{node.name}"  # type: ignore[attr-defined]
            facts.parent[inner] = scope
            facts.classes.add(inner)
            for base in node.bases:  # type: ignore[attr-defined]
                push((base, scope))
            if install_time:
                bases = {(names.qualified(b) or "").rsplit(".", 1)[-1] for b in node.bases}  # type: ignore[attr-defined]
                if bases & HOOK_BASES:
                    for stmt in node.body:  # type: ignore[attr-defined]
                        if isinstance(stmt, T_FUNCS):
                            facts.hooks.add(f"{inner}.{stmt.name}")
                    if scope == MODULE:
                        commands.append(node)  # type: ignore[arg-type]
            for stmt in reversed(node.body):  # type: ignore[attr-defined]
                push((stmt, inner))
            continue
        elif t is ast.Import or t is ast.ImportFrom:
            names.add(node)  # type: ignore[arg-type]
            continue
        elif t is ast.With or t is ast.AsyncWith:
            for item in node.items:  # type: ignore[attr-defined]
                if type(item.optional_vars) is T_NAME:
                    assigned[scope].setdefault(item.optional_vars.id, []).append(item.context_expr)
        elif t is ast.For or t is ast.comprehension:
            if type(node.target) is T_NAME:  # type: ignore[attr-defined]
                assigned[scope].setdefault(node.target.id, []).append(node.iter)  # type: ignore[attr-defined]
        elif t is ast.Return:
            if node.value is not None:  # type: ignore[attr-defined]
                assigned[scope].setdefault(RETURN, []).append(node.value)  # type: ignore[attr-defined]
        elif t is ast.NamedExpr:
            assigned[scope].setdefault(node.target.id, []).append(node.value)  # type: ignore[attr-defined]
        elif t is ast.Subscript:
            value = node.value  # type: ignore[attr-defined]
            tv = type(value)
            if tv is T_CONST and is_reversed(node):  # type: ignore[arg-type]
                facts.tricks.append((node.lineno, "a string literal reversed with [::-1]"))  # type: ignore[attr-defined]
            elif (tv is T_ATTR and value.attr in ("modules", "__dict__")) or (
                    tv is T_CALL and type(value.func) is T_NAME and value.func.id in ("vars", "globals")):
                facts.lookups.append((node.lineno, node, scope))  # type: ignore[attr-defined]
        elif t is ast.If and is_main(node):  # type: ignore[arg-type]
            for child in children(node):
                push((child, MAIN))
            continue
        elif (t is ast.If and install_time and scope == MODULE
              and (command := maintainer_command(node.test))):  # type: ignore[attr-defined]
            # ``setup.py publish``: pip never runs it, so its branch is not install-time code,
            # unless something in the file could change sys.argv (checked after the walk).
            inner = f"{MAINTAINER}{command}"
            facts.parent.setdefault(inner, scope)
            guards.append((inner, node))  # type: ignore[arg-type]
            push((node.test, scope))  # type: ignore[attr-defined]
            for stmt in reversed(node.orelse):  # type: ignore[attr-defined]
                push((stmt, scope))
            for stmt in reversed(node.body):  # type: ignore[attr-defined]
                push((stmt, inner))
            continue
        elif t is ast.BinOp:
            op = type(node.op)  # type: ignore[attr-defined]
            if op is ast.BitXor:
                left, right = node.left, node.right  # type: ignore[attr-defined]
                if any(isinstance(s, T_CALL) and isinstance(s.func, T_NAME) and s.func.id == "ord"
                       for s in (left, right)):
                    facts.tricks.append((node.lineno, "characters XOR-ed with a key"))  # type: ignore[attr-defined]
            elif op is ast.Add and id(node) not in in_chain:
                parts = add_chain(node, in_chain)  # type: ignore[arg-type]
                chrs = sum(isinstance(p, T_CALL) and isinstance(p.func, T_NAME) and p.func.id == "chr"
                           for p in parts)
                if chrs >= 4:
                    facts.tricks.append((node.lineno, "chr() codes added together"))  # type: ignore[attr-defined]
        elif t is ast.Lambda:
            depth = 0
            body = node.body  # type: ignore[attr-defined]
            while isinstance(body, ast.Lambda) and depth < 8:
                depth += 1
                body = body.body
            if depth >= 2:
                facts.tricks.append((node.lineno, "lambdas nested in lambdas"))  # type: ignore[attr-defined]
        for child in children(node):
            push((child, scope))
    for inner, guard in guards:
        if not argv_untouched(tree, guard):  # the branch may run: it counts as the module
            facts.callees[MODULE].add(inner)
            facts.functions[inner].add(inner)
    for cls in commands:
        run_as = command_names(tree, cls)
        if UNKNOWN not in run_as and not run_as & PIP_RUNS:  # a maintainer's command
            facts.maintainer_classes[cls.name] = sorted(run_as)[0]
            facts.hooks = {h for h in facts.hooks if not h.startswith(f"{cls.name}.")}
    for node, scope in gated:
        q = names.qualified(node.func) or ""
        facts.calls.append(Call(node, q, scope))
    facts.calls.reverse()  # source order, roughly
    facts.tricks.sort()
    return facts
