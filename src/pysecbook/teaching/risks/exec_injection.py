"""``exec`` of a user's "configuration" runs the user's program, even with builtins removed.

A tool lets users upload settings written as Python assignments. The insecure version runs
them with ``exec`` and believes that passing ``{"__builtins__": {}}`` makes that safe; any
object reaches ``object.__subclasses__()``, and from there a module's real builtins. The
secure version reads a data format, TOML (``tomllib``, in the standard library since 3.11),
which has no way to express a call.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import tomllib

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import call_with_marker


def load_config_insecure(text: str) -> dict[str, object]:
    """Read settings written as Python assignments, with builtins 'removed'."""
    settings: dict[str, object] = {}
    exec(text, {"__builtins__": {}}, settings)  # nosec B102 - deliberately insecure: demonstration of PSB-EXEC-CONFIG
    return settings


def load_config_secure(text: str) -> dict[str, object]:
    """Read settings written in TOML: data only, nothing in it can run."""
    return tomllib.loads(text)


def payload(marker: str) -> str:
    """A 'configuration' that finds the real ``open`` without any builtin and writes ``marker``."""
    return (
        "retries = 3\n"
        "for c in ().__class__.__base__.__subclasses__():\n"
        "    if c.__name__ == 'catch_warnings':\n"
        f"        c()._module.__builtins__['open']({marker!r}, 'w').write('owned')\n"
    )


def toml_payloads(marker: str) -> dict[str, str]:
    """Mallory's best tries in TOML, which has no syntax for a call: a value holding Python
    source (dangerous only to a program that evaluates it later), and a table spelling
    ``exec`` the way object-building formats do."""
    code = f"open({marker!r}, 'w').write('owned')"
    return {
        "TOML value holding Python source": f'retries = 3\nhook = "{code}"\n',
        "TOML table in pickle's reduce spelling": f'[__reduce__]\ncallable = "exec"\nargs = ["{code}"]\n',
    }


def attack(func: object) -> Outcome:
    """Upload each payload as a configuration (in a child interpreter): is a file written?

    The Python "configuration" that escapes the empty ``__builtins__``, then the TOML
    documents of :func:`toml_payloads`."""
    parts = []
    succeeded = False
    makers = {"Python assignments": payload,
              **{label: (lambda m, label=label: toml_payloads(m)[label]) for label in toml_payloads("x")}}
    for label, make in makers.items():
        written, result = call_with_marker(func, make)
        succeeded = succeeded or written
        parts.append(f"{label}: " + ("escaped and wrote the marker file through the real open()"
                                     if written else f"no file written, {result}"))
    return Outcome(succeeded, "; ".join(parts))


RISK = register(
    Risk(
        id="PSB-EXEC-CONFIG",
        title="exec() of a user's configuration",
        summary="exec() runs any program, and removing __builtins__ does not sandbox it; "
        "read configuration in a data format.",
        cwe=94,
        bandit=("B102",),
        modules=("builtins", "tomllib"),
        page="practices/code-injection",
        insecure=load_config_insecure,
        secure=load_config_secure,
        attack=attack,
    )
)
