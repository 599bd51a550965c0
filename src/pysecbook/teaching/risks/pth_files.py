"""A ``.pth`` file in a site directory runs code at every interpreter start.

At start-up, the :mod:`site` module reads every ``*.pth`` file in the site-packages
directories and executes each line that begins with ``import`` followed by a space or a tab.
Whoever can write one file there runs code in every later Python process of that environment,
before the program's first line. ``-S`` skips :mod:`site` altogether; ``-s`` and ``-I`` only
skip the *user* site directory, so a ``.pth`` in the main site-packages still runs under
``-I``. The demonstrations use a throw-away virtual environment in a private temporary
directory, never the real one.

A ``.pth`` line is not the only thing :mod:`site` runs: it imports a ``sitecustomize`` module
from site-packages, and a ``usercustomize`` module from the user site directory when that is
enabled. The adapted attacks plant those instead; ``-S`` stops them too, since it stops
:mod:`site` itself.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import json
import os
import re
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The program the launchers start: it needs nothing but the standard library.
TOOL = "print('tool: hello, world')"

#: The start-up variants compared on the page.
FLAG_VARIANTS: tuple[tuple[str, ...], ...] = ((), ("-s",), ("-E",), ("-I",), ("-S",), ("-I", "-S"))


def run_tool_insecure(python: str, workdir: str, home: str) -> Completed:
    """Start the tool the ordinary way: :mod:`site` runs and processes every ``.pth`` file."""
    return run_python(TOOL, python=python, cwd=Path(workdir), env={"HOME": home})


def run_tool_secure(python: str, workdir: str, home: str) -> Completed:
    """Start the tool with ``-S`` (no :mod:`site`, so no ``.pth``) and ``-I`` (isolated).

    Assumes: the tool needs nothing but the standard library (``-S`` leaves site-packages
    off ``sys.path``), and whoever can write site-packages cannot write the interpreter,
    its standard library or the environment's ``pyvenv.cfg``.
    Does not stop: anyone who can write the environment outside site-packages (its
    ``bin/python`` is theirs to replace); a tool that adds site-packages to ``sys.path``
    itself and imports from it (a path added by hand runs no ``.pth``, but the modules there
    are whatever was installed); and every other process of the environment, started
    without ``-S``, in which the ``.pth`` still runs.
    """
    return run_python(TOOL, python=python, cwd=Path(workdir), env={"HOME": home}, flags=["-I", "-S"])


def make_throwaway_venv(where: Path, *, system_site_packages: bool = False) -> Path:
    """Create a virtual environment without pip in ``where``; return its interpreter."""
    venv.EnvBuilder(with_pip=False, symlinks=True, system_site_packages=system_site_packages).create(where)
    return where / "bin" / "python"


@dataclass(frozen=True)
class SiteDirs:
    """What :mod:`site` of one interpreter uses, as seen by a child started normally."""

    main: tuple[str, ...]
    user: str
    user_enabled: bool


def site_dirs(python: Path, home: Path) -> SiteDirs:
    """Ask ``python`` (started normally, with ``HOME=home``) for its site directories."""
    code = (
        "import json, site; print(json.dumps([site.getsitepackages(), "
        "site.getusersitepackages(), bool(site.ENABLE_USER_SITE)]))"
    )
    done = run_python(code, python=python, cwd=home, env={"HOME": str(home)})
    main, user, enabled = json.loads(last_line(done.stdout))
    return SiteDirs(tuple(main), user, enabled)


def pth_payload(marker: Path, label: str) -> str:
    """One ``.pth`` line that appends ``label`` to ``marker`` each time it runs."""
    return f"import sys; open({str(marker)!r}, 'a').write({label!r} + ' ran in ' + sys.prefix + '\\n')\n"


def plant_pth(site_dir: Path, marker: Path, label: str) -> Path:
    """Write the attacker's ``.pth`` file into ``site_dir``."""
    site_dir.mkdir(parents=True, exist_ok=True)
    pth = site_dir / "zz_helper.pth"
    pth.write_text(pth_payload(marker, label), encoding="utf-8")
    return pth


