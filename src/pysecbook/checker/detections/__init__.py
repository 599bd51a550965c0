"""The project's own Bandit rules: patterns Bandit does not flag, each with a stable id.

Each detection is an ordinary Bandit plugin: a function that Bandit calls with a context
describing one AST node and that returns a ``bandit.Issue`` or ``None``. The functions are
registered in the ``bandit.plugins`` entry-point group of this project's ``pyproject.toml``,
so once pysecbook is installed next to Bandit, ``bandit -l`` lists them, ``bandit -r`` runs
them, and so does every in-memory ``BanditManager(BanditConfig(), ...)``, the one
``pysecbook check`` uses included. This package never imports :mod:`pysecbook.teaching`.

**Id scheme.** Bandit takes a plugin's test id as given (``test_properties.test_id`` stores
any string, ``extension_loader.Manager`` indexes plugins by it, and a second plugin with an
id already taken silently replaces the first in ``plugins_by_id``). Two things constrain it:

- ``# nosec`` comments are read with the pattern ``(?:(B\\d+|[a-z\\d_]+),?)+`` (ignoring
  case), so an id with a hyphen is cut in pieces and ignored: ids are letters and digits;
- Bandit's own ids are ``B`` and three digits, handed out by family (B1xx miscellaneous,
  B2xx frameworks, B3xx calls and B4xx imports of its blacklist, B5xx cryptography, B6xx
  injection, B7xx cross-site scripting); any ``B`` id may be taken by its next release.

So the project's ids are ``PSB`` and three digits, never reused; the first digit is the
family: 1 numbers, 2 text and encodings, 3 errors and resources, 4 concurrency, 5 control
flow and names, 6 input handling, 7 network and processes, 8 disclosure and supply chain.
They cannot collide with Bandit's, and ``# nosec PSB101`` or ``bandit -s PSB101`` name one.
Each entry-point name (also accepted by ``# nosec`` and ``-t``/``-s``) starts with
``pysecbook_``, so none can shadow one of Bandit's plugin names.

Book page: ``book/culture/detections``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Detection", "all_detections", "get"]

#: Severity and confidence, as Bandit spells them.
LEVELS = ("LOW", "MEDIUM", "HIGH")

#: The families of the id scheme (the first digit after ``PSB``).
FAMILIES = {
    "1": "numbers",
    "2": "text and encodings",
    "3": "errors and resources",
    "4": "concurrency",
    "5": "control flow and names",
    "6": "input handling",
    "7": "network and processes",
    "8": "disclosure and supply chain",
}

Plugin = Callable[..., object]

_REGISTRY: dict[str, Detection] = {}
_PLUGINS: dict[str, Plugin] = {}


class DuplicateDetectionError(ValueError):
    """Two detections were defined with the same id."""


@dataclass(frozen=True)
class Detection:
    """One rule: its id, what it flags, how bad it is, and samples it is tested on.

    ``flags`` are short sources the rule must report, ``passes`` near misses it must not
    (legitimate code that looks alike). The tests run Bandit on every one of them, and the
    book shows them.
    """

    id: str
    title: str
    cwe: int
    severity: str
    confidence: str
    fix: str
    flags: tuple[str, ...] = field(default=())
    passes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.id in _REGISTRY:
            raise DuplicateDetectionError(f"detection id {self.id!r} is defined twice")
        _REGISTRY[self.id] = self

    @property
    def family(self) -> str:
        return FAMILIES[self.id[3]]

    @property
    def plugin(self) -> Plugin:
        """The Bandit plugin function that implements this detection."""
        return _PLUGINS[self.id]

    @property
    def entry_point(self) -> str:
        """``name = "module:function"``, the line that registers the plugin."""
        func = self.plugin
        return f'{func.__name__} = "{func.__module__}:{func.__qualname__}"'

    @property
    def cwe_url(self) -> str:
        return f"https://cwe.mitre.org/data/definitions/{self.cwe}.html"

    def checks(self, *node_types: str) -> Callable[[Plugin], Plugin]:
        """Make ``func`` this detection's Bandit plugin, run on ``node_types`` nodes."""

        def register(func: Plugin) -> Plugin:
            from bandit.core import test_properties

            if self.id in _PLUGINS:
                raise DuplicateDetectionError(f"detection {self.id} has two plugins")
            func = test_properties.checks(*node_types)(test_properties.test_id(self.id)(func))
            _PLUGINS[self.id] = func
            return func

        return register

    def issue(self, text: str, *, lineno: int | None = None) -> Any:
        """The finding Bandit reports (a ``bandit.Issue``): ``text``, then how to fix it."""
        from bandit.core import issue

        return issue.Issue(severity=self.severity, confidence=self.confidence, cwe=self.cwe,
                             text=f"{text} {self.fix}", lineno=lineno)


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if not info.name.rsplit(".", 1)[1].startswith("_"):
            importlib.import_module(info.name)


def all_detections() -> list[Detection]:
    """Every detection, ordered by id."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda d: d.id)


def get(detection_id: str) -> Detection:
    """The detection with this id; ``KeyError`` if there is none."""
    _load_all()
    return _REGISTRY[detection_id]


# Bandit loads its plugins, these included, through entry points the first time it is
# imported. Importing it here, once the registry above exists, means that whichever comes
# first (Bandit, or a module of this package) every plugin module is imported whole before
# Bandit looks up its function; otherwise Bandit would find a half-imported module and skip
# the plugin without a word.
import bandit  # noqa: E402,F401
