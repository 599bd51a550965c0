"""A virtual environment is no security boundary.

A venv gives a project its own ``site-packages`` and ``sys.path``: it isolates *dependencies*,
not *code*. A tool run with a venv's interpreter is an ordinary process of the same user: it
inherits the caller's environment variables (API tokens included) and reads any file that user
can read. The secure launch below starts it with ``-I`` and a minimal environment, which keeps
the token out of the tool's environment; it does not stop the file read, nor (on Linux) the
read of the caller's own environment in ``/proc/<pid>/environ``, and says so.
Book page: ``book/security-model/virtual-environments``.
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import subprocess  # nosec B404 - the demonstration starts child interpreters on purpose
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The token a developer's shell holds, planted by the attack for the duration of one run.
PLANTED_NAME = "PSB_DEPLOY_TOKEN"

#: What an untrusted tool installed in the venv does: report what it can see.
SPY_TOOL = """\
import json, os, sys
outside = sys.argv[1]
print(json.dumps({
    "prefix": sys.prefix,
    "token": os.environ.get("PSB_DEPLOY_TOKEN"),
    "file_outside_venv": open(outside, encoding="utf-8").read(),
}))
"""


def create_venv(path: Path) -> Path:
    """Create a venv without pip at ``path`` (fast, offline); return its interpreter."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt", clear=True).create(path)
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run_tool_insecure(venv_python: Path, script: Path, *args: str) -> str:
    """Run a tool with the venv's interpreter; it inherits this process's whole environment."""
    proc = subprocess.run(  # nosec B603 - fixed interpreter and argument list, no shell
        [str(venv_python), str(script), *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return proc.stdout


def run_tool_secure(venv_python: Path, script: Path, *args: str) -> str:
    """Run a tool with the venv's interpreter in isolated mode, with a minimal environment.

    ``-I`` ignores ``PYTHON*`` variables and the user's site-packages, and leaves the
    script's directory off ``sys.path``; the minimal environment
    (:data:`pysecbook.teaching.sandbox.MINIMAL_ENV`) leaves the caller's variables behind.

    Assumes: what the tool must not see lives only in this process's environment variables
    or in files the user cannot read.
    Does not stop: anything the user can read: files, and on Linux the environment that this
    process and its parent shell were started with, in ``/proc/<pid>/environ`` (a token
    exported in the shell that started this program is there); code in the venv's own
    site-packages (packages, ``.pth`` files), which runs at start-up even with ``-I``. Real
    isolation needs another user, a container or a VM.
    """
    done = run_python(python=venv_python, flags=["-I"], args=[str(script), *args], cwd=script.parent)
    return done.stdout


@dataclass(frozen=True)
class Seen:
    """What the tool saw from inside the venv."""

    prefix: str
    token: str | None
    file_outside_venv: str


def run_spy(func: object) -> tuple[Seen, str, str]:
    """Create a venv, plant a token and a file outside it, run the spy tool with ``func``.

    Returns what the tool saw, the planted token and the planted file's content.
    """
    token = "psb-canary-" + secrets.token_hex(8)
    secret_file = "psb-canary-" + secrets.token_hex(8)
    with private_tmpdir() as tmp:
        python = create_venv(tmp / "venv")
        outside = tmp / "home" / "notes.txt"
        outside.parent.mkdir()
        outside.write_text(secret_file, encoding="utf-8")
        script = tmp / "venv" / "tool.py"
        script.write_text(SPY_TOOL, encoding="utf-8")
        old = os.environ.get(PLANTED_NAME)
        os.environ[PLANTED_NAME] = token
        try:
            out = func(python, script, str(outside))  # type: ignore[operator]
        finally:
            if old is None:
                del os.environ[PLANTED_NAME]
            else:
                os.environ[PLANTED_NAME] = old
        data = json.loads(last_line(out))
        data["prefix"] = Path(data["prefix"]).name
    return Seen(**data), token, secret_file


def attack(func: object) -> Outcome:
    """A tool run from a fresh venv tries to read the caller's deploy token."""
    seen, token, secret_file = run_spy(func)
    leaked = seen.token == token
    file_note = (
        "and it still read a file outside the venv"
        if seen.file_outside_venv == secret_file
        else "and it could not read the file outside the venv"
    )
    return Outcome(
        leaked,
        f"sys.prefix is the venv ({seen.prefix}); {PLANTED_NAME} seen: {seen.token!r}, "
        f"{file_note}",
    )


#: A tool that only does its job: it imports the standard library's json and prints.
HONEST_TOOL = "import json\nprint(json.dumps({'tool': 'done'}))\n"


def _spy_line(report: Path) -> str:
    """One line of Python that writes what it sees of the token to ``report``."""
    return (f"import os; open({str(report)!r}, 'w').write(repr(os.environ.get({PLANTED_NAME!r})))")


def run_planted(func: object, plant: str) -> tuple[bool, str | None, str]:
    """Run :data:`HONEST_TOOL` from a fresh venv with ``func``, with the caller holding a
    token, after Mallory has planted code where ``plant`` says:

    - ``"pth"``: a ``.pth`` file in the venv's site-packages;
    - ``"pythonpath"``: ``sitecustomize.py`` in a shared directory the caller's
      ``PYTHONPATH`` names;
    - ``"beside"``: ``json.py`` next to the tool script.

    Returns whether her code ran, what it saw of the token, and the token.
    """
    token = "psb-canary-" + secrets.token_hex(8)
    with private_tmpdir() as tmp:
        python = create_venv(tmp / "venv")
        script = tmp / "venv" / "tool.py"
        script.write_text(HONEST_TOOL, encoding="utf-8")
        report = tmp / "report.txt"
        planted_env = {PLANTED_NAME: token}
        if plant == "pth":
            site = next((tmp / "venv").glob("lib*/python*/site-packages"), None) or \
                tmp / "venv" / "Lib" / "site-packages"
            (site / "zz_helper.pth").write_text(_spy_line(report) + "\n", encoding="utf-8")
        elif plant == "pythonpath":
            shared = tmp / "shared"
            shared.mkdir()
            (shared / "sitecustomize.py").write_text(_spy_line(report) + "\n", encoding="utf-8")
            planted_env["PYTHONPATH"] = str(shared)
        elif plant == "beside":
            (script.parent / "json.py").write_text(_spy_line(report) + "\n", encoding="utf-8")
        else:
            raise ValueError(f"unknown plant {plant!r}")
        old = {name: os.environ.get(name) for name in planted_env}
        os.environ.update(planted_env)
        try:
            func(python, script)  # type: ignore[operator]
        finally:
            for name, value in old.items():
                if value is None:
                    del os.environ[name]
                else:
                    os.environ[name] = value
        ran = report.is_file()
        seen = ast.literal_eval(report.read_text(encoding="utf-8")) if ran else None
    return ran, seen, token


def _planted_outcome(func: object, plant: str, where: str) -> Outcome:
    ran, seen, token = run_planted(func, plant)
    if not ran:
        return Outcome(False, f"{where}: Mallory's code did not run")
    return Outcome(seen == token, f"{where}: Mallory's code ran and saw {PLANTED_NAME}="
                                  f"{'<the token>' if seen == token else repr(seen)}")


def attack_pth_file(func: object) -> Outcome:
    """A package installed in the venv ships a ``.pth`` file: Python runs its ``import`` line
    at every start-up, before the tool, whatever the tool is."""
    return _planted_outcome(func, "pth", "a .pth file in the venv's site-packages")


def attack_pythonpath(func: object) -> Outcome:
    """The caller's ``PYTHONPATH`` names a shared directory; Mallory, who can write there,
    leaves a ``sitecustomize.py``, which every interpreter that reads ``PYTHONPATH`` imports
    at start-up."""
    return _planted_outcome(func, "pythonpath", "sitecustomize.py on the caller's PYTHONPATH")


def attack_module_beside_script(func: object) -> Outcome:
    """Mallory leaves a ``json.py`` next to the tool (an archive the tool came in, a shared
    scripts directory): the script's directory comes first on ``sys.path``."""
    return _planted_outcome(func, "beside", "json.py next to the tool")


#: A tool that looks for the token in its own environment, then in its parent's, as Linux
#: lets any process of the same user read it.
PARENT_SPY = """\
import os
own = "PSB_DEPLOY_TOKEN" in os.environ
try:
    with open(f"/proc/{os.getppid()}/environ", "rb") as file:
        block = file.read().split(b"\\0")
    parent = next((e.split(b"=", 1)[1].decode() for e in block
                   if e.startswith(b"PSB_DEPLOY_TOKEN=")), None)
except OSError as exc:
    parent = f"unreadable ({type(exc).__name__})"
print(repr((own, parent)))
"""

_CALLER = """\
import sys
from pathlib import Path
from pysecbook.teaching.risks.venv_boundary import run_tool_secure
print(run_tool_secure(Path(sys.argv[1]), Path(sys.argv[2])).strip())
"""


def parent_environ_demo() -> str:
    """A caller started with the token in its environment (as a shell that exported it
    starts programs) runs a tool through :func:`run_tool_secure`; what does the tool find in
    its own environment, and in its parent's ``/proc/<pid>/environ``?"""
    if not Path("/proc/self/environ").exists():
        return "this system has no /proc/<pid>/environ: nothing to read there"
    token = "psb-canary-" + secrets.token_hex(8)
    with private_tmpdir() as tmp:
        python = create_venv(tmp / "venv")
        script = tmp / "venv" / "tool.py"
        script.write_text(PARENT_SPY, encoding="utf-8")
        done = run_python(_CALLER, cwd=tmp, args=[str(python), str(script)],
                          env={PLANTED_NAME: token})
    try:
        own, parent = ast.literal_eval(last_line(done.stdout))
    except (ValueError, SyntaxError):
        return f"the demonstration failed: {last_line(done.stderr) or 'no output'}"
    found = "the token" if parent == token else repr(parent)
    return (f"{PLANTED_NAME} in the tool's own environment: {'yes' if own else 'no'}; "
            f"in its caller's /proc/<pid>/environ: {found}")


_PATHS = """\
import json, sys
print(json.dumps({"prefix": sys.prefix, "base_prefix": sys.base_prefix,
                  "site": [p for p in sys.path if p.endswith("site-packages")]}))
"""


def what_a_venv_changes() -> dict[str, str]:
    """Create a fresh venv and report its ``sys.prefix``, ``sys.base_prefix`` and site dirs.

    Paths are shown relative to the temporary directory (``<tmp>``) so the output is stable.
    """
    with private_tmpdir() as tmp:
        python = create_venv(tmp / "venv")
        done = run_python(_PATHS, python=python, flags=["-I"], cwd=tmp)
        data = json.loads(last_line(done.stdout))
        root = str(tmp)
        contents = sorted(p.name for site in data["site"] for p in Path(site).iterdir())
    return {
        "sys.prefix": data["prefix"].replace(root, "<tmp>"),
        "sys.base_prefix": data["base_prefix"],
        "site-packages": ", ".join(p.replace(root, "<tmp>") for p in data["site"]),
        "its contents": ", ".join(contents) or "(empty: made without pip)",
    }


def bundled_installers() -> str:
    """What ``python -m venv`` (with pip, the default) installs into a new environment here:
    the wheels bundled with ``ensurepip``."""
    import ensurepip

    names = [f"pip {ensurepip.version()}"]
    if sys.version_info < (3, 12):
        names.append("setuptools")  # venv stopped adding it in 3.12
    return ", ".join(names)


def running_in_venv() -> bool:
    """True when this interpreter runs from a virtual environment."""
    return sys.prefix != sys.base_prefix


RISK = register(
    Risk(
        id="PSB-VENV-BOUNDARY",
        title="A virtual environment is no security boundary",
        summary=(
            "Code run from a venv inherits the caller's environment variables and files; "
            "launch it isolated (-I, minimal environment) and use real isolation for files."
        ),
        cwe=668,
        bandit=(),
        no_static_rule="a virtual environment's interpreter runs like any other; isolation is "
                       "a property of how the process is started and confined, not of the "
                       "call.",
        modules=("venv", "subprocess", "os"),
        page="security-model/virtual-environments",
        insecure=run_tool_insecure,
        secure=run_tool_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a .pth file in the venv's site-packages, run at start-up even "
                          "under -I", "variant", attack_pth_file),
            AdaptedAttack("sitecustomize.py in a shared directory on the caller's PYTHONPATH",
                          "context", attack_pythonpath),
            AdaptedAttack("a json.py next to the tool script, shadowing the standard library",
                          "variant", attack_module_beside_script),
        ),
    )
)
