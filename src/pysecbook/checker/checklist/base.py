"""The shape every check has, the context it reads, and the registry of checks.

A check is a small class named by its id (``M1`` ... ``M9`` for the source checklist's
must-do items, ``C1`` ... ``C5`` for its could-do items), whose docstring is its title; it
has a level, an explanation with the fix, a ``url`` pointing at its section in the book, and a
``run(ctx)`` that returns a :class:`CheckResult`. Book page: ``book/checklist/index``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from pysecbook.checker.checklist.environment import RuntimeEnvironment, detect_environment
from pysecbook.checker.declarations import ProjectInfo, declarations
from pysecbook.checker.scan.model import LEVELS, Finding, ScanOutcome, Target, Unscanned

STATUSES = ("pass", "fail", "warn", "manual", "skip", "error")
CHECK_LEVELS = ("must", "could")

#: Where the book is published; every check's ``url`` is built from it by :func:`book_url`.
BOOK_URL = "https://pysecbook.github.io/pysecbook/"


def today() -> date:
    """The day the checks are judged on when the caller names none: the real date.

    The one place the checker reads the clock for a date, so that a caller (or a test) can
    pass ``today`` to :class:`CheckContext` instead and get the same verdict on any day.
    """
    return date.today()


def book_url(page: str, label: str) -> str:
    """The address of ``label`` on ``page`` (a path under ``book/``, without suffix)."""
    return f"{BOOK_URL}book/{page}.html#{label}"


@dataclass(frozen=True)
class CheckResult:
    """What one check concluded: a status, a one-line summary, and the evidence."""

    status: str
    summary: str
    details: tuple[str, ...] = ()
    #: Overrides the check's own ``judges`` when this result's evidence is all about the
    #: machine running the check (M1 on pip's settings here, not on the target's sources).
    judges: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.judges not in (None, "target", "machine"):
            raise ValueError(f"unknown judge {self.judges!r}")


@dataclass
class CheckContext:
    """Everything a check may look at. Built once per target, shared by every check."""

    target: Target
    outcome: ScanOutcome = field(default_factory=ScanOutcome)
    fail_on: str = "high"
    environment: RuntimeEnvironment | None = None
    today: date | None = None
    #: None: run pip-audit; a callable: use it instead (tests, or offline demonstrations).
    auditor: Callable[[list[tuple[str, str]]], Any] | None = None
    support_status: Callable[..., Any] | None = None
    #: The target is the user's own project (its settings and nosec comments were honoured).
    own_project: bool = False
    #: What the package index said about the target (an ``IndexFacts``), None for a local one.
    index: Any = None

    def __post_init__(self) -> None:
        if self.fail_on not in LEVELS:
            raise ValueError(f"fail_on must be one of {LEVELS}, not {self.fail_on!r}")
        if self.environment is None:
            self.environment = detect_environment()
        if self.today is None:
            self.today = today()

    @functools.cached_property
    def project(self) -> ProjectInfo:
        """What the target declares: its manifests, read once per target, and the literal
        ``setup()`` arguments the scan's workers read from ``setup.py``."""
        return declarations(self.target).project(self.outcome.setup_kwargs)

    @functools.cached_property
    def findings(self) -> list[Finding]:
        """Problems found while reading the target and by the scan: the scan's outcome carries
        both, each once (:func:`~pysecbook.checker.scan.scan`)."""
        return list(self.outcome.findings)

    @functools.cached_property
    def unscanned(self) -> list[Any]:
        """Everything that could not be read or scanned: the reading's and the scan's
        refusals (the scan's outcome carries both), and declaration files an installer would
        read but this check cannot (a requirements file in an undecodable encoding)."""
        declared = [Unscanned(p, why) for p, why in sorted(self.project.unreadable.items())]
        return [*self.outcome.unscanned, *declared]

    @functools.cached_property
    def imports(self) -> dict[str, list[tuple[str, int]]]:
        """Absolute imports of every Python file: module name -> [(path, line)], as the scan
        read them in its workers (the checks never parse the target's code themselves)."""
        return self.outcome.imports


_REGISTRY: dict[str, type[Check]] = {}


class Check:
    """Base of every check. Subclasses: docstring = title; ``run`` docstring = explanation."""

    id: ClassVar[str] = ""
    level: ClassVar[str] = "must"
    #: Page under book/ holding this check's section; its label is ``<page>-<id>``
    #: with ``/`` replaced by ``-`` (``checklist-must-m1``).
    page: ClassVar[str] = "checklist/must"
    family: ClassVar[str] = ""
    #: "target" for a check about the program, "machine" for one about where it would run.
    judges: ClassVar[str] = "target"
    #: Its "manual" is the user's decision by nature (a recovery plan), never a gap in the
    #: evidence: it does not ask for a review.
    manual_by_nature: ClassVar[bool] = False
    #: It reports the scan's gaps itself, so the verdict's reasons need not list them again.
    covers_scan_gaps: ClassVar[bool] = False
    #: For a release fetched from an index, evidence in any one of its files counts for all
    #: of them (a licence, the authors' CI): a wheel never carries what its sdist shows.
    evidence_in_any_file: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_") or not cls.__name__[0].isupper() or not cls.__name__[1:].isdigit():
            return  # a family base class
        cls.id = cls.__name__
        if cls.id in _REGISTRY:
            raise ValueError(f"check {cls.id} defined twice")
        if cls.level not in CHECK_LEVELS:
            raise ValueError(f"{cls.id}: level must be one of {CHECK_LEVELS}")
        _REGISTRY[cls.id] = cls

    @classmethod
    def title(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").splitlines()[0]

    @classmethod
    def explanation(cls) -> str:
        """The run() docstring: why it matters and how to fix a failure (one paragraph)."""
        return " ".join(inspect.cleandoc(cls.run.__doc__ or "").split())

    @classmethod
    def label(cls) -> str:
        return f"{cls.page.replace('/', '-')}-{cls.id.lower()}"

    @classmethod
    def url(cls) -> str:
        return book_url(cls.page, cls.label())

    def run(self, ctx: CheckContext) -> CheckResult:  # pragma: no cover - abstract
        raise NotImplementedError


def all_checks() -> list[type[Check]]:
    """Every registered check: the must-do items first, each group in id order."""
    return sorted(_REGISTRY.values(), key=lambda c: (CHECK_LEVELS.index(c.level), int(c.id[1:])))


def get_check(check_id: str) -> type[Check]:
    """The check with this id (``KeyError`` with the known ids if there is none)."""
    try:
        return _REGISTRY[check_id.upper()]
    except KeyError:
        raise KeyError(f"unknown check {check_id!r}; known: {', '.join(_REGISTRY)}") from None
