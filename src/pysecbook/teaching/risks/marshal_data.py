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
import types
from collections.abc import Callable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.pickling import (PAYLOAD_CODE, attack_with, file_writer,
                                               json_lookalikes, stalls_in_child)


def load_rules_insecure(data: bytes) -> object:
    """Load pre-compiled validation rules from a cache file and run them to get ``RULES``."""
    namespace: dict[str, object] = {}
    code = marshal.loads(data)  # nosec B302 - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    exec(code, namespace)  # nosec B102, PSB-RF-EXEC-DECODED - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    return namespace.get("RULES")


def load_rules_secure(data: bytes) -> object:
    """Load validation rules kept as data (JSON), interpreted by code that ships with the app.

    Assumes: the code that applies the rules ships with the application and treats every
    value as data (a number, a pattern it compiles with a time limit, a name it looks up in a
    fixed table), and the caller caps the size of ``data``.
    Does not stop: rules that are wrong or hostile as rules (a limit of zero, a pattern that
    matches everything): they come back as data, and checking what they mean is the
    application's job.
    """
    return json.loads(data)


#: Names the checking first fix refuses to see in a rules code object.
SUSPICIOUS_NAMES = frozenset({"exec", "eval", "compile", "open", "__import__", "getattr", "os",
                              "sys", "subprocess", "pathlib", "shutil", "socket"})


def load_rules_checked_first_try(data: bytes) -> object:
    """A first fix: keep running the cache, but only code that names nothing dangerous.

    Kept to show an adapted attack beating it: ``co_names`` lists the names the outer code
    object uses. A function defined inside keeps its own names in its own code object, one of
    the outer object's constants, which this check never opens.
    """
    code = marshal.loads(data)  # nosec B302 - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    if not isinstance(code, types.CodeType) or SUSPICIOUS_NAMES & set(code.co_names):
        raise ValueError("refused: the rules code names something dangerous")
    namespace: dict[str, object] = {}
    exec(code, namespace)  # nosec B102, PSB-RF-EXEC-DECODED - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    return namespace.get("RULES")


def load_rules_data_first_try(data: bytes) -> object:
    """A first fix: keep marshal for speed, run nothing, and refuse any code object in it.

    Kept to show an adapted attack beating it: marshal keeps shared references, so a few
    hundred bytes describe a structure in which the walk looking for code objects takes
    2**40 steps.
    """
    rules = marshal.loads(data)  # nosec B302 - deliberately insecure: demonstration of PSB-MARSHAL-LOADS
    pending = [rules]
    while pending:
        item = pending.pop()
        if isinstance(item, types.CodeType):
            raise ValueError("refused: the rules contain code")
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
    return rules


def marshal_payload() -> bytes:
    """Mallory's cache file: a code object that defines ``RULES`` and also runs her code."""
    source = f"{PAYLOAD_CODE}\nRULES = {{'max_length': 80}}\n"
    return marshal.dumps(compile(source, "<rules>", "exec"))


def nested_code_payload() -> bytes:
    """Mallory's cache file again, with her code inside a function defined by the rules: the
    outer code object names only ``_setup`` and ``RULES``."""
    body = "\n".join(f"    {line}" for line in PAYLOAD_CODE.split("; "))
    source = f"def _setup():\n{body}\n_setup()\nRULES = {{'max_length': 80}}\n"
    return marshal.dumps(compile(source, "<rules>", "exec"))


#: Levels of sharing in :func:`shared_reference_payload`: the walk visits 2**LEVELS leaves.
SHARED_LEVELS = 40


def shared_reference_payload() -> bytes:
    """Rules whose ``checks`` entry is a pair of the same pair of the same pair..., forty levels
    deep: marshal writes each level once and refers back to it."""
    checks: object = ("max_length",)
    for _ in range(SHARED_LEVELS):
        checks = (checks, checks)
    return marshal.dumps({"max_length": 80, "checks": checks})


def attack_nested_code(func: Callable[..., object]) -> Outcome:
    """Mallory hides her code in a function the cached code defines and calls, where a check
    of the outer code object's names does not look."""
    return attack_with(func, {"marshal, code in a nested function":
                              file_writer("rules.cache", nested_code_payload())})


def attack_shared_references(func: Callable[..., object]) -> Outcome:
    """Mallory sends a few hundred bytes of marshal data whose shared references make any walk
    over the loaded value take 2**40 steps; the loader has two seconds."""
    data = shared_reference_payload()
    stalled, observed = stalls_in_child(func, file_writer("rules.cache", data))
    return Outcome(stalled, f"{len(data)} bytes of rules: {observed}")


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
        adapted=(
            AdaptedAttack("her code inside a function the rules define, past a check of the "
                          "outer code's names", "variant", attack_nested_code,
                          beats=load_rules_checked_first_try),
            AdaptedAttack("a few hundred bytes whose shared references make the check for "
                          "code objects walk 2**40 items", "exhaustion",
                          attack_shared_references, beats=load_rules_data_first_try),
        ),
    )
)
