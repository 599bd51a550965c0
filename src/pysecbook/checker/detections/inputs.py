"""Detections of the input handling family (PSB6xx), for risks Bandit has no rule for.

Lenient base64, the int/str digit limit switched off, ``../`` deleted from a name, and a
caller's template filled with ``str.format``. Book pages: ``book/practices/input-validation``,
``book/practices/code-injection``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import constant, keyword

LENIENT_BASE64 = Detection(
    id="PSB601",
    title="base64 decoded without validate=True",
    cwe=1289,
    severity="LOW",
    confidence="HIGH",
    fix="Pass validate=True (binascii.Error on any character outside the alphabet).",
    flags=(
        "import base64\nraw = base64.b64decode(token)\n",
        "import base64\nraw = base64.b64decode(token, validate=False)\n",
        "from base64 import b64decode\nraw = b64decode(token, b'-_')\n",
    ),
    passes=(
        "import base64\nraw = base64.b64decode(token, validate=True)\n",
        "import base64\nraw = base64.b64decode(token, b'-_', True)\n",
        "import base64\ntext = base64.b64encode(raw)\n",
    ),
)


@LENIENT_BASE64.checks("Call")
def pysecbook_lenient_base64(context):  # type: ignore[no-untyped-def]
    """``b64decode(text)`` drops every character outside the alphabet before decoding."""
    if context.call_function_name_qual != "base64.b64decode":
        return None
    call = context.node
    validate = keyword(call, "validate")
    if validate is None and len(call.args) >= 3:
        validate = call.args[2]
    if validate is not None and constant(validate) is not False:
        return None
    return LENIENT_BASE64.issue(
        "b64decode() without validate=True silently discards characters outside the base64 "
        "alphabet: different texts decode to the same bytes.")


DIGIT_LIMIT_OFF = Detection(
    id="PSB602",
    title="The int/str conversion digit limit switched off",
    cwe=400,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Keep the limit (4300 digits by default); check the length of input before int().",
    flags=(
        "import sys\nsys.set_int_max_str_digits(0)\n",
        "import sys\nsys.set_int_max_str_digits(maxdigits=0)\n",
    ),
    passes=(
        "import sys\nsys.set_int_max_str_digits(10_000)\n",
        "import sys\nlimit = sys.get_int_max_str_digits()\n",
    ),
)


@DIGIT_LIMIT_OFF.checks("Call")
def pysecbook_digit_limit_off(context):  # type: ignore[no-untyped-def]
    """``sys.set_int_max_str_digits(0)`` brings back quadratic-time int(str) on any input."""
    if context.call_function_name_qual != "sys.set_int_max_str_digits":
        return None
    call = context.node
    value = call.args[0] if call.args else keyword(call, "maxdigits")
    if constant(value) != 0:
        return None
    return DIGIT_LIMIT_OFF.issue(
        "set_int_max_str_digits(0) removes the limit that keeps int(text) and str(number) "
        "from taking seconds on one long number.")


DOT_DOT_DELETED = Detection(
    id="PSB603",
    title="Path traversal 'removed' by deleting ../ from a name",
    cwe=184,
    severity="MEDIUM",
    confidence="HIGH",
    fix="Allowlist the whole name (re.fullmatch), or resolve the path and check that it "
        "stays inside the base directory.",
    flags=(
        'name = name.replace("../", "")\n',
        'name = name.replace("..", "").replace("/", "")\n',
    ),
    passes=(
        'name = name.replace("\\\\", "/")\n',
        'label = text.replace("...", "\\u2026")\n',
    ),
)


@DOT_DOT_DELETED.checks("Call")
def pysecbook_dot_dot_deleted(context):  # type: ignore[no-untyped-def]
    """``name.replace("../", "")`` turns ``....//`` into ``../``: a denylist, applied once."""
    call = context.node
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "replace"
            and len(call.args) >= 2):
        return None
    old, new = constant(call.args[0]), constant(call.args[1])
    if not (isinstance(old, str) and old.strip("./\\") == "" and ".." in old and old != "..."
            and new == ""):
        return None
    return DOT_DOT_DELETED.issue(
        f"deleting {old!r} from a name is applied once: what is left can spell {old!r} again.")


CALLER_TEMPLATE = Detection(
    id="PSB604",
    title="str.format() on a template the caller supplies",
    cwe=134,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Fill user-written templates with string.Template(...).safe_substitute(), which "
        "reads no attributes.",
    flags=(
        "def render(template, customer):\n    return template.format(customer=customer)\n",
        "def render(fmt, **values):\n    return fmt.format_map(values)\n",
    ),
    passes=(
        'def greet(customer):\n    return "Dear {}".format(customer.name)\n',
        'GREETING = "Dear {name}"\ndef greet(name):\n    return GREETING.format(name=name)\n',
        "import string\ndef render(template, customer):\n"
        "    return string.Template(template).safe_substitute(name=customer.name)\n",
    ),
)


def _enclosing_function(node: ast.AST) -> ast.AST | None:
    node = getattr(node, "_bandit_parent", None)
    while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node = getattr(node, "_bandit_parent", None)
    return node


@CALLER_TEMPLATE.checks("Call")
def pysecbook_caller_template(context):  # type: ignore[no-untyped-def]
    """``template.format(obj=...)`` lets the template read ``{obj.__init__.__globals__}``."""
    call = context.node
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("format", "format_map")
            and isinstance(call.func.value, ast.Name)):
        return None
    if not (call.args or call.keywords):
        return None
    function = _enclosing_function(call)
    if function is None:
        return None
    args = function.args  # type: ignore[attr-defined]
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    name = call.func.value.id
    if name not in params:
        return None
    return CALLER_TEMPLATE.issue(
        f"{name!r} comes from the caller, and str.{call.func.attr}() lets a template follow "
        "attributes and indexes of the values it is given (secrets in globals included).")
