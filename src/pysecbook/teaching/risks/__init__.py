"""The risk catalogue: every risk the book demonstrates, defined once.

Each topic module (``asserts``, ``pickling``, ...) defines an insecure function, a secure
function and an attack, and registers them as a :class:`Risk` with a stable id. The book's
pages, the reference table, the ``pysecbook risks``/``pysecbook demo`` commands and the tests
all read this one registry. Book page: ``book/reference/risks``.

The canonical attack beats the insecure function. A reader copies the secure one, so each risk
also carries :class:`AdaptedAttack` s: what a competent attacker tries next once they have
read the secure code (another encoding, a link or a race, a bigger input, another type,
another context, a misuse of the cryptography). Each is shown beating the insecure function or
a plausible first fix, and failing against the secure one. The secure function's docstring
says what it assumes and what it does not stop (:func:`contract`). Book page:
``book/practices/attack-your-fix``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FAMILIES", "AdaptedAttack", "AdaptedResult", "Contract", "Demo",
           "DemonstrationUnavailable", "Outcome", "Risk", "all_risks", "contract", "get",
           "register"]

#: The families of adapted attacks, each with what it covers. An adapted attack names one.
FAMILIES: dict[str, str] = {
    "encoding": "encodings and normalisation: percent and double encoding, overlong and mixed "
                "separators, Unicode normalisation and look-alikes, NUL bytes, '?' and '#' "
                "splitting",
    "links-races": "links, existing files and races: symlinks and hard links, files already "
                   "on disk, a second archive or request, the window between check and use",
    "exhaustion": "resource exhaustion: size, depth, time and memory past a stated limit",
    "type-confusion": "type confusion: bytes for str, bool for int, a list or a dict where a "
                      "string is expected, subclasses and special values",
    "context": "another context: an HTML attribute, a URL or a script; a shell or an argv; an "
               "SQL identifier or a value; another line of a log",
    "crypto": "cryptographic misuse: missing associated data, nonce reuse, replay, truncation, "
              "length extension, timing, weak parameters",
    "variant": "the same goal by another route: another gadget, another API, another order "
               "of the same steps",
}


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
class AdaptedAttack:
    """An attack aimed at the secure version, the way an attacker who has read it would aim.

    ``run`` receives an implementation and returns what the attacker got, like
    :attr:`Risk.attack`, and is harmless by construction in the same way. ``beats`` is what
    the attack is shown to beat, so that its test can fail: the risk's insecure function
    (``None``), or a plausible first fix defined in the topic module. An attack that could run
    for ever against that target bounds itself (a child with a time limit) and reports the
    stall as the attacker's success.
    """

    name: str
    family: str
    run: Callable[[Callable[..., object]], Outcome]
    beats: Callable[..., object] | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"adapted attack {self.name!r}: unknown family {self.family!r}; "
                             f"one of {', '.join(FAMILIES)}")

    @property
    def ref(self) -> str:
        return _ref(self.run)


@dataclass(frozen=True)
class AdaptedResult:
    """What one adapted attack got from the secure implementation."""

    name: str
    family: str
    outcome: Outcome

    @property
    def held(self) -> bool:
        return not self.outcome.attack_succeeded

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "family": self.family, **self.outcome.as_dict()}


def _verdict(outcome: Outcome) -> str:
    return "attack SUCCEEDED" if outcome.attack_succeeded else "attack failed"


@dataclass(frozen=True)
class Demo:
    """The same attack, run against the insecure and the secure implementation, and the
    adapted attacks run against the secure one (when asked for)."""

    risk_id: str
    insecure: Outcome
    secure: Outcome
    adapted: tuple[AdaptedResult, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.risk_id,
            "insecure": self.insecure.as_dict(),
            "secure": self.secure.as_dict(),
        }
        if self.adapted:
            data["adapted"] = [a.as_dict() for a in self.adapted]
        return data

    def __str__(self) -> str:
        text = (
            f"{self.risk_id}\n"
            f"  insecure: {_verdict(self.insecure)}\n"
            f"    {self.insecure.observed}\n"
            f"  secure: {_verdict(self.secure)}\n"
            f"    {self.secure.observed}"
        )
        if self.adapted:
            text += "\n  adapted attacks, tried against the secure version:"
            for result in self.adapted:
                status = "held" if result.held else "ATTACK SUCCEEDED"
                text += (f"\n    [{result.family}] {result.name}: {status}"
                         f"\n      {result.outcome.observed}")
        return text


@dataclass(frozen=True)
class Contract:
    """What a secure function assumes of its caller and its world, and what it does not stop."""

    assumes: str
    does_not_stop: str


_CONTRACT_LABELS = ("Assumes:", "Does not stop:")


def contract(func: Callable[..., object]) -> Contract:
    """The ``Assumes:`` and ``Does not stop:`` paragraphs of ``func``'s docstring.

    They are written where a reader who copies the function sees them, and the risk card reads
    them from there. A paragraph runs from its label to the next blank line or label; a missing
    one is returned empty (the tests require both).
    """
    found: dict[str, list[str]] = {label: [] for label in _CONTRACT_LABELS}
    current: list[str] | None = None
    for line in (inspect.getdoc(func) or "").splitlines():
        stripped = line.strip()
        label = next((lab for lab in _CONTRACT_LABELS if stripped.startswith(lab)), None)
        if label:
            current = found[label]
            current.append(stripped[len(label):].strip())
        elif not stripped:
            current = None
        elif current is not None:
            current.append(stripped)
    assumes, does_not_stop = (" ".join(found[label]).strip() for label in _CONTRACT_LABELS)
    return Contract(assumes, does_not_stop)


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
    #: What an attacker who has read the secure function tries next (see the module's
    #: docstring); each must fail against ``secure``.
    adapted: tuple[AdaptedAttack, ...] = field(default=())
    #: When there is no adapted attack: why none applies (one sentence).
    no_adapted: str = ""

    def unavailable(self) -> str | None:
        """Why the attack cannot run on this machine, or None."""
        return self.requires() if self.requires else None

    def demonstrate(self, *, adapted: bool = False) -> Demo:
        """Run the attack against both implementations, and with ``adapted`` every adapted
        attack against the secure one (:class:`DemonstrationUnavailable` when it cannot run
        here)."""
        reason = self.unavailable()
        if reason:
            raise DemonstrationUnavailable(f"{self.id} cannot be demonstrated here: {reason}")
        return Demo(self.id, self.attack(self.insecure), self.attack(self.secure),
                    self.try_adapted() if adapted else ())

    def try_adapted(self) -> tuple[AdaptedResult, ...]:
        """Every adapted attack, run against the secure implementation."""
        reason = self.unavailable()
        if reason:
            raise DemonstrationUnavailable(f"{self.id} cannot be demonstrated here: {reason}")
        return tuple(AdaptedResult(a.name, a.family, a.run(self.secure)) for a in self.adapted)

    @property
    def contract(self) -> Contract:
        """What the secure function assumes and does not stop, from its docstring."""
        return contract(self.secure)

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
            "assumes": self.contract.assumes,
            "does_not_stop": self.contract.does_not_stop,
            "adapted": [{"name": a.name, "family": a.family, "attack": a.ref}
                        for a in self.adapted],
            "no_adapted": self.no_adapted,
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
