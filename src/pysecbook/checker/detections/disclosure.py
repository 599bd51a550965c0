"""Detections of the disclosure and supply chain family (PSB8xx).

Tracebacks that capture local variables, and pip told to search a second index.
Book pages: ``book/security-model/debug-mode``, ``book/culture/supply-chain``.
"""

from __future__ import annotations

import re

from pysecbook.checker.detections import Detection
from pysecbook.checker.detections._nodes import constant, keyword

LOCALS_IN_TRACEBACK = Detection(
    id="PSB801",
    title="A traceback that captures local variables",
    cwe=209,
    severity="MEDIUM",
    confidence="MEDIUM",
    fix="Log the traceback server-side without locals; send the client an incident id.",
    flags=(
        "import traceback\nreport = traceback.TracebackException.from_exception(\n"
        "    exc, capture_locals=True)\n",
        "import traceback\nstack = traceback.StackSummary.extract(frames, capture_locals=True)\n",
    ),
    passes=(
        "import traceback\nreport = traceback.TracebackException.from_exception(exc)\n",
        "import traceback\ntext = traceback.format_exc()\n",
    ),
)


@LOCALS_IN_TRACEBACK.checks("Call")
def pysecbook_locals_in_traceback(context):  # type: ignore[no-untyped-def]
    """``capture_locals=True`` writes the repr of every local, passwords and keys included."""
    value = keyword(context.node, "capture_locals")
    if value is None or constant(value) in (False, None):
        return None
    return LOCALS_IN_TRACEBACK.issue(
        "capture_locals=True puts the repr() of every local variable of every frame into "
        "the report: credentials, tokens and personal data with them.")


#: The pip option the rule looks for (this file is where the project spells it out on purpose).
EXTRA_INDEX_OPTION = "--extra-index-url"  # nosec PSB802 - the rule's own pattern
#: The environment variable pip reads the same option from.
EXTRA_INDEX_VARIABLE = "PIP_EXTRA_INDEX_URL"  # nosec PSB802 - the rule's own pattern

EXTRA_INDEX = Detection(
    id="PSB802",
    title="pip told to search a second package index",
    cwe=427,
    severity="LOW",
    confidence="MEDIUM",
    fix="Give pip one index (--index-url) that serves your internal names and mirrors the "
        "rest, or pin every requirement with --require-hashes.",
    flags=(
        'options = ["--index-url", internal, "--extra-index-url", public]\n',  # nosec PSB802 - a sample the rule must flag
        'command = f"pip install --extra-index-url={mirror} acme-utils"\n',  # nosec PSB802 - a sample the rule must flag
        'import os\nos.environ["PIP_EXTRA_INDEX_URL"] = mirror\n',  # nosec PSB802 - a sample the rule must flag
    ),
    passes=(
        'options = ["--index-url", internal]\n',
        'option = "extra-index-url"\n',
        'title = "Dependency confusion through --extra-index-url"\n',
    ),
)


def _names_extra_index(text: str) -> bool:
    """Is ``text`` the option itself, a pip command line using it, or pip's variable for it?"""
    stripped = text.strip()
    if stripped in (EXTRA_INDEX_OPTION, EXTRA_INDEX_VARIABLE) \
            or stripped.startswith(f"{EXTRA_INDEX_OPTION}="):
        return True
    return EXTRA_INDEX_OPTION in text and re.search(r"\bpip3?\b", text) is not None


@EXTRA_INDEX.checks("Str")
def pysecbook_extra_index(context):  # type: ignore[no-untyped-def]
    """``--extra-index-url``: pip takes the highest version from either index, any name."""
    text = context.string_val
    if not isinstance(text, str) or not _names_extra_index(text):
        return None
    return EXTRA_INDEX.issue(
        f"{EXTRA_INDEX_OPTION} makes pip pick the highest version of a name from either index: "
        "anyone can publish an internal name on the public one (dependency confusion).")
