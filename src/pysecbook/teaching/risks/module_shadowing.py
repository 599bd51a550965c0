"""A file next to a script shadows a standard-library module.

Python puts the script's directory (for ``python script.py``) or the current directory (for
``-c`` and ``-m``) at the front of ``sys.path``, ahead of the standard library. A ``json.py``
dropped there is imported instead of the real :mod:`json`. ``-P`` (Python 3.11+),
``PYTHONSAFEPATH=1`` and ``-I`` stop Python from prepending that directory.

Not every directory: when the program named on the command line is a directory with a
``__main__.py`` (or a zip archive), the interpreter puts that directory itself first on
``sys.path``, because that is where ``__main__`` is found, and no flag removes it. The first
fix (kept as :func:`run_script_first_try`) ran whatever path it was given with ``-I``; the
secure version also refuses anything that is not a regular file.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

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


def run_script_first_try(script: str) -> Completed:
    """A first fix: run the program with ``-I``, whatever the path names.

    Kept to show the adapted attacks beating it: for a directory or a zip archive, the
    interpreter prepends the program's own location, ``-I`` or not.
    """
    path = Path(script)
    return run_python(cwd=path.parent, args=[str(path)], flags=["-I"])


def run_script_secure(script: str) -> Completed:
    """Run a script file with ``-I``, which implies ``-P``: no unsafe path is prepended.

    ``-I`` (on 3.11 and later: ``-E``, ``-P`` and ``-s`` together) keeps the script's
    directory, the current directory and ``PYTHONPATH`` off ``sys.path``. A directory or a
    zip archive is refused: the interpreter would put it first on ``sys.path`` itself.

    Assumes: the attacker can add files beside the script but not change the script or the
    interpreter's own directories (a sticky shared directory, an unpacked download); the
    script does not put its own directory back on ``sys.path``.
    Does not stop: ``.pth`` files and ``sitecustomize`` in site-packages (``-I`` keeps
    :mod:`site`); a module the script imports that is not in the standard library, which
    still comes from site-packages and so from whoever can write there; and a script
    replaced between this check and the start by someone who can write its directory.
    """
    path = Path(script)
    if not path.is_file() or zipfile.is_zipfile(path):
        raise ValueError(f"{script} is not a script file: a directory or an archive would be "
                         "put first on sys.path")
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


#: The program as a directory: its ``__main__.py`` does what ``report.py`` does.
MAIN = SCRIPT


def _launch(func: object, target: Path) -> tuple[str, Completed | None]:
    try:
        done = func(str(target))  # type: ignore[operator]
    except ValueError as exc:
        return f"refused: {str(exc).replace(str(target.parent) + '/', '')}", None
    return repr(last_line(done.stdout) or last_line(done.stderr)), done


def attack_program_directory(func: object) -> Outcome:
    """The program is a directory with a ``__main__.py`` (``python -I tool/``), and the
    attacker drops ``json.py`` inside it: the directory is ``sys.path[0]``, whatever the
    flags."""
    with private_tmpdir() as tmp:
        tool = tmp / "tool"
        tool.mkdir()
        (tool / "__main__.py").write_text(MAIN, encoding="utf-8")
        (tool / "json.py").write_text(SHADOW, encoding="utf-8")
        shown, done = _launch(func, tool)
        ran = (tool / "marker.txt").is_file()
    what = ("the planted json.py ran" if ran else "nothing ran" if done is None
            else "the standard library's json ran")
    return Outcome(attack_succeeded=ran, observed=f"program tool/: {shown}; {what}")


def attack_package_shadow(func: object) -> Outcome:
    """A ``json/`` package directory beside the script instead of a ``json.py`` file."""
    with private_tmpdir() as tmp:
        app = tmp / "app"
        app.mkdir()
        script = app / "report.py"
        script.write_text(SCRIPT, encoding="utf-8")
        (app / "json").mkdir()
        (app / "json" / "__init__.py").write_text(
            SHADOW.replace("with_name(", "parent.with_name("), encoding="utf-8")
        shown, _ = _launch(func, script)
        ran = (app / "marker.txt").is_file()
    what = "the planted json/ package ran" if ran else "the standard library's json ran"
    return Outcome(attack_succeeded=ran, observed=f"{shown}; {what}")


@dataclass(frozen=True)
class Row:
    """One way of starting the program, and which ``json`` it got."""

    launch: str
    shadowed: bool
    output: str


def launch_matrix() -> list[Row]:
    """Run the program as a script, with ``-c`` and with ``-m``, with and without the defences.

    Most launches start in ``app/``, where the script and the planted ``json.py`` are; those
    labelled ``(from home/)`` start in a clean directory beside it and name the script by its
    path, and ``tool/`` is the same program as a directory with a ``__main__.py``.
    """
    variants: list[tuple[str, str, list[str], list[str], dict[str, str]]] = [
        ("python report.py", "app", [], ["report.py"], {}),
        ("python -P report.py", "app", ["-P"], ["report.py"], {}),
        ("PYTHONSAFEPATH=1 python report.py", "app", [], ["report.py"], {"PYTHONSAFEPATH": "1"}),
        ("PYTHONSAFEPATH=1 python -E report.py", "app", ["-E"], ["report.py"],
         {"PYTHONSAFEPATH": "1"}),
        ("python -I report.py", "app", ["-I"], ["report.py"], {}),
        ("python -E report.py", "app", ["-E"], ["report.py"], {}),
        ("(from home/) python ../app/report.py", "home", [], ["../app/report.py"], {}),
        ("(from home/) python -P ../app/report.py", "home", ["-P"], ["../app/report.py"], {}),
        ("python -m report", "app", ["-m", "report"], [], {}),
        ("python -I -m report", "app", ["-I", "-m", "report"], [], {}),
        ("python -c 'import report'", "app", ["-c", "import report"], [], {}),
        ("python -P -c 'import report'", "app", ["-P", "-c", "import report"], [], {}),
        ("(from home/) python -I ../tool/", "home", ["-I"], ["../tool/"], {}),
    ]
    rows = []
    with private_tmpdir() as tmp:
        app = tmp / "app"
        plant(app)
        tool = tmp / "tool"
        tool.mkdir()
        (tool / "__main__.py").write_text(MAIN, encoding="utf-8")
        (tool / "json.py").write_text(SHADOW, encoding="utf-8")
        (tmp / "home").mkdir()
        markers = (app / "marker.txt", tool / "marker.txt")
        for label, cwd, flags, args, env in variants:
            for marker in markers:
                marker.unlink(missing_ok=True)
            done = run_python(cwd=tmp / cwd, flags=flags, args=args, env=env)
            output = last_line(done.stdout) or last_line(done.stderr)
            output = output.replace(sys.executable, "python")
            rows.append(Row(label, any(m.is_file() for m in markers), output))
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
        adapted=(
            AdaptedAttack("a program that is a directory with a __main__.py, json.py inside "
                          "it", "type-confusion", attack_program_directory,
                          beats=run_script_first_try),
            AdaptedAttack("a json/ package directory beside the script instead of json.py",
                          "variant", attack_package_shadow),
        ),
    )
)
