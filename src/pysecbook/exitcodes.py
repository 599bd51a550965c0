"""The exit codes of every ``pysecbook`` command, defined once.

The command line returns them; the checker's reports say which one their verdict carries;
``--help``, the README and the checklist page list them from here.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CHECK_MEANINGS", "MEANINGS", "ExitCode", "describe"]


class ExitCode(IntEnum):
    """What a ``pysecbook`` process tells its caller (a shell, a CI step)."""

    #: ``check``: the verdict is pass. ``risks``, ``demo``: done.
    OK = 0
    #: ``check``: blocked, evidence of danger (or install-time code that could not be read).
    BLOCKED = 1
    #: A usage error of the person running the command: a bad option, a file that does not
    #: exist, invalid settings of their own, an unknown risk id. Never a hostile target's doing.
    USAGE = 2
    #: ``check``: review, something a must-do item needs is not in the artifact, or a file
    #: could not be scanned: a person must look.
    REVIEW = 3
    # 4 is not used: it is left free for a check that could not be made at all.
    #: ``demo``: the demonstration needs what this machine cannot give (root, a kernel
    #: feature); nothing was run.
    UNAVAILABLE = 5

    @classmethod
    def for_verdict(cls, verdict: str) -> ExitCode:
        """The exit code a checker verdict (``pass``, ``review``, ``blocked``) carries."""
        return {"pass": cls.OK, "review": cls.REVIEW, "blocked": cls.BLOCKED}[verdict]

    @classmethod
    def help_text(cls) -> str:
        """Every code and what it means, for ``pysecbook --help``."""
        return describe(MEANINGS)


#: What each code means, for the whole command line.
MEANINGS = {
    ExitCode.OK: "ok (check: pass)",
    ExitCode.BLOCKED: "check: blocked, evidence of danger",
    ExitCode.USAGE: "usage error",
    ExitCode.REVIEW: "check: review, look by hand",
    ExitCode.UNAVAILABLE: "demo: the demonstration cannot run on this machine",
}
#: What each code means for ``pysecbook check``.
CHECK_MEANINGS = {
    ExitCode.OK: "pass",
    ExitCode.BLOCKED: "blocked (evidence of danger; install-time code, a start-up file or a "
                      "part of the target that could not be read; a dependency that could "
                      "not be fetched, verified or checked)",
    ExitCode.REVIEW: "review (something a must-do item needs is not in this artifact, or a "
                     "file could not be scanned: check it by hand)",
    ExitCode.USAGE: "usage error, invalid settings of your own, or a target or lock file that "
                    "does not exist or cannot be read at all",
}


def describe(meanings: dict[ExitCode, str]) -> str:
    """``"Exit codes: 0 ...; 1 ..."``, in the order of the codes."""
    return "Exit codes: " + "; ".join(f"{int(code)} {meanings[code]}"
                                      for code in sorted(meanings)) + "."
