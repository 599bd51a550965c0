"""Dependency confusion: a second index offers a higher version of an internal name.

``pip install --extra-index-url`` does not rank indexes: it gathers every candidate from
every index and installs the highest version. An attacker who publishes a company's
internal package name on a public index, with a higher version number, wins.

The command line is not the only place an index comes from. pip also reads ``PIP_*``
environment variables (``PIP_EXTRA_INDEX_URL``, ``PIP_FIND_LINKS``, often set by a CI
system) and configuration files (``~/.config/pip/pip.conf``, ``/etc/pip.conf``, the
environment's own ``pip.conf``, or the file ``PIP_CONFIG_FILE`` names), and adds what they
list to the command line's indexes. The secure options run pip ``--isolated``, which ignores
the variables and the user's file; the adapted attacks put the public index there.
Book page: ``book/culture/supply-chain``.
"""

from __future__ import annotations

from pathlib import Path

from collections.abc import Mapping

from pysecbook.lab.child import offline_env, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.supply_chain import (
    PIP_TIMEOUT,
    PipRun,
    build_index,
    build_wheel,
    pip_install,
)

#: The internal package, on the company's own index.
INTERNAL_SOURCE = 'ORIGIN = "internal index: the company\'s own acme-utils"\n'
#: The attacker's package under the same name, on the public index, with a higher version.
ATTACKER_SOURCE = 'ORIGIN = "public index: the attacker\'s acme-utils"\n'


def index_options_insecure(internal: str, public: str) -> list[str]:
    """Both indexes for every package: pip picks the highest version from either."""
    return ["--index-url", internal, "--extra-index-url", public]


def index_options_secure(internal: str, public: str) -> list[str]:
    """One index only: the company's, which alone decides where each name comes from, and no
    other index from pip's environment variables or the user's configuration file.

    ``public`` is deliberately unused: in practice the one index is a proxy (devpi,
    Artifactory, Nexus...) that serves internal names from inside and mirrors the rest.
    ``--isolated`` makes pip ignore every ``PIP_*`` variable and the user's ``pip.conf``,
    where a CI system or an old setup may have added ``extra-index-url``.

    Assumes: the configuration files that ``--isolated`` still reads name no other index:
    the global ones (``/etc/pip.conf``, ``/etc/xdg/pip/pip.conf``), the environment's own
    (``sys.prefix/pip.conf``) and one named by ``PIP_CONFIG_FILE`` (``pip config debug``
    lists them all); and the requirements files installed name none either (pip honours
    ``--extra-index-url`` and ``--find-links`` lines in them).
    Does not stop: the internal index itself serving a bad file, or mirroring an attacker's
    public package under a name it does not hold; and a requirement given as a URL
    (``name @ https://...``), which no index option affects. A lock file with hashes is
    what ties each name to its bytes.
    """
    del public
    return ["--isolated", "--index-url", internal]


def index_options_first_try(internal: str, public: str) -> list[str]:
    """The fix as this book first wrote it: one ``--index-url``, and nothing about the other
    places pip reads indexes from. Kept to show the adapted attacks beating it."""
    del public
    return ["--index-url", internal]


def build_indexes(workdir: Path) -> tuple[str, str]:
    """The internal index (``acme-utils 1.0``) and the attacker's (``acme-utils 99.0``)."""
    internal = build_wheel(workdir / "build-internal", "acme-utils", "1.0", INTERNAL_SOURCE)
    public = build_wheel(workdir / "build-public", "acme-utils", "99.0", ATTACKER_SOURCE)
    return build_index(workdir / "internal", [internal]), build_index(workdir / "public", [public])


def install_with(options: list[str], workdir: Path, requirement: str = "acme-utils") -> PipRun:
    """``pip install OPTIONS REQUIREMENT`` into a fresh target directory under ``workdir``."""
    target = workdir / f"site-packages-{len(list(workdir.glob('site-packages-*')))}"
    return pip_install([*options, requirement], workdir=workdir, target=target)


def attack(index_options: object) -> Outcome:
    """The attacker publishes ``acme-utils 99.0`` on the public index."""
    with private_tmpdir() as tmp:
        internal, public = build_indexes(tmp)
        run = install_with(index_options(internal, public), tmp)  # type: ignore[operator]
        text = (run.module_text("acme_utils") or "").strip()
        version = run.installed().get("acme-utils")
    if not run.ok:
        return Outcome(False, f"pip installed nothing: {run.error()}")
    return Outcome("attacker" in text, f"pip installed acme-utils {version}: {text}")


