"""The one pip-audit runner: requirements in, pip-audit's own output out, nothing installed.

pip-audit runs in a child interpreter (:func:`pysecbook.lab.child.run_python`), in a private
temporary directory that holds the requirements file, pip-audit's cache and its home, with
``--no-deps --disable-pip`` so that it never creates a virtual environment or installs
anything, and the requirements exactly as given. The child starts from the minimal
environment; ``env`` adds what the caller means it to have (an offline proxy, a proxy of
the machine).

Three callers: check C3 of the checklist (:mod:`pysecbook.checker.checklist.audit`, which
reads the JSON and decides), and the pages that show pip-audit offline
(:mod:`pysecbook.teaching.dependencies`, :mod:`pysecbook.teaching.culture`, which print what
it said). Imports nothing of pysecbook but the child runner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pysecbook.lab.child import Completed, private_tmpdir, run_python

__all__ = ["ARGUMENTS", "run_pip_audit"]

#: The arguments of every run, before the caller's own: audit the pins as written.
ARGUMENTS = ("-r", "requirements.txt", "--no-deps", "--disable-pip", "--progress-spinner", "off")


def run_pip_audit(requirements: str, *, options: Sequence[str] = (),
                  leading: Sequence[str] = (), env: Mapping[str, str] | None = None,
                  timeout: float, limits: bool = True, code: str | None = None) -> Completed:
    """Run ``pip-audit LEADING -r requirements.txt --no-deps --disable-pip ... OPTIONS``.

    ``requirements`` is the text of the requirements file. ``code``, when given, is a snippet
    run instead of ``python -m pip_audit`` with the same arguments (it must start pip-audit
    itself, after changing what the page demonstrates). ``limits`` applies the child
    runner's CPU and memory limits. Raises ``OSError`` when the interpreter cannot start.
    """
    with private_tmpdir(prefix="pysecbook-audit-") as tmp:
        (tmp / "requirements.txt").write_text(requirements, encoding="utf-8")
        argv = [*leading, *ARGUMENTS, "--cache-dir", str(tmp / "cache"), *options]
        return run_python(code, cwd=tmp, flags=() if code is not None else ("-m", "pip_audit"),
                          args=argv, env={"HOME": str(tmp), **(env or {})}, timeout=timeout,
                          limits=limits)
