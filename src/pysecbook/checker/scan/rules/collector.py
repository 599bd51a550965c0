"""The one walk over a Python file's syntax tree that gathers what the red-flag rules read.

:func:`read_facts` walks the tree the worker already built, once, and records with their scope
(the function or class they are in, or the module): the calls that matter to some rule, what
each local name was assigned, the functions called from each scope, install-command
overrides, string tricks and links, into a :class:`~pysecbook.checker.scan.rules.facts.Facts`.
Nothing here runs the file. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.scan.rules.classify import add_chain, is_main, is_reversed
from pysecbook.checker.scan.rules.dataflow import MODULE, RETURN
from pysecbook.checker.scan.rules.facts import (
    GATE,
    HOOK_BASES,
    MAIN,
    MAINTAINER,
    Call,
    Facts,
)
from pysecbook.checker.scan.rules.names import Names
from pysecbook.checker.scan.rules.setup_commands import (
    PIP_RUNS,
    UNKNOWN,
    argv_untouched,
    command_names,
    maintainer_command,
)

__all__ = ["read_facts"]



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
                if func.id in GATE:
                    gated.append((node, scope))  # type: ignore[arg-type]
            elif tf is T_ATTR:
                if func.attr in GATE:
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