def install_in_build_environment(options: list[str], workdir: Path, *,
                                 variables: Mapping[str, str] | None = None,
                                 user_config: str | None = None,
                                 requirement: str = "acme-utils") -> PipRun:
    """``pip install OPTIONS REQUIREMENT`` as a build machine runs it: with ``variables`` in
    its environment and ``user_config`` as the build user's ``~/.config/pip/pip.conf``.

    Unlike :func:`pysecbook.teaching.supply_chain.pip_install`, which switches every
    configuration file off, this child reads pip's configuration as a build would: the
    private home directory's file, and the machine's ``/etc/pip.conf`` (the machine's
    ``/etc/xdg/pip`` is replaced by an empty directory). It is offline by construction all the
    same: every HTTP request goes to a port that refuses it, and ``--retries 0``.
    """
    home = workdir / f"home-{len(list(workdir.glob('home-*')))}"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / "xdg").mkdir()
    if user_config is not None:
        (home / ".config" / "pip" / "pip.conf").write_text(user_config, encoding="utf-8")
    target = home / "site-packages"
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(home / "xdg"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", **offline_env(),
           **(variables or {})}
    argv = ("install", "--no-cache-dir", "--no-compile", "--retries", "0", "--timeout", "5",
            "--target", str(target), *options, requirement)
    done = run_python(None, cwd=workdir, flags=["-m", "pip"], args=argv, env=env,
                      timeout=PIP_TIMEOUT)
    return PipRun(("install", *options, requirement), done, target)


def _installed(run: PipRun) -> tuple[bool, str]:
    """Whether the attacker's package went in, and what pip installed (read before the
    private directory is removed)."""
    if not run.ok:
        return False, f"pip installed nothing ({run.error()})"
    text = (run.module_text("acme_utils") or "").strip()
    origin = text.split('"')[1] if '"' in text else text
    return "attacker" in text, f"acme-utils {run.installed().get('acme-utils')} ({origin})"


def attack_index_in_environment(index_options: object) -> Outcome:
    """The build machine's environment names the public index, as CI settings often do:
    ``PIP_EXTRA_INDEX_URL`` (a second index) and ``PIP_FIND_LINKS`` (a folder of wheels)."""
    with private_tmpdir() as tmp:
        internal, public = build_indexes(tmp)
        variables = {"PIP_EXTRA_INDEX_URL": public,  # nosec PSB802 - deliberately insecure: demonstration of PSB-DEP-CONFUSION (a sandboxed pip child)
                     "PIP_FIND_LINKS": str(tmp / "build-public")}
        run = install_in_build_environment(index_options(internal, public),  # type: ignore[operator]
                                           tmp, variables=variables)
        attacker, text = _installed(run)
    return Outcome(attacker, f"with {' and '.join(variables)} set: {text}")


def attack_index_in_user_config(index_options: object) -> Outcome:
    """The build user's ``~/.config/pip/pip.conf``, left by an earlier setup or written by a
    tool, adds the public index with ``extra-index-url``."""
    with private_tmpdir() as tmp:
        internal, public = build_indexes(tmp)
        config = f"[global]\nextra-index-url = {public}\n"
        run = install_in_build_environment(index_options(internal, public),  # type: ignore[operator]
                                           tmp, user_config=config)
        attacker, text = _installed(run)
    return Outcome(attacker, f"with extra-index-url in the user's pip.conf: {text}")


RISK = register(
    Risk(
        id="PSB-DEP-CONFUSION",
        title="Dependency confusion through --extra-index-url",
        summary="With two indexes pip installs the highest version of a name from either one.",
        cwe=427,
        bandit=(),
        detections=("PSB802",),
        modules=("pip",),
        page="culture/supply-chain",
        insecure=index_options_insecure,
        secure=index_options_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("the public index in the build's environment: PIP_EXTRA_INDEX_URL, "
                          "PIP_FIND_LINKS", "context", attack_index_in_environment,
                          beats=index_options_first_try),
            AdaptedAttack("extra-index-url in the build user's pip.conf", "variant",
                          attack_index_in_user_config, beats=index_options_first_try),
        ),
    )
)
