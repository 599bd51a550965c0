"""The risk catalogue: every risk the book demonstrates, defined once.

Each topic module (``asserts``, ``pickling``, ...) defines an insecure function, a secure
function and an attack, and registers them as a :class:`Risk` with a stable id. The book's
pages, the reference table, the ``pysecbook risks``/``pysecbook demo`` commands and the tests
all read this one registry. Book page: ``book/reference/risks``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Demo", "DemonstrationUnavailable", "Outcome", "Risk", "all_risks", "get", "register"]


class DemonstrationUnavailable(RuntimeError):
    """The attack needs something this machine cannot give (root, a kernel feature); the
    message says what. Nothing was run."""


@dataclass(frozen=True)
class Outcome:
    """What the attacker observably got from one implementation."""

    attack_succeeded: bool
    observed: str

    def as_dict(self) -> dict[str, object]:
        return {"attack_succeeded": self.attack_succeeded, "observed": self.observed}


@dataclass(frozen=True)
class Demo:
    """The same attack, run against the insecure and the secure implementation."""

    risk_id: str
    insecure: Outcome
    secure: Outcome

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.risk_id,
            "insecure": self.insecure.as_dict(),
            "secure": self.secure.as_dict(),
        }

    def __str__(self) -> str:
        def verdict(outcome: Outcome) -> str:
            return "attack SUCCEEDED" if outcome.attack_succeeded else "attack failed"

        return (
            f"{self.risk_id}\n"
            f"  insecure: {verdict(self.insecure)}\n"
            f"    {self.insecure.observed}\n"
            f"  secure: {verdict(self.secure)}\n"
            f"    {self.secure.observed}"
        )


def _ref(func: Callable[..., object]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


@dataclass(frozen=True)
class Risk:
    """One risk: what it is, where the book shows it, and the code that demonstrates it.

    ``attack`` receives an implementation (``insecure`` or ``secure``) and returns what the
    attacker got from it. It must be harmless by construction: private temporary
    directories, child interpreters with timeouts, loopback only.
    """

    id: str
    title: str
    cwe: int
    bandit: tuple[str, ...]
    modules: tuple[str, ...]
    page: str
    insecure: Callable[..., object]
    secure: Callable[..., object]
    attack: Callable[[Callable[..., object]], Outcome]
    summary: str = ""
    tags: tuple[str, ...] = field(default=())
    #: Says why the attack cannot run here (None when it can), for attacks that need more
    #: than an ordinary process has, such as starting a child as another user.
    requires: Callable[[], str | None] | None = None
    #: The project's own Bandit rules (``PSB`` and three digits, defined in
    #: ``pysecbook.checker.detections``) that flag the insecure function.
    detections: tuple[str, ...] = field(default=())
    #: When neither Bandit nor a project rule flags the insecure function: why no static
    #: rule can tell it from the secure one (one sentence).
    no_static_rule: str = ""

    def unavailable(self) -> str | None:
        """Why the attack cannot run on this machine, or None."""
        return self.requires() if self.requires else None

    def demonstrate(self) -> Demo:
        """Run the attack against both implementations (:class:`DemonstrationUnavailable`
        when it cannot run here)."""
        reason = self.unavailable()
        if reason:
            raise DemonstrationUnavailable(f"{self.id} cannot be demonstrated here: {reason}")
        return Demo(self.id, self.attack(self.insecure), self.attack(self.secure))

    def replay(self) -> str:
        """The demonstration as text, or the sentence saying why it cannot run here."""
        try:
            return str(self.demonstrate())
        except DemonstrationUnavailable as exc:
            return str(exc)

    @property
    def insecure_ref(self) -> str:
        return _ref(self.insecure)

    @property
    def secure_ref(self) -> str:
        return _ref(self.secure)

    @property
    def static_rules(self) -> tuple[str, ...]:
        """Every rule id that flags the insecure function: Bandit's, then the project's."""
        return (*self.bandit, *self.detections)

    @property
    def cwe_url(self) -> str:
        return f"https://cwe.mitre.org/data/definitions/{self.cwe}.html"

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "cwe": self.cwe,
            "bandit": list(self.bandit),
            "detections": list(self.detections),
            "no_static_rule": self.no_static_rule,
            "modules": list(self.modules),
            "page": self.page,
            "insecure": self.insecure_ref,
            "secure": self.secure_ref,
        }


_REGISTRY: dict[str, Risk] = {}


class DuplicateRiskError(ValueError):
    """Two risks were registered under the same id."""


def register(risk: Risk) -> Risk:
    """Add ``risk`` to the catalogue; an id can be registered only once."""
    if risk.id in _REGISTRY and _REGISTRY[risk.id] is not risk:
        raise DuplicateRiskError(f"risk id {risk.id!r} is registered twice")
    _REGISTRY[risk.id] = risk
    return risk


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)


def all_risks() -> list[Risk]:
    """Every registered risk, ordered by id."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda r: r.id)


def _load_declaring(risk_id: str) -> None:
    """Import only the module(s) of this package whose source declares ``id="RISK_ID"``.

    A page that shows one risk then imports one topic module, not all of them with their
    dependencies (about 0.4 s in every kernel that calls :func:`get`); an id declared any
    other way is still found, by loading everything.
    """
    pattern = re.compile(rf"""\bid\s*=\s*["']{re.escape(risk_id)}["']""")
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem != "__init__" and pattern.search(path.read_text(encoding="utf-8")):
            importlib.import_module(f"{__name__}.{path.stem}")
    if risk_id not in _REGISTRY:
        _load_all()


def get(risk_id: str) -> Risk:
    """The risk with this id; ``KeyError`` if there is none."""
    if risk_id not in _REGISTRY:
        _load_declaring(risk_id)
    return _REGISTRY[risk_id]


def iter_by_page(page: str) -> Iterator[Risk]:
    """The risks a given book page presents."""
    return (r for r in all_risks() if r.page == page)
