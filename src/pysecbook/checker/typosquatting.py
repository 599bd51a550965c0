"""Names one typing slip away from a well-known package: the typosquatting pattern.

An attacker publishes ``reqeusts`` or ``python-dateutils`` and waits for a typo in a
``pip install`` line or a requirements file. This module flags a name that is exactly one edit
(insert, delete, substitute, or swap two neighbouring letters) away from one of the few hundred
most downloaded distributions on PyPI, which ship with the package as data. A name that is
itself on that list is never flagged. Names are compared after PEP 503 normalisation, so
``Typing_Extensions`` and ``typing-extensions`` are the same name.

Book page: ``book/checklist/must`` (check M4) and the supply-chain chapter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """The PEP 503 normal form of a distribution name."""
    return _SEPARATORS.sub("-", name.strip()).lower()


@functools.lru_cache(maxsize=1)
def popular_names() -> frozenset[str]:
    """The well-known distribution names shipped with pysecbook (normalised)."""
    text = resources.files("pysecbook").joinpath("data/popular_pypi.txt").read_text("utf-8")
    return frozenset(
        normalize(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def one_edit_apart(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one insertion, deletion, substitution or swap."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@dataclass(frozen=True)
class Suspect:
    """A name that looks like a typo of a well-known one."""

    name: str
    looks_like: str

    def __str__(self) -> str:
        return f"{self.name!r} is one edit away from the well-known {self.looks_like!r}"


def check_name(name: str, known: Iterable[str] | None = None) -> Suspect | None:
    """A :class:`Suspect` if ``name`` is one edit away from a well-known name, else None."""
    names = frozenset(normalize(n) for n in known) if known is not None else popular_names()
    norm = normalize(name)
    if not norm or norm in names:
        return None
    for candidate in sorted(names):
        if one_edit_apart(norm, candidate):
            return Suspect(name=name, looks_like=candidate)
    return None


def check_names(names: Iterable[str], known: Iterable[str] | None = None) -> list[Suspect]:
    """Every suspect among ``names``, in the order given, each name once."""
    seen: set[str] = set()
    found = []
    for name in names:
        if normalize(name) in seen:
            continue
        seen.add(normalize(name))
        suspect = check_name(name, known)
        if suspect:
            found.append(suspect)
    return found
