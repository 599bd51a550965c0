"""``setup.py`` commands pip never runs: a ``publish`` branch, a ``test`` command class.

Old ``setup.py`` files carry maintainer shortcuts, such as requests' ``setup.py publish``,
which builds and uploads a release. pip and the build backends never run those commands, so
such a branch is not install-time code, unless something that runs before its test could
change ``sys.argv``. :func:`maintainer_command` recognises the branch and
:func:`argv_untouched` decides whether it can be trusted; :mod:`.facts` gives a trusted
branch a scope of its own that nothing reaches.

The same holds for a command class registered only under such a name: defusedxml's
``cmdclass={"test": PyTest}``, babel's ``import_cldr``, which downloads the CLDR data for the
maintainers, or the ``bdist_rpm`` command of the distutils that setuptools carries and runs
to build itself. :func:`command_names` says under which names a class can run, and
:data:`PIP_RUNS` which of them pip or a build backend runs. Book page:
``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
import re

__all__ = ["PIP_RUNS", "SETUP_COMMANDS", "argv_untouched", "command_names", "maintainer_command"]

#: ``setup.py`` commands that pip or a build backend runs: a branch for any of them is
#: install-time code. Anything else (``publish``, ``release``, ``tag``) is a maintainer's.
SETUP_COMMANDS = frozenset({
    "install", "develop", "egg_info", "dist_info", "bdist_wheel", "bdist_egg", "build",
    "build_ext", "build_py", "build_clib", "build_scripts", "sdist", "editable_wheel",
    "install_lib", "install_scripts", "install_data", "install_headers", "install_egg_info",
    "clean", "test", "--version", "--name",
})
#: Commands pip or a build backend runs, as a command class's name: the others (``test``
#: among them, which no installer has run) are the maintainers' (``publish``, ``import_cldr``).
PIP_RUNS = SETUP_COMMANDS - {"test", "--version", "--name"}
#: What :func:`command_names` gives for a class used in a way it cannot follow.
UNKNOWN = "?"
#: Modules a ``setup.py`` may import and still have its maintainer-command branches trusted:
#: anything else could change ``sys.argv`` when it is imported.
_GUARD_SAFE_IMPORTS = frozenset({"setuptools", "distutils", "os", "sys", "io", "re", "codecs",
                                 "pathlib", "glob", "shutil", "subprocess", "platform"})


def _argv(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "argv"
            and isinstance(node.value, ast.Name) and node.value.id == "sys")


def maintainer_command(test: ast.AST) -> str | None:
    """The command of ``if sys.argv[-1] == "publish":`` (also ``in ("publish", ...)``, and
    under ``and``), when none of its commands is one pip runs; None otherwise."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return next((c for c in map(maintainer_command, test.values) if c), None)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq | ast.In) and isinstance(test.left, ast.Subscript)
            and _argv(test.left.value)):
        return None
    right = test.comparators[0]
    items = right.elts if isinstance(right, ast.Tuple | ast.List | ast.Set) else [right]
    words = [e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if not words or len(words) != len(items) or any(w in SETUP_COMMANDS for w in words):
        return None
    return words[0]


def _ran_before(before: ast.Module) -> list[ast.AST]:
    """The nodes of ``before`` that may have run: function bodies only when something in it
    calls a function or class it defines (then all of it, to stay on the safe side)."""
    defined = {n.name for n in ast.walk(before)
               if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    shallow: list[ast.AST] = []
    todo: list[ast.AST] = [before]
    while todo:
        node = todo.pop()
        shallow.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo += [*node.decorator_list, *node.args.defaults,
                     *(d for d in node.args.kw_defaults if d is not None)]
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in defined:
                return list(ast.walk(before))
        todo += ast.iter_child_nodes(node)
    return shallow


def argv_untouched(tree: ast.Module, guard: ast.If) -> bool:
    """Nothing that runs before ``guard`` could make its maintainer-command branch run under
    pip. The guard must be a statement of the module itself; the module's statements before
    it (the only code that has run when it is tested) import ``sys`` plainly and otherwise
    only modules that leave ``sys.argv`` alone, read ``sys.argv`` only by subscript or
    ``len()`` (never pass it on, alias it or reach it by reflection), never rebind ``sys``
    and execute nothing from a string."""
    index = next((i for i, stmt in enumerate(tree.body) if stmt is guard), None)
    if index is None:
        return False
    before = ast.Module(body=tree.body[:index], type_ignores=[])
    nodes = _ran_before(before)
    imported = any(isinstance(stmt, ast.Import) and any(a.name == "sys" and not a.asname
                                                          for a in stmt.names)
                   for stmt in before.body)
    safe: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _argv(node.value):
            safe.add(id(node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "len" and len(node.args) == 1 and _argv(node.args[0]):
                safe.add(id(node.args[0]))
            if node.func.id in ("getattr", "setattr", "delattr", "vars", "exec", "eval",
                                "compile", "__import__", "globals", "locals"):
                return False
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr == "argv" and id(node) not in safe:
            return False
        if isinstance(node, ast.Name) and node.id == "sys" and not isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, ast.arg | ast.alias) and "sys" in (getattr(node, "arg", None),
                                                               getattr(node, "asname", None)):
            return False
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0]
                                                 not in _GUARD_SAFE_IMPORTS):
            return False
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] not in _GUARD_SAFE_IMPORTS
                                                for a in node.names):
            return False
    return imported


