"""Dependency confusion: a second index offers a higher version of an internal name.

``pip install --extra-index-url`` does not rank indexes: it gathers every candidate from
every index and installs the highest version. An attacker who publishes a company's
internal package name on a public index, with a higher version number, wins.
Book page: ``book/culture/supply-chain``.
"""

from __future__ import annotations

from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir
from pysecbook.teaching.supply_chain import PipRun, build_index, build_wheel, pip_install

#: The internal package, on the company's own index.
INTERNAL_SOURCE = 'ORIGIN = "internal index: the company\'s own acme-utils"\n'
#: The attacker's package under the same name, on the public index, with a higher version.
ATTACKER_SOURCE = 'ORIGIN = "public index: the attacker\'s acme-utils"\n'


def index_options_insecure(internal: str, public: str) -> list[str]:
    """Both indexes for every package: pip picks the highest version from either."""
    return ["--index-url", internal, "--extra-index-url", public]


def index_options_secure(internal: str, public: str) -> list[str]:
    """One index only: the company's, which alone decides where each name comes from.

    ``public`` is deliberately unused: in practice the one index is a proxy (devpi,
    Artifactory, Nexus...) that serves internal names from inside and mirrors the rest.
    """
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
    )
)
