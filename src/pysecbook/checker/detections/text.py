"""Detections of the text and encodings family (PSB2xx): lossy decoding, implicit encodings.

Book page: ``book/practices/text``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import constant, keyword

DECODE_IGNORE = Detection(
    id="PSB201",
    title="Decoding that silently drops invalid bytes",
    cwe=182,
    severity="MEDIUM",
    confidence="HIGH",
    fix='Decode strictly (the default) and refuse input that is not valid, or use '
        'errors="replace", which leaves a visible U+FFFD.',
    flags=(
        'text = body.decode("utf-8", errors="ignore")\n',
        'text = body.decode("utf-8", "ignore")\n',
        'with open(path, encoding="utf-8", errors="ignore") as f:\n    data = f.read()\n',
        'text = str(body, "utf-8", "ignore")\n',
    ),
    passes=(
        'text = body.decode("utf-8")\n',
        'text = body.decode("utf-8", errors="replace")\n',
        'name = os.fsdecode(raw)\ntext = raw.decode("utf-8", "surrogateescape")\n',
    ),
)

#: The position of the ``errors`` argument, for the calls that take it positionally.
_ERRORS_POSITION = {"decode": 1, "encode": 1, "str": 2, "codecs.decode": 2, "codecs.encode": 2}


@DECODE_IGNORE.checks("Call")
def pysecbook_decode_errors_ignore(context):  # type: ignore[no-untyped-def]
    """``errors="ignore"``: what remains after dropping bytes was never validated."""
    call = context.node
    errors = keyword(call, "errors")
    if errors is None:
        name = context.call_function_name_qual
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("decode", "encode") \
                and name not in ("codecs.decode", "codecs.encode"):
            name = call.func.attr
        position = _ERRORS_POSITION.get(name)
        if position is not None and len(call.args) > position:
            errors = call.args[position]
    if constant(errors) != "ignore":
        return None
    return DECODE_IGNORE.issue(
        'errors="ignore" deletes the bytes it cannot decode, so text checked before '
        "decoding is not the text you get.")


IMPLICIT_ENCODING = Detection(
    id="PSB202",
    title="A text file opened without an explicit encoding",
    cwe=175,
    severity="LOW",
    confidence="HIGH",
    fix='Pass encoding="utf-8" (or the encoding the file is defined to have).',
    flags=(
        "with open(path) as f:\n    names = f.read().splitlines()\n",
        'with open(path, "w") as f:\n    f.write(line)\n',
        "from pathlib import Path\nnames = Path(path).read_text().splitlines()\n",
        "from pathlib import Path\nPath(path).write_text(report)\n",
    ),
    passes=(
        'with open(path, encoding="utf-8") as f:\n    names = f.read().splitlines()\n',
        'with open(path, "rb") as f:\n    data = f.read()\n',
        'from pathlib import Path\nnames = Path(path).read_text("utf-8")\n',
        "from pathlib import Path\ndata = Path(path).read_bytes()\n",
        'import os\nfd = os.open(path, os.O_RDONLY)\n',
    ),
)

#: How each call takes ``encoding`` positionally, and where its mode is (None: text only).
_TEXT_CALLS = {
    "open": (3, 1),
    "io.open": (3, 1),
    "read_text": (0, None),
    "write_text": (1, None),
}


@IMPLICIT_ENCODING.checks("Call")
def pysecbook_implicit_encoding(context):  # type: ignore[no-untyped-def]
    """``open(path)`` in text mode: the encoding is whatever the locale says on that day."""
    call = context.node
    name = context.call_function_name_qual
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("read_text", "write_text"):
        name = call.func.attr
    if name not in _TEXT_CALLS or keyword(call, "encoding") is not None:
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None  # *args or **kwargs may carry it
    encoding_at, mode_at = _TEXT_CALLS[name]
    if len(call.args) > encoding_at:
        return None
    if mode_at is not None:
        mode = keyword(call, "mode")
        if mode is None and len(call.args) > mode_at:
            mode = call.args[mode_at]
        if mode is not None and not (isinstance(constant(mode), str) and "b" not in constant(mode)):
            return None  # binary, or a mode only known at run time
    return IMPLICIT_ENCODING.issue(
        f"{name}() without encoding= uses the locale's encoding, which differs between "
        "machines, services and Python versions.")