_BOMS = ("\ufeff", "\u00ef\u00bb\u00bf")  # a UTF-8 byte order mark, read as UTF-8 and as Latin-1


def _site_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as each current :mod:`site` may cut them: at ``\n`` and ``\r``
    only (3.11, and 3.12 before 3.12.4, read the file in universal-newlines mode), and at
    every boundary ``str.splitlines`` knows (3.12.4 and later, and 3.13, split the decoded
    text with it)."""
    yield from re.split(r"\r\n|\r|\n", text)
    yield from text.splitlines()


def executable_pth_lines(site_dir: Path) -> list[tuple[str, str]]:
    """Every line of every ``.pth`` file in ``site_dir`` that :mod:`site` may execute.

    The rule is :mod:`site`'s own: a line starting with ``import`` and a space or a tab. The
    reading is the widest that a current release uses, so that no code any of them runs is
    left out: every name ending in ``.pth`` (the security releases of 2024 and later skip
    names that start with a dot, older ones read them); the text decoded both as UTF-8 and as
    Latin-1 (3.11 uses the locale's encoding, newer releases UTF-8 and then the locale's); a
    byte order mark at the start ignored (3.13 strips it); and both ways of cutting lines.
    The last matters: on 3.11, ``import os;`` followed by a form feed and more code is one
    line, and all of it runs, while ``str.splitlines`` would show only ``import os;``. A line
    may be listed that one release would not run, or listed both whole and cut; each text is
    listed once.
    """
    found: list[tuple[str, str]] = []
    try:
        names = sorted(n for n in os.listdir(site_dir) if n.endswith(".pth"))
    except OSError:
        return found
    for name in names:
        try:
            data = (site_dir / name).read_bytes()
        except OSError:
            continue
        for text in (data.decode("utf-8", errors="replace"), data.decode("latin-1")):
            for bom in _BOMS:
                text = text.removeprefix(bom)
            for line in _site_lines(text):
                if line.startswith(("import ", "import\t")) and (name, line) not in found:
                    found.append((name, line))
    return found


def _runs(marker: Path) -> list[str]:
    if not marker.is_file():
        return []
    return marker.read_text(encoding="utf-8").splitlines()


def attack(func: object) -> Outcome:
    """Plant a ``.pth`` in a throw-away venv's main site-packages, then start the tool."""
    with private_tmpdir() as tmp:
        python = make_throwaway_venv(tmp / "venv")
        home = tmp / "home"
        home.mkdir()
        marker = tmp / "marker.txt"
        plant_pth(Path(site_dirs(python, home).main[0]), marker, "planted .pth")
        done = func(str(python), str(home), str(home))  # type: ignore[operator]
        runs = _runs(marker)
    tool = last_line(done.stdout) or "no output"
    what = f"the .pth line ran {len(runs)} time(s) before the tool" if runs else "the .pth never ran"
    return Outcome(attack_succeeded=bool(runs), observed=f"{tool!r}; {what}")


#: What the attacker's ``sitecustomize``/``usercustomize`` module does: append a line to the
#: marker named in it.
CUSTOMIZE = "import sys\nopen({marker!r}, 'a').write({label!r} + ' ran in ' + sys.prefix + '\\n')\n"


def attack_sitecustomize(func: object) -> Outcome:
    """No ``.pth`` at all: a ``sitecustomize.py`` in the environment's site-packages, which
    :mod:`site` imports at every start."""
    with private_tmpdir() as tmp:
        python = make_throwaway_venv(tmp / "venv")
        home = tmp / "home"
        home.mkdir()
        marker = tmp / "marker.txt"
        site_dir = Path(site_dirs(python, home).main[0])
        (site_dir / "sitecustomize.py").write_text(  # nosec PSB-RF-STARTUP-WRITE - the attacker's file of PSB-PTH-STARTUP, in a throw-away venv in a private temp dir
            CUSTOMIZE.format(marker=str(marker), label="sitecustomize.py"), encoding="utf-8")
        done = func(str(python), str(home), str(home))  # type: ignore[operator]
        runs = _runs(marker)
    what = f"sitecustomize.py ran {len(runs)} time(s) before the tool" if runs else "sitecustomize.py never ran"
    return Outcome(attack_succeeded=bool(runs), observed=f"{last_line(done.stdout)!r}; {what}")


