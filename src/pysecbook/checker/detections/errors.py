"""Detections of the errors and resources family (PSB3xx).

Handlers that fail open, ``return`` in ``finally``, state that an exception leaves behind,
match objects and results used without a check, file descriptors never closed.
Book page: ``book/practices/errors``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import (
    SCOPES,
    constant,
    dotted,
    has_call,
    local_nodes,
    qualified,
    walk_local,
)

BROAD_EXCEPT_ALLOWS = Detection(
    id="PSB301",
    title="A catch-all handler that answers True",
    cwe=636,
    severity="HIGH",
    confidence="MEDIUM",
    fix="Catch only the exceptions you expect, and fail closed: refuse, or re-raise.",
    flags=(
        "def may_read(user, doc):\n    try:\n        return policy.allows(user, doc)\n"
        "    except Exception:\n        return True\n",
        "def is_valid(token):\n    try:\n        verify(token)\n    except:\n        return True\n"
        "    return True\n",
    ),
    passes=(
        "def may_read(user, doc):\n    try:\n        return policy.allows(user, doc)\n"
        "    except Exception:\n        return False\n",
        "def cache_is_warm():\n    try:\n        return cache.ping()\n"
        "    except ConnectionError:\n        return True\n",
        "def may_read(user, doc):\n    try:\n        return policy.allows(user, doc)\n"
        "    except Exception:\n        log.exception('policy failed')\n        raise\n",
    ),
)

_BROAD = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}


def _is_broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(dotted(t) in _BROAD for t in types)


@BROAD_EXCEPT_ALLOWS.checks("ExceptHandler")
def pysecbook_broad_except_allows(context):  # type: ignore[no-untyped-def]
    """``except Exception: return True``: any failure, a refusal included, becomes a yes."""
    handler = context.node
    if not _is_broad(handler):
        return None
    for node in [*handler.body, *(n for s in handler.body for n in walk_local(s))]:
        if isinstance(node, ast.Return) and constant(node.value) is True:
            return BROAD_EXCEPT_ALLOWS.issue(
                "a handler for every exception returns True: an error raised to refuse "
                "(PermissionError, a failed verification) is turned into acceptance.",
                lineno=node.lineno)
    return None


RETURN_IN_FINALLY = Detection(
    id="PSB302",
    title="return, break or continue in a finally block",
    cwe=584,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Return after the try statement; keep finally for clean-up that lets exceptions pass.",
    flags=(
        "def check(payment):\n    try:\n        verify(payment)\n    finally:\n"
        "        log(payment)\n        return payment\n",
        "for job in jobs:\n    try:\n        run(job)\n    finally:\n        continue\n",
    ),
    passes=(
        "def check(payment):\n    try:\n        verify(payment)\n    finally:\n"
        "        log(payment)\n    return payment\n",
        "try:\n    run()\nfinally:\n    for f in files:\n        if f.closed:\n"
        "            continue\n        f.close()\n",
        "try:\n    run()\nfinally:\n    def report():\n        return 'done'\n",
    ),
)


def _escapes(statements: list[ast.stmt], in_loop: bool = False) -> ast.stmt | None:
    """A ``return`` (or a ``break``/``continue`` not inside a loop of its own) in ``statements``."""
    for statement in statements:
        if isinstance(statement, ast.Return):
            return statement
        if isinstance(statement, (ast.Break, ast.Continue)) and not in_loop:
            return statement
        if isinstance(statement, SCOPES):
            continue
        loop = isinstance(statement, (ast.For, ast.AsyncFor, ast.While))
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                found = _escapes(inner, in_loop or (loop and name == "body"))
                if found is not None:
                    return found
        for handler in getattr(statement, "handlers", ()) or ():
            found = _escapes(handler.body, in_loop)
            if found is not None:
                return found
        for case in getattr(statement, "cases", ()) or ():
            found = _escapes(case.body, in_loop)
            if found is not None:
                return found
    return None


@RETURN_IN_FINALLY.checks("Try", "TryStar")
def pysecbook_return_in_finally(context):  # type: ignore[no-untyped-def]
    """A jump out of ``finally`` discards the exception that was on its way out."""
    escape = _escapes(context.node.finalbody)
    if escape is None:
        return None
    word = type(escape).__name__.lower()
    return RETURN_IN_FINALLY.issue(
        f"{word} in a finally block discards any exception raised in the try block, so the "
        "caller never learns that it failed.", lineno=escape.lineno)


STATE_WITHOUT_FINALLY = Detection(
    id="PSB303",
    title="A flag set and reset around a call, without try/finally",
    cwe=460,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Reset it in a finally block, or use a context manager that does.",
    flags=(
        "def run_as_admin(session, task):\n    session.elevated = True\n    task()\n"
        "    session.elevated = False\n",
        "while queue:\n    busy = True\n    process(queue.pop())\n    busy = False\n",
    ),
    passes=(
        "def run_as_admin(session, task):\n    session.elevated = True\n    try:\n"
        "        task()\n    finally:\n        session.elevated = False\n",
        "def reset(state):\n    state.ready = False\n    state.ready = True\n",
        "def mark(session, task):\n    session.elevated = True\n    task()\n"
        "    session.audited = False\n",
    ),
)


def _flag_assignment(statement: ast.stmt) -> tuple[str, bool] | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    name = dotted(target)
    flag = constant(value)
    return (name, flag) if name and isinstance(flag, bool) else None


@STATE_WITHOUT_FINALLY.checks("FunctionDef", "AsyncFunctionDef", "For", "AsyncFor", "While",
                              "If", "With", "AsyncWith", "Try", "TryStar")
def pysecbook_state_without_finally(context):  # type: ignore[no-untyped-def]
    """``x = True; work(); x = False``: if ``work()`` raises, ``x`` stays True."""
    for statements in _own_lists(context.node):
        pending: dict[str, tuple[bool, ast.stmt, bool]] = {}
        for statement in statements:
            assigned = _flag_assignment(statement)
            if assigned is not None:
                name, flag = assigned
                if name in pending:
                    first, set_at, called = pending[name]
                    if called and flag is not first:
                        return STATE_WITHOUT_FINALLY.issue(
                            f"{name} is set to {first} and set back to {flag} after code that "
                            "may raise; an exception in between leaves it at "
                            f"{first}.", lineno=set_at.lineno)
                pending[name] = (flag, statement, False)
                continue
            if has_call(statement):
                pending = {k: (f, s, True) for k, (f, s, _) in pending.items()}
    return None


def _own_lists(node: ast.AST) -> list[list[ast.stmt]]:
    lists = [getattr(node, name) for name in ("body", "orelse")
             if isinstance(getattr(node, name, None), list)]
    lists += [h.body for h in getattr(node, "handlers", ()) or ()]
    return [s for s in lists if s and isinstance(s[0], ast.stmt)]


MATCH_UNCHECKED = Detection(
    id="PSB304",
    title="A regular-expression match used without checking for None",
    cwe=476,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Test the match first (if m is None: refuse the input), then read its groups.",
    flags=(
        'import re\nuser = re.match(r"user=(\\w+)", header).group(1)\n',
        "version = VERSION.search(text)[1]\n",
    ),
    passes=(
        'import re\nm = re.match(r"user=(\\w+)", header)\nif m is None:\n'
        '    raise ValueError("no user")\nuser = m.group(1)\n',
        'import re\nclean = re.sub(r"\\s+", " ", text).strip()\n',
        "import fnmatch\nok = fnmatch.fnmatch(name, '*.txt')\n",
    ),
)

_MATCH_CALLS = ("match", "search", "fullmatch")
_MATCH_READS = ("group", "groups", "groupdict", "start", "end", "span", "expand")


def _is_match_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MATCH_CALLS)


@MATCH_UNCHECKED.checks("Attribute", "Subscript")
def pysecbook_match_unchecked(context):  # type: ignore[no-untyped-def]
    """``re.match(...).group(1)``: no match is ``None``, and the request crashes."""
    node = context.node
    if isinstance(node, ast.Attribute) and node.attr not in _MATCH_READS:
        return None
    if not _is_match_call(node.value):
        return None
    return MATCH_UNCHECKED.issue(
        f"the result of .{node.value.func.attr}() is None when the text does not match; "
        "reading it directly raises on any input that does not fit.")


RESULT_DISCARDED = Detection(
    id="PSB305",
    title="The result of a check or a string transformation thrown away",
    cwe=252,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Use the value: test it (if not hmac.compare_digest(...): raise) or assign it.",
    flags=(
        "import hmac\nhmac.compare_digest(expected, signature)\napply(order)\n",
        "import html\nhtml.escape(comment)\npage.append(comment)\n",
        'name.replace("/", "_")\nsave(name)\n',
        "username.strip()\n",
    ),
    passes=(
        "import hmac\nif not hmac.compare_digest(expected, signature):\n"
        "    raise PermissionError('bad signature')\n",
        'name = name.replace("/", "_")\n',
        "import os\nos.replace(tmp, target)\n",
        "from pathlib import Path\nPath(tmp).replace(target)\n",
        "names.sort()\n",
    ),
)

#: Functions whose only effect is the value they return.
_PURE_FUNCTIONS = frozenset({
    "hmac.compare_digest", "secrets.compare_digest", "html.escape", "shlex.quote", "re.escape",
    "urllib.parse.quote", "urllib.parse.quote_plus", "unicodedata.normalize",
    "os.path.realpath", "os.path.abspath", "os.path.normpath", "posixpath.normpath",
})
#: str methods that return a new string and leave the old one as it was.
_STR_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "removeprefix", "removesuffix",
    "translate", "expandtabs", "zfill",
})


@RESULT_DISCARDED.checks("Call")
def pysecbook_result_discarded(context):  # type: ignore[no-untyped-def]
    """``hmac.compare_digest(a, b)`` as a statement: the verdict is computed and dropped."""
    call = context.node
    if not isinstance(getattr(call, "_bandit_parent", None), ast.Expr):
        return None
    name = qualified(call.func, context.import_aliases)
    if name in _PURE_FUNCTIONS:
        what = f"{name}() has no effect but the value it returns"
    elif isinstance(call.func, ast.Attribute) and (
            call.func.attr in _STR_METHODS
            or (call.func.attr == "replace" and len(call.args) >= 2 and name != "os.replace")):
        what = f".{call.func.attr}() returns a new string and leaves the old one unchanged"
    else:
        return None
    return RESULT_DISCARDED.issue(f"{what}; here the result is thrown away.")


FD_NEVER_CLOSED = Detection(
    id="PSB306",
    title="A file descriptor from mkstemp() or os.open() that is never closed",
    cwe=775,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Wrap it at once: with os.fdopen(fd, 'w', encoding='utf-8') as f: ... (or os.close "
        "it in a finally block).",
    flags=(
        "import tempfile\ndef save(data):\n    fd, path = tempfile.mkstemp()\n"
        "    with open(path, 'wb') as f:\n        f.write(data)\n    return path\n",
        "import tempfile\ndef scratch():\n    return tempfile.mkstemp()[1]\n",
        "import os\ndef touch(path):\n    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)\n",
    ),
    passes=(
        "import os, tempfile\ndef save(data):\n    fd, path = tempfile.mkstemp()\n"
        "    with os.fdopen(fd, 'wb') as f:\n        f.write(data)\n    return path\n",
        "import os\ndef touch(path):\n    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)\n"
        "    os.close(fd)\n",
        "import os\ndef open_raw(path):\n    fd = os.open(path, os.O_RDONLY)\n    return fd\n",
    ),
)

_FD_SOURCES = frozenset({"tempfile.mkstemp", "os.open"})
_FD_SINKS = frozenset({"os.close", "os.fdopen", "open", "io.open", "os.closerange"})


@FD_NEVER_CLOSED.checks("FunctionDef", "AsyncFunctionDef")
def pysecbook_fd_never_closed(context):  # type: ignore[no-untyped-def]
    """An ``int`` file descriptor is not garbage-collected: forget it and it stays open."""
    function = context.node
    aliases = context.import_aliases
    nodes = local_nodes(function)
    for node in nodes:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call) \
                and qualified(node.value.func, aliases) == "tempfile.mkstemp":
            return FD_NEVER_CLOSED.issue("the descriptor of tempfile.mkstemp() is dropped "
                                         "unclosed.", lineno=node.lineno)
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        source = qualified(node.value.func, aliases)
        if source not in _FD_SOURCES:
            continue
        target = node.targets[0]
        if source == "tempfile.mkstemp" and isinstance(target, ast.Tuple) and target.elts:
            target = target.elts[0]
        if not isinstance(target, ast.Name) or not _released(target.id, nodes, aliases):
            return FD_NEVER_CLOSED.issue(
                f"the descriptor from {source}() is never closed, handed to os.fdopen()/open(), "
                "returned or stored: every call leaks one.", lineno=node.lineno)
    return None


def _released(name: str, nodes: list[ast.AST], aliases: dict[str, str] | None) -> bool:
    for node in nodes:
        if isinstance(node, ast.Call) and qualified(node.func, aliases) in _FD_SINKS:
            if any(isinstance(a, ast.Name) and a.id == name for a in node.args):
                return True
        if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value)):
                return True
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id == name and not isinstance(node.targets[0], ast.Name):
            return True  # stored in an attribute or a container: someone else closes it
    return False
