"""A shell command line built from user input runs whatever the input says.

``subprocess.run(f"wc -c {filename}", shell=True)`` hands the whole string to ``/bin/sh``, so
a "file name" such as ``notes.txt; touch pwned`` is two commands. With an argument list and
no shell, the name reaches ``wc`` as one argument, whatever characters it contains; ``--``
keeps a name that starts with ``-`` from being read as an option.
Book page: ``book/practices/os-commands``.
"""

from __future__ import annotations

import subprocess  # nosec B404 - this module demonstrates subprocess, both ways
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir


def byte_count_insecure(directory: str, filename: str) -> str:
    """Count the bytes of a file the user names, with a shell command line."""
    done = subprocess.run(  # nosec B602 - deliberately insecure: demonstration of PSB-SHELL-INJECTION
        f"wc -c {filename}", shell=True, cwd=directory, capture_output=True, text=True,
        timeout=10, check=False,
    )
    return (done.stdout + done.stderr).strip()


def byte_count_secure(directory: str, filename: str) -> str:
    """Count the bytes of a file the user names: argument list, no shell, ``--``."""
    done = subprocess.run(
        ["wc", "-c", "--", filename], cwd=directory, capture_output=True, text=True,
        timeout=10, check=False,
    )
    return (done.stdout + done.stderr).strip()


#: The "file name" the attacker submits.
INJECTED_NAME = "notes.txt; touch pwned"


def attack(func: object) -> Outcome:
    """Submit ``notes.txt; touch pwned`` as a file name: does a ``pwned`` file appear?"""
    with private_tmpdir() as tmp:
        (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
        output = func(str(tmp), INJECTED_NAME)  # type: ignore[operator]
        created = (Path(tmp) / "pwned").exists()
    if created:
        return Outcome(True, f"the shell ran a second command: 'pwned' was created "
                             f"(output: {output!r})")
    return Outcome(False, f"no second command ran; wc said: {output!r}")


RISK = register(
    Risk(
        id="PSB-SHELL-INJECTION",
        title="Shell command built from user input",
        summary="shell=True hands the string to /bin/sh, so ';' in input starts a second "
        "command; pass an argument list instead.",
        cwe=78,
        bandit=("B602",),
        modules=("subprocess",),
        page="practices/os-commands",
        insecure=byte_count_insecure,
        secure=byte_count_secure,
        attack=attack,
    )
)