def attack_usercustomize(func: object) -> Outcome:
    """The user's own site directory, under ``HOME``: a ``usercustomize.py`` there, for an
    environment created with ``--system-site-packages`` (which enables the user site)."""
    with private_tmpdir() as tmp:
        python = make_throwaway_venv(tmp / "venv", system_site_packages=True)
        home = tmp / "home"
        home.mkdir()
        marker = tmp / "marker.txt"
        user_site = Path(site_dirs(python, home).user)
        user_site.mkdir(parents=True)
        (user_site / "usercustomize.py").write_text(  # nosec PSB-RF-STARTUP-WRITE - the attacker's file of PSB-PTH-STARTUP, under a private HOME in a private temp dir
            CUSTOMIZE.format(marker=str(marker), label="usercustomize.py"), encoding="utf-8")
        done = func(str(python), str(home), str(home))  # type: ignore[operator]
        runs = _runs(marker)
    what = f"usercustomize.py ran {len(runs)} time(s) before the tool" if runs else "usercustomize.py never ran"
    return Outcome(attack_succeeded=bool(runs), observed=f"{last_line(done.stdout)!r}; {what}")


@dataclass(frozen=True)
class Row:
    """One start-up of the tool: which site directory held the ``.pth``, the flags, the runs."""

    site: str
    flags: tuple[str, ...]
    runs: int
    output: str


def startup_matrix() -> list[Row]:
    """Plant a ``.pth`` in a main and in a user site directory; start with each flag variant.

    The main site directory is a throw-away venv's site-packages. The user site directory is
    ``~/.local/lib/pythonX.Y/site-packages`` under a private ``HOME``; :mod:`site` only uses
    it for a venv created with ``system_site_packages=True`` (or a plain interpreter).
    """
    rows = []
    with private_tmpdir() as tmp:
        home = tmp / "home"
        home.mkdir()
        setups = []
        python = make_throwaway_venv(tmp / "venv-main")
        setups.append(("main", python, Path(site_dirs(python, home).main[0])))
        python = make_throwaway_venv(tmp / "venv-user", system_site_packages=True)
        setups.append(("user", python, Path(site_dirs(python, home).user)))
        for site_name, python, site_dir in setups:
            marker = tmp / f"marker-{site_name}.txt"
            plant_pth(site_dir, marker, f"{site_name} .pth")
            for flags in FLAG_VARIANTS:
                marker.unlink(missing_ok=True)
                done = run_python(TOOL, python=python, cwd=home, env={"HOME": str(home)}, flags=flags)
                rows.append(Row(site_name, flags, len(_runs(marker)), last_line(done.stdout)))
            (site_dir / "zz_helper.pth").unlink()
    return rows


RISK = register(
    Risk(
        id="PSB-PTH-STARTUP",
        title="A .pth file runs code at every interpreter start",
        summary="An import line in a site-packages .pth file runs in every Python start; "
        "only -S stops it, -I does not for the main site-packages.",
        cwe=427,
        bandit=(),
        no_static_rule="the difference is the flags of a child interpreter (-S, -I); whether "
                       "its site-packages can be trusted is not in the code.",
        modules=("site", "venv"),
        page="fundamentals/execution-model",
        insecure=run_tool_insecure,
        secure=run_tool_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a sitecustomize.py in site-packages instead of a .pth file",
                          "variant", attack_sitecustomize),
            AdaptedAttack("a usercustomize.py in the user site directory of an environment "
                          "that sees system packages", "variant", attack_usercustomize),
        ),
    )
)
