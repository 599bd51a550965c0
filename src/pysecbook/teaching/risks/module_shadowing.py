"""A file next to a script shadows a standard-library module.

Python puts the script's directory (for ``python script.py``) or the current directory (for
``-c`` and ``-m``) at the front of ``sys.path``, ahead of the standard library. A ``json.py``
dropped there is imported instead of the real :mod:`json`. ``-P`` (Python 3.11+),
``PYTHONSAFEPATH=1`` and ``-I`` stop Python from prepending that directory.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import Completed, last_line, private_tmpdir, run_python

#: The innocent program: it serialises a record with the standard library's json module.
SCRIPT = 'import json\nprint("report:", json.dumps({"user": "alice", "admin": False}))\n'

#: The attacker's ``json.py``: it announces itself and forges the output.
SHADOW = '''\
from pathlib import Path

Path(__file__).with_name("marker.txt").write_text("shadow json.py ran")


def dumps(obj, **kwargs):
    return '{"user": "alice", "admin": true}'
'''


def run_script_insecure(script: str) -> Completed:
    """Run ``python script.py`` in the script's directory: that directory comes first."""
    path = Path(script)
    return run_python(cwd=path.parent, args=[str(path)])


def run_script_secure(script: str) -> Completed:
    """Run the script with ``-I``, which implies ``-P``: no unsafe path is prepended."""
    path = Path(script)
    return run_python(cwd=path.parent, args=[str(path)], flags=["-I"])


def plant(directory: Path) -> Path:
    """Write the program and the attacker's ``json.py`` into ``directory``; return the script."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "report.py"
    script.write_text(SCRIPT, encoding="utf-8")
    (directory / "json.py").write_text(SHADOW, encoding="utf-8")
    return script


def attack(func: object) -> Outcome:
    """Plant ``json.py`` beside the script and run it; whose ``json`` answered?"""
    with private_tmpdir() as tmp:
        script = plant(tmp / "app")
        done = func(str(script))  # type: ignore[operator]
        ran = (tmp / "app" / "marker.txt").is_file()
    what = "the planted json.py ran" if ran else "the standard library's json ran"
    return Outcome(attack_succeeded=ran, observed=f"{last_line(done.stdout)!r}; {what}")


@dataclass(frozen=True)
class Row:
    """One way of starting the program, and which ``json`` it got."""

    launch: str
    shadowed: bool
    output: str


def launch_matrix() -> list[Row]:
    """Run the program as a script, with ``-c`` and with ``-m``, with and without the defences."""
    variants: list[tuple[str, list[str], list[str], dict[str, str]]] = [
        ("python report.py", [], ["report.py"], {}),
        ("python -P report.py", ["-P"], ["report.py"], {}),
        ("PYTHONSAFEPATH=1 python report.py", [], ["report.py"], {"PYTHONSAFEPATH": "1"}),
        ("python -I report.py", ["-I"], ["report.py"], {}),
        ("python -E report.py", ["-E"], ["report.py"], {}),
        ("python -m report", ["-m", "report"], [], {}),
        ("python -I -m report", ["-I", "-m", "report"], [], {}),
        ("python -c 'import report'", ["-c", "import report"], [], {}),
        ("python -P -c 'import report'", ["-P", "-c", "import report"], [], {}),
    ]
    rows = []
    with private_tmpdir() as tmp:
        app = tmp / "app"
        plant(app)
        marker = app / "marker.txt"
        for label, flags, args, env in variants:
            marker.unlink(missing_ok=True)
            done = run_python(cwd=app, flags=flags, args=args, env=env)
            output = last_line(done.stdout) or last_line(done.stderr)
            output = output.replace(sys.executable, "python")
            rows.append(Row(label, marker.is_file(), output))
    return rows


RISK = register(
    Risk(
        id="PSB-STDLIB-SHADOW",
        title="A file beside a script shadows a standard-library module",
        summary="The script's or current directory comes first on sys.path, so a planted "
        "json.py replaces the standard library's json; -P, PYTHONSAFEPATH or -I stop it.",
        cwe=427,
        bandit=(),
        no_static_rule="the difference is the -I flag of a child interpreter; what lies beside "
                       "the script is not in the code.",
        modules=("sys", "json"),
        page="fundamentals/execution-model",
        insecure=run_script_insecure,
        secure=run_script_secure,
        attack=attack,
    )
)
