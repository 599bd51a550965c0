"""``tempfile.mktemp`` returns a name, not a file: someone else can create it first.

Between ``mktemp()`` choosing a name that does not exist and the program opening it, any
user who can write to the directory (``/tmp`` is shared) can create that name, for instance
as a symbolic link to a file the victim can write. ``open(name, "w")`` follows the link and
overwrites its target. ``mkstemp`` and ``NamedTemporaryFile`` create the file themselves,
atomically, with ``O_CREAT | O_EXCL`` and mode 0o600, so there is no window.
Book page: ``book/practices/files``.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

ORIGINAL = "owner = alice\n"


def write_report_insecure(directory: str, render: Callable[[], str]) -> str:
    """Pick a temporary name, render the report (slow), write it; return the file name."""
    name = tempfile.mktemp(suffix=".txt", dir=directory)  # nosec B306 - deliberately insecure: demonstration of PSB-TEMPFILE-MKTEMP
    text = render()
    with open(name, "w", encoding="utf-8") as out:
        out.write(text)
    return name


def write_report_secure(directory: str, render: Callable[[], str]) -> str:
    """Create the temporary file first (O_EXCL, mode 0o600), then render and write the report."""
    fd, name = tempfile.mkstemp(suffix=".txt", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render())
    return name


def predict_next_name(directory: Path, suffix: str = ".txt") -> Path:
    """The name ``tempfile`` will try next in this process.

    A stand-in for however a real attacker learns or guesses the name (watching the
    directory, reading a command line that contains it, or retrying until a race is won):
    it copies the state of ``tempfile``'s shared name generator, a private detail.
    """
    rng = copy.deepcopy(tempfile._get_candidate_names().rng)  # noqa: SLF001 - see docstring
    name = "".join(rng.choices(tempfile._RandomNameSequence.characters, k=8))  # noqa: SLF001
    return directory / f"{tempfile.template}{name}{suffix}"


def attack(func: Callable[..., str]) -> Outcome:
    """While the victim renders, Mallory plants a symlink at the chosen name."""
    with private_tmpdir() as tmp:
        shared = tmp / "shared-tmp"
        shared.mkdir()
        victim_file = tmp / "victim.conf"
        victim_file.write_text(ORIGINAL, encoding="utf-8")
        predicted = predict_next_name(shared)
        planted = []

        def render() -> str:
            # The slow part of the victim's work is Mallory's window.
            try:
                predicted.symlink_to(victim_file)
                planted.append("symlink planted in time")
            except FileExistsError:
                planted.append("the name already existed as the victim's own file")
            return "report body\n"

        name = Path(func(str(shared), render))
        overwritten = victim_file.read_text(encoding="utf-8") != ORIGINAL
        same_name = "same name as predicted" if name == predicted else "another name"
    verdict = "victim.conf overwritten through the link" if overwritten else "victim.conf intact"
    return Outcome(attack_succeeded=overwritten,
                   observed=f"{planted[0]}; victim wrote {same_name}; {verdict}")


RISK = register(
    Risk(
        id="PSB-TEMPFILE-MKTEMP",
        title="tempfile.mktemp: a name somebody else can create first",
        summary="mktemp returns a name that another user can create, as a symlink, before "
        "the program opens it; mkstemp creates the file atomically.",
        cwe=377,
        bandit=("B306",),
        modules=("tempfile",),
        page="practices/files",
        insecure=write_report_insecure,
        secure=write_report_secure,
        attack=attack,
    )
)
