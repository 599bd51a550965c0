"""A virtual environment is no security boundary.

A venv gives a project its own ``site-packages`` and ``sys.path``: it isolates *dependencies*,
not *code*. A tool run with a venv's interpreter is an ordinary process of the same user: it
inherits the caller's environment variables (API tokens included) and reads any file that user
can read. The secure launch below starts it with ``-I`` and a minimal environment, which stops
the token leak; it still does not stop the file read, and says so.
Book page: ``book/security-model/virtual-environments``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess  # nosec B404 - the demonstration starts child interpreters on purpose
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

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
    """Run a tool with the venv's interpreter in isolated mode, with a minimal environment."""
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
    )
)
