"""marshal rebuilds code objects: a marshalled cache is a program.

:mod:`marshal` is the format of ``.pyc`` files. Unlike pickle it calls nothing while
loading, but it happily returns code objects, and its documentation warns that it is not
made to resist erroneous or malicious data. A program that keeps compiled rules or plugins
as marshal data and runs what it loads (as the import system runs a ``.pyc``) runs whatever
code the writer of that data chose. The attack runs in a child interpreter.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks.pickling import PAYLOAD_CODE, attack_with, file_writer, json_lookalikes


def load_rules_insecure(data: bytes) -> object:
    """Load pre-compiled validation rules from a cache file and run them to get ``RULES``."""
    namespace: dict[str, object] = {}
    code = marshal.loads(data)  # nosec B302 - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    exec(code, namespace)  # nosec B102, PSB-RF-EXEC-DECODED - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    return namespace.get("RULES")


def load_rules_secure(data: bytes) -> object:
    """Load validation rules kept as data (JSON), interpreted by code that ships with the app."""
    return json.loads(data)


def marshal_payload() -> bytes:
    """Mallory's cache file: a code object that defines ``RULES`` and also runs her code."""
    source = f"{PAYLOAD_CODE}\nRULES = {{'max_length': 80}}\n"
    return marshal.dumps(compile(source, "<rules>", "exec"))


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory replaces the rules cache in a directory she can write to: with a marshalled
    code object, and with JSON rules that spell a call to her code."""
    builds = {"marshal": file_writer("rules.cache", marshal_payload())}
    builds.update({label: file_writer("rules.json", doc) for label, doc in json_lookalikes().items()})
    return attack_with(func, builds)


RISK = register(
    Risk(
        id="PSB-MARSHAL-LOADS",
        title="Loading marshal data from an untrusted source",
        summary="marshal returns code objects and is not built to resist malicious data; a "
        "marshalled cache that is run is the cache writer's program.",
        cwe=502,
        bandit=("B302",),
        modules=("marshal",),
        page="practices/deserialization",
        insecure=load_rules_insecure,
        secure=load_rules_secure,
        attack=attack,
    )
)
