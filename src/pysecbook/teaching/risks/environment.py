"""Environment variables change what code Python runs.

``PYTHONPATH`` puts directories ahead of the standard library on ``sys.path``, so a
``sitecustomize.py`` there runs at every start; ``PYTHONSTARTUP`` names a file that runs
before the first prompt of an *interactive* session; ``PYTHONINSPECT`` turns a finished
script into an interactive session when its input is a terminal. ``-E`` ignores every
``PYTHON*`` variable, and ``-I`` implies ``-E``.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import Completed, last_line, private_tmpdir, run_python

#: The innocent program the launchers start.
TOOL = 'print("tool: done")\n'

#: What the attacker puts in a directory named by ``PYTHONPATH``.
SITECUSTOMIZE = (
    "from pathlib import Path\n"
    "Path(__file__).with_name('marker.txt').write_text('sitecustomize ran')\n"
    "print('sitecustomize.py from PYTHONPATH ran')\n"
)

#: What the attacker puts in a file named by ``PYTHONSTARTUP``.
STARTUP = "print('PYTHONSTARTUP file ran')\n"

#: What arrives on standard input in the interactive cases.
STDIN = "print('code read from stdin ran')\n"


#: Runs in a sandboxed child: starts ``python ARGV`` on a pseudo-terminal, types two lines
#: at it, and prints everything the terminal showed. ``PYTHONINSPECT`` only acts on a terminal.
_PTY_SNIPPET = """\
import json, os, pty, sys
argv, extra_env = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.executable, [sys.executable, *argv], {**os.environ, **extra_env})
os.write(fd, b"print('typed' + ' at the prompt')\\nraise SystemExit\\n")
out = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
print(json.dumps(out.decode("utf-8", "replace")))
"""


def run_tool_insecure(script: str, env: Mapping[str, str]) -> Completed:
    """Start the tool with the environment the caller passed in, ``PYTHON*`` included."""
    return run_python(cwd=Path(script).parent, args=[script], env=env)


def run_tool_secure(script: str, env: Mapping[str, str]) -> Completed:
    """Start the tool with ``-I``: ``PYTHON*`` variables (and the user site) are ignored."""
    return run_python(cwd=Path(script).parent, args=[script], env=env, flags=["-I"])


def plant(directory: Path) -> tuple[Path, dict[str, str]]:
    """Write the tool, the attacker's files and environment; return the script and the env."""
    evil = directory / "evil"
    evil.mkdir(parents=True, exist_ok=True)
    (evil / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")  # nosec PSB-RF-STARTUP-WRITE - the attacker's file of PSB-ENV-STARTUP, written in a private temp dir
    (evil / "startup.py").write_text(STARTUP, encoding="utf-8")
    app = directory / "app"
    app.mkdir(exist_ok=True)
    script = app / "tool.py"
    script.write_text(TOOL, encoding="utf-8")
    env = {"PYTHONPATH": str(evil), "PYTHONSTARTUP": str(evil / "startup.py")}
    return script, env


def attack(func: object) -> Outcome:
    """Set ``PYTHONPATH`` to a directory holding a ``sitecustomize.py``, then start the tool."""
    with private_tmpdir() as tmp:
        script, env = plant(tmp)
        done = func(str(script), {"PYTHONPATH": env["PYTHONPATH"]})  # type: ignore[operator]
        ran = (tmp / "evil" / "marker.txt").is_file()
    lines = " | ".join(done.stdout.strip().splitlines())
    what = "the attacker's sitecustomize.py ran first" if ran else "only the tool ran"
    return Outcome(attack_succeeded=ran, observed=f"output {lines!r}; {what}")


def on_terminal(args: list[str], env: Mapping[str, str], cwd: Path) -> tuple[bool, str]:
    """Start ``python ARGS`` on a pseudo-terminal with ``env``; did the typed line run?

    Returns whether the line typed at the terminal was executed, and what the terminal showed.
    """
    done = run_python(_PTY_SNIPPET, cwd=cwd, args=[json.dumps([args, dict(env)])], timeout=10)
    try:
        shown = str(json.loads(last_line(done.stdout)))
    except ValueError:
        shown = done.stderr
    return "typed at the prompt\r\n" in shown, shown


@dataclass(frozen=True)
class TerminalRow:
    """One start-up on a terminal: did the startup file run, did the typed line run?"""

    command: str
    startup_file_ran: bool
    typed_line_ran: bool


def terminal_matrix() -> list[TerminalRow]:
    """``PYTHONSTARTUP`` and ``PYTHONINSPECT`` with Python on a (pseudo-)terminal."""
    rows = []
    with private_tmpdir() as tmp:
        script, planted = plant(tmp)
        startup = {"PYTHONSTARTUP": planted["PYTHONSTARTUP"]}
        inspect = {"PYTHONINSPECT": "1"}
        for label, args, env in (
            ("python tool.py", ["tool.py"], {}),
            ("PYTHONSTARTUP=... python", [], startup),
            ("PYTHONSTARTUP=... python -E", ["-E"], startup),
            ("PYTHONSTARTUP=... python tool.py", ["tool.py"], startup),
            ("PYTHONINSPECT=1 python tool.py", ["tool.py"], inspect),
            ("PYTHONINSPECT=1 python -E tool.py", ["-E", "tool.py"], inspect),
            ("PYTHONINSPECT=1 python -I tool.py", ["-I", "tool.py"], inspect),
        ):
            ran, shown = on_terminal(args, env, script.parent)
            rows.append(TerminalRow(label, "PYTHONSTARTUP file ran" in shown, ran))
    return rows


@dataclass(frozen=True)
class Row:
    """One start-up: the variable set, the command, what ran."""

    variable: str
    command: str
    stdin: bool
    output: tuple[str, ...]


def environment_matrix() -> list[Row]:
    """Each variable with the ways Python can start, with and without ``-E``/``-I``."""
    variants: list[tuple[str, str, list[str], bool]] = [
        ("PYTHONPATH", "python tool.py", ["tool.py"], False),
        ("PYTHONPATH", "python -E tool.py", ["-E", "tool.py"], False),
        ("PYTHONPATH", "python -I tool.py", ["-I", "tool.py"], False),
        ("PYTHONSTARTUP", "python tool.py", ["tool.py"], False),
        ("PYTHONSTARTUP", "python < input", [], True),
        ("PYTHONSTARTUP", "python -i < input", ["-i"], True),
        ("PYTHONSTARTUP", "python -i tool.py < input", ["-i", "tool.py"], True),
        ("PYTHONSTARTUP", "python -E -i < input", ["-E", "-i"], True),
        ("PYTHONINSPECT=1", "python tool.py < input", ["tool.py"], True),
        ("PYTHONINSPECT=1", "python -E tool.py < input", ["-E", "tool.py"], True),
        ("(none)", "python -i tool.py < input", ["-i", "tool.py"], True),
    ]
    rows = []
    with private_tmpdir() as tmp:
        script, planted = plant(tmp)
        for variable, command, args, stdin in variants:
            if variable == "PYTHONINSPECT=1":
                env = {"PYTHONINSPECT": "1"}
            elif variable in planted:
                env = {variable: planted[variable]}
            else:
                env = {}
            done = run_python(cwd=script.parent, args=args, env=env, input_text=STDIN if stdin else None)
            output = tuple(line.lstrip("> ").strip() for line in done.stdout.splitlines() if line.strip(">  "))
            rows.append(Row(variable, command, stdin, output))
    return rows


RISK = register(
    Risk(
        id="PSB-ENV-STARTUP",
        title="PYTHON* environment variables change what runs",
        summary="PYTHONPATH, PYTHONSTARTUP and PYTHONINSPECT let whoever sets the environment "
        "run code in a Python process; -E and -I ignore them.",
        cwe=15,
        bandit=(),
        no_static_rule="the difference is the -I flag of a child interpreter; whether its "
                       "environment can be trusted is not written in the code.",
        modules=("site", "sys"),
        page="fundamentals/execution-model",
        insecure=run_tool_insecure,
        secure=run_tool_secure,
        attack=attack,
    )
)