def command_names(tree: ast.Module, cls: ast.ClassDef) -> set[str]:
    """The commands under which the module-level command class ``cls`` of ``tree`` can run.

    Every use of its name must be a value of a dict literal under a string key (``cmdclass=
    {"test": PyTest}``): the keys are its names. A class never named in its file is
    registered elsewhere under its own name, by the distutils convention (``bdist_rpm``).
    Any other use (passed on, aliased, subclassed, put under a computed key, found by
    reflection, decorated, named by an entry point) gives :data:`UNKNOWN`, and so does a
    name that another command runs (``sub_commands``, ``self.run_command("import_cldr")``).
    """
    if cls.decorator_list:
        return {UNKNOWN}  # a decorator may register it under any name
    keyed: dict[int, str] = {}
    run_elsewhere: set[str] = set()
    uses = 0
    entry_point = re.compile(rf"=\s*[\w.]+\s*:\s*{re.escape(cls.name)}\b")
    for node in ast.walk(tree):
        if _reflective(node):
            return {UNKNOWN}  # the class may be found without its name: globals()["..."]
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if (isinstance(value, ast.Name) and value.id == cls.name
                        and isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    keyed[id(value)] = key.value
        elif isinstance(node, ast.Name) and node.id == cls.name:
            uses += 1
            if id(node) not in keyed and not isinstance(node.ctx, ast.Load):
                return {UNKNOWN}  # rebound: whatever it is now, it is not this class
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if cls.name in node.value and entry_point.search(node.value):
                return {UNKNOWN}  # an entry point ("build_py = setup:Evil") registers it
        elif isinstance(node, ast.Call) and _called(node) in _RUN_ANOTHER:
            run_elsewhere |= _strings(node)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_called(t) == "sub_commands" for t in targets) and node.value is not None:
                run_elsewhere |= _strings(node.value)
    if uses != len(keyed):
        return {UNKNOWN}  # a use that is not a cmdclass entry
    names = set(keyed.values()) if keyed else {cls.name}
    return {UNKNOWN} if names & run_elsewhere else names


#: Calls by which one command runs another by name.
_RUN_ANOTHER = frozenset({"run_command", "get_command_obj", "reinitialize_command",
                          "get_command_class", "get_finalized_command"})
#: Calls that reach a module's classes without naming them.
_REFLECTION = frozenset({"globals", "vars", "locals", "eval", "exec", "__import__", "dir"})


def _called(node: ast.AST) -> str | None:
    """The last name of a call's function, or of a name or attribute."""
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _reflective(node: ast.AST) -> bool:
    """Code that reaches a module's names without spelling them: ``globals()``,
    ``sys.modules``, ``__subclasses__``, or ``getattr`` on anything but ``self``."""
    if isinstance(node, ast.Attribute):
        return node.attr in ("__subclasses__", "modules", "__dict__")
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id == "getattr":
        first = node.args[0] if node.args else None
        return not (isinstance(first, ast.Name) and first.id in ("self", "cls"))
    return node.func.id in _REFLECTION
