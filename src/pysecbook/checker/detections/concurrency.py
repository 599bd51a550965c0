"""Detections of the concurrency family (PSB4xx): task handles thrown away.

Book page: ``book/practices/concurrency``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import dotted, qualified

TASK_DISCARDED = Detection(
    id="PSB401",
    title="A submitted task whose future is thrown away",
    cwe=392,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Keep the future or task and collect its result (future.result(), "
        "asyncio.gather, an asyncio.TaskGroup), so its exception reaches someone.",
    flags=(
        "for user in users:\n    pool.submit(revoke_sessions, user)\n",
        "import asyncio\nasync def handle(req):\n    asyncio.create_task(audit(req))\n"
        "    return 'ok'\n",
        "loop.run_in_executor(None, purge, path)\n",
    ),
    passes=(
        "futures = [pool.submit(revoke_sessions, u) for u in users]\n"
        "for f in futures:\n    f.result()\n",
        "import asyncio\nasync def handle(req):\n    async with asyncio.TaskGroup() as tg:\n"
        "        tg.create_task(audit(req))\n    return 'ok'\n",
        "form.submit()\n",
    ),
)


def _in_task_group(call: ast.Call, receiver: str) -> bool:
    """Is ``receiver`` the name an enclosing ``async with TaskGroup() as name`` bound?"""
    node: ast.AST | None = call
    while node is not None:
        if isinstance(node, (ast.AsyncWith, ast.With)):
            for item in node.items:
                if (isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == receiver
                        and isinstance(item.context_expr, ast.Call)
                        and dotted(item.context_expr.func).endswith("TaskGroup")):
                    return True
        node = getattr(node, "_bandit_parent", None)
    return False


@TASK_DISCARDED.checks("Call")
def pysecbook_task_discarded(context):  # type: ignore[no-untyped-def]
    """``pool.submit(f, x)`` as a statement: if ``f`` raises, nobody ever hears of it."""
    call = context.node
    if not isinstance(getattr(call, "_bandit_parent", None), ast.Expr):
        return None
    if not isinstance(call.func, ast.Attribute):
        return None
    method = call.func.attr
    name = qualified(call.func, context.import_aliases)
    if method in ("submit", "run_in_executor") and call.args:
        what = f".{method}() returns a future that holds the task's exception"
    elif name in ("asyncio.create_task", "asyncio.ensure_future") or (
            method == "create_task" and not _in_task_group(call, dotted(call.func.value))):
        what = (f"{name or method}() returns the only strong reference to the task: "
                "it may be collected unfinished, and its exception is only logged, if ever")
    else:
        return None
    return TASK_DISCARDED.issue(f"{what}; here it is thrown away.")
