"""Environment variables change what code Python runs.

``PYTHONPATH`` puts directories ahead of the standard library on ``sys.path``, so a
``sitecustomize.py`` there runs at every start; ``PYTHONSTARTUP`` names a file that runs
before the first prompt of an *interactive* session; ``PYTHONINSPECT`` turns a finished
script into an interactive session when its input is a terminal. ``-E`` ignores every
``PYTHON*`` variable, and ``-I`` implies ``-E``.

The first fix (kept as :func:`run_tool_first_try`) started the tool with ``-I`` and passed the
caller's environment on otherwise. ``-I`` concerns the interpreter's own variables only:
``PATH`` still decides which program a ``subprocess`` call of the tool runs (and
``LD_PRELOAD``, ``LD_LIBRARY_PATH`` what the dynamic loader maps into it). The secure
version passes on an allowlist of harmless variables and nothing else.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def run_tool_first_try(script: str, env: Mapping[str, str]) -> Completed:
    """A first fix: start the tool with ``-I``, the caller's environment otherwise passed on.

    Kept to show the adapted attacks beating it: ``-I`` ignores ``PYTHON*`` variables, and
    no other.
    """
    return run_python(cwd=Path(script).parent, args=[script], env=env, flags=["-I"])


#: The variables the secure launcher passes on: the locale and the time zone, nothing that
#: names a program, a library or a directory to search.
PASSED_VARIABLES = frozenset({"LANG", "LC_ALL", "LC_CTYPE", "TZ"})


def run_tool_secure(script: str, env: Mapping[str, str]) -> Completed:
    """Start the tool with ``-I`` and an allowlisted environment.

    ``-I`` makes the interpreter ignore every ``PYTHON*`` variable, the user site directory
    and the script's directory on ``sys.path``; the allowlist keeps every other variable
    (``PATH``, ``LD_PRELOAD``, ``HOME``, proxies) at the launcher's own value.

    Assumes: the tool needs no variable from the caller beyond :data:`PASSED_VARIABLES`
    (anything else it needs is passed explicitly), and the interpreter, its standard library
    and its site-packages are writable only by whoever installed them.
    Does not stop: ``.pth`` files and a ``sitecustomize`` module in the main site-packages
    (``-I`` does not imply ``-S``: see PSB-PTH-STARTUP); a tool that reads its own
    configuration from a file the caller controls; and whatever the allowed variables
    still mean to a library (a ``TZ`` that names a time-zone file).
    """
    kept = {name: value for name, value in env.items() if name in PASSED_VARIABLES}
    return run_python(cwd=Path(script).parent, args=[script], env=kept, flags=["-I"])


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


#: A tool that asks ``git`` for the version it is running, as many tools do.
GIT_TOOL = """\
import subprocess
try:
    found = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True,
                           timeout=10).stdout.strip()
except OSError:
    found = "no git"
print("tool: done", found or "(no version)")
"""

#: The attacker's ``git``, first on the ``PATH`` they set: it writes a marker beside itself.
FAKE_GIT = """\
#!/bin/sh
echo "attacker's git ran" > "$(dirname "$0")/marker.txt"
echo v6.6.6
"""


def attack_path_variable(func: object) -> Outcome:
    """Leave ``PYTHON*`` alone: put a directory holding a ``git`` of the attacker's first on
    ``PATH``, and start a tool that runs ``git`` to learn its own version."""
    with private_tmpdir() as tmp:
        evil = tmp / "evil-bin"
        evil.mkdir()
        fake = evil / "git"
        fake.write_text(FAKE_GIT, encoding="utf-8")
        fake.chmod(0o700)
        app = tmp / "app"
        app.mkdir()
        script = app / "tool.py"
        script.write_text(GIT_TOOL, encoding="utf-8")
        done = func(str(script), {"PATH": f"{evil}{os.pathsep}{os.defpath}"})  # type: ignore[operator]
        ran = (evil / "marker.txt").is_file()
    what = "the attacker's git ran" if ran else "the attacker's git never ran"
    return Outcome(attack_succeeded=ran, observed=f"output {last_line(done.stdout)!r}; {what}")


#: The attacker's ``encodings`` package, the first module the interpreter imports from its
#: standard library. It runs before ``open`` exists, so it writes with :mod:`posix`.
FAKE_ENCODINGS = """\
import posix
fd = posix.open(__file__.rpartition("/")[0] + "/../../../marker.txt",
                posix.O_WRONLY | posix.O_CREAT, 0o600)
posix.write(fd, b"attacker's standard library ran")
posix.close(fd)
"""


def attack_pythonhome(func: object) -> Outcome:
    """Another variable with the same reach: ``PYTHONHOME`` names a directory whose
    ``lib/pythonX.Y`` becomes the standard library, so its ``encodings`` runs first."""
    with private_tmpdir() as tmp:
        home = tmp / "home"
        stdlib = home / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        (stdlib / "encodings").mkdir(parents=True)
        (stdlib / "encodings" / "__init__.py").write_text(FAKE_ENCODINGS, encoding="utf-8")
        app = tmp / "app"
        app.mkdir()
        script = app / "tool.py"
        script.write_text(TOOL, encoding="utf-8")
        done = func(str(script), {"PYTHONHOME": str(home)})  # type: ignore[operator]
        ran = (home / "marker.txt").is_file()
    fatal = [line for line in done.stderr.splitlines() if line.startswith("Fatal Python error")]
    shown = last_line(done.stdout) or (fatal[0] if fatal else last_line(done.stderr))
    what = ("the attacker's encodings/__init__.py ran at start-up" if ran
            else "the real standard library was used")
    return Outcome(attack_succeeded=ran, observed=f"{shown!r}; {what}")


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
        ("PYTHONPATH", "python -P tool.py", ["-P", "tool.py"], False),
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
        adapted=(
            AdaptedAttack("a PATH that finds the attacker's git before the real one",
                          "context", attack_path_variable, beats=run_tool_first_try),
            AdaptedAttack("PYTHONHOME naming a standard library of the attacker's",
                          "variant", attack_pythonhome),
        ),
    )
)
