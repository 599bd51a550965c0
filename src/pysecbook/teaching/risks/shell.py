"""A shell command line built from user input runs whatever the input says.

``subprocess.run(f"wc -c {filename}", shell=True)`` hands the whole string to ``/bin/sh``, so
a "file name" such as ``notes.txt; touch pwned`` is two commands. With an argument list and
no shell, the name reaches ``wc`` as one argument, whatever characters it contains; ``--``
keeps a name that starts with ``-`` from being read as an option.

An argument list removes the shell, not the program's own reading of its arguments. Without
``--``, ``--files0-from=/proc/self/environ`` makes GNU ``wc`` print the service's
environment, secrets included; even after ``--``, the name ``-`` means standard input, and a
``wc`` that inherited the service's stdin waits on it. The secure version passes ``--``,
gives the program ``/dev/null`` as stdin and only the environment it needs. A first fix that
keeps the shell and refuses ``;``, ``|`` and ``&`` is beaten by every other character the
shell reads: ``$( )``, back-quotes, a newline, ``*``.
Book page: ``book/practices/os-commands``.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - this module demonstrates subprocess, both ways
from pathlib import Path

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register


def byte_count_insecure(directory: str, filename: str) -> str:
    """Count the bytes of a file the user names, with a shell command line."""
    done = subprocess.run(  # nosec B602 - deliberately insecure: demonstration of PSB-SHELL-INJECTION
        f"wc -c {filename}", shell=True, cwd=directory, capture_output=True, text=True,
        timeout=10, check=False,
    )
    return (done.stdout + done.stderr).strip()


def byte_count_blocklist(directory: str, filename: str) -> str:
    """A first fix that keeps the shell: refuse names with ``;``, ``|`` or ``&``.

    Kept to show the adapted attacks beating it: the shell reads many more characters than
    the three on the list.
    """
    if any(char in filename for char in ";|&"):
        raise ValueError(f"refusing a file name with a shell separator: {filename!r}")
    done = subprocess.run(  # nosec B602 - deliberately insecure: demonstration of PSB-SHELL-INJECTION
        f"wc -c {filename}", shell=True, cwd=directory, capture_output=True, text=True,
        timeout=10, check=False,
    )
    return (done.stdout + done.stderr).strip()


def byte_count_first_try(directory: str, filename: str) -> str:
    """A first fix: an argument list and no shell, and nothing else.

    Kept to show the adapted attacks beating it: ``wc`` still reads a name that starts with
    ``-`` as an option and ``-`` as its standard input, which it inherits, along with the
    whole environment of the service.
    """
    done = subprocess.run(
        ["wc", "-c", filename], cwd=directory, capture_output=True, text=True,
        timeout=10, check=False,
    )
    return (done.stdout + done.stderr).strip()


#: The whole environment ``wc`` gets: where to find programs, and plain C-locale messages.
COMMAND_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}


def byte_count_secure(directory: str, filename: str) -> str:
    """Count the bytes of a file the user names: argument list, no shell, ``--``, no stdin,
    a minimal environment.

    Assumes: ``wc`` is the system's (found through the fixed ``PATH``) and follows the POSIX
    convention that ``--`` ends its options; ``directory`` holds only files the user may
    count.
    Does not stop: a name with ``/`` or ``..``, which ``wc`` opens wherever it points, so the
    byte count (and existence) of any file the service can read leaks: check the name
    against the directory first, as the page on files shows; a name of ``-``, which
    even after ``--`` means standard input (here ``/dev/null``, so it counts 0 bytes); a
    program that does not honour ``--``; Windows, where an argument list is joined back into
    one command line and batch files go through ``cmd.exe``.
    """
    done = subprocess.run(
        ["wc", "-c", "--", filename], cwd=directory, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, env=COMMAND_ENV, timeout=10, check=False,
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


#: A secret the service holds in its environment, as services do (the demonstration's own).
SERVICE_SECRET = "SERVICE_API_TOKEN=tok-demo-31f9a2"  # nosec B105 - made up, child process only
#: Run in a child interpreter with SERVICE_SECRET in its environment and a pipe, held open,
#: as its standard input (a service started by a supervisor or inetd has one): count the
#: bytes of the attacker's name with ``argv[1]`` and print what it returned.
_SERVICE = """
import json, os, sys
from pysecbook.teaching.risks import shell
read_end, write_end = os.pipe()
os.dup2(read_end, 0)
impl = getattr(shell, sys.argv[1])
print(json.dumps(impl(os.getcwd(), sys.argv[2])))
"""


def in_service(impl: object, filename: str, timeout: float = 5.0) -> tuple[str, bool]:
    """What ``impl`` returns for ``filename`` when called by a service (a child interpreter)
    with a secret in its environment and an open pipe as stdin; and whether it was still
    running when ``timeout`` ran out."""
    key, _, value = SERVICE_SECRET.partition("=")
    with private_tmpdir() as tmp:
        (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
        done = run_python(_SERVICE, cwd=tmp, args=[impl.__name__, filename],  # type: ignore[attr-defined]
                          env={key: value}, timeout=timeout)
    if done.timed_out:
        return "", True
    try:
        return str(json.loads(last_line(done.stdout))), False
    except ValueError:
        return f"child failed: {last_line(done.stderr)}", False


def attack_option_injection(impl: object) -> Outcome:
    """Name the file ``--files0-from=/proc/self/environ``: GNU ``wc`` reads the names to count
    from its own environment, and reports each ``NAME=value`` as a missing file."""
    output, _ = in_service(impl, "--files0-from=/proc/self/environ")
    leaked = [line for line in output.splitlines() if SERVICE_SECRET in line]
    if leaked:
        return Outcome(True, f"the service's environment came back, one variable per line: "
                             f"{leaked[0]!r}")
    return Outcome(False, f"no environment in the output: {output[:120]!r}")


def attack_stdin(impl: object) -> Outcome:
    """Name the file ``-``: ``wc`` reads standard input instead, and a service's stdin (a pipe
    its supervisor holds open) never ends, so the request hangs until the timeout."""
    output, hanging = in_service(impl, "-", timeout=2.0)
    if hanging:
        return Outcome(True, "still waiting on the service's standard input after 2 s (the "
                             "call's own timeout is 10 s, per request)")
    return Outcome(False, f"returned at once: {output!r}")


def _created(impl: object, names: tuple[str, ...]) -> list[str]:
    worked = []
    for name in names:
        with private_tmpdir() as tmp:
            (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
            try:
                impl(str(tmp), name)  # type: ignore[operator]
            except ValueError:
                continue
            if (tmp / "pwned").exists():
                worked.append(name)
    return worked


#: Shell syntax that is not ``;``, ``|`` or ``&``: command substitution twice, a newline.
SHELL_TRICKS = ("$(touch pwned)", "`touch pwned`", "notes.txt\ntouch pwned")


def attack_other_metacharacters(impl: object) -> Outcome:
    """Use the shell syntax a blocklist of ``;|&`` forgets: ``$( )``, back-quotes, a newline."""
    worked = _created(impl, SHELL_TRICKS)
    if worked:
        return Outcome(True, f"a second command ran ('pwned' created) for {worked!r}")
    return Outcome(False, f"no second command ran for any of {list(SHELL_TRICKS)!r}")


def attack_glob(impl: object) -> Outcome:
    """Name the file ``*``: a shell expands it to every file in the directory, and ``wc``
    reports each one, names included (another user's upload, say)."""
    with private_tmpdir() as tmp:
        (tmp / "notes.txt").write_text("hello\n", encoding="utf-8")
        (tmp / "bob-salaries-2025.csv").write_text("bob,52000\n", encoding="utf-8")
        output = impl(str(tmp), "*")  # type: ignore[operator]
    if "bob-salaries-2025.csv" in output:
        return Outcome(True, f"the directory's other files were listed: {output!r}")
    return Outcome(False, f"no other file named: {output!r}")


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
        adapted=(
            AdaptedAttack("option injection: --files0-from=/proc/self/environ", "context",
                          attack_option_injection, beats=byte_count_first_try),
            AdaptedAttack("the name '-', which wc reads as standard input even after '--'",
                          "exhaustion", attack_stdin, beats=byte_count_first_try),
            AdaptedAttack("shell syntax past a ;|& blocklist: $( ), back-quotes, a newline",
                          "context", attack_other_metacharacters, beats=byte_count_blocklist),
            AdaptedAttack("a glob, '*', that the shell expands to every file in the directory",
                          "variant", attack_glob, beats=byte_count_blocklist),
        ),
    )
)
