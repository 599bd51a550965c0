"""Which licence a project is under, from its SPDX expression or from the text of its licence.

An SPDX expression (PEP 639 ``License-Expression``, ``[project] license``) is parsed by
``packaging.licenses``, never by a hand-written pattern, and each identifier is looked up in
the list of free and open-source licences shipped with pysecbook. A licence *file* counts
only when it holds the licence's own text: every passage of that licence that carries its
terms, in order of appearance or not, with words compared after normalising case,
punctuation and line breaks. A phrase anywhere ("not the Apache License; all rights
reserved") is not a licence. Book page: ``book/checklist/must`` (check M6).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

__all__ = ["LICENCE_TEXTS", "LicenceText", "classify_license", "identify_text"]

#: Expressions longer than this are not read (no licence expression needs it).
MAX_EXPRESSION = 1000


@dataclass(frozen=True)
class LicenceText:
    """A licence, recognised by passages its text must hold."""

    spdx: str
    passages: tuple[str, ...]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


#: Passages that carry each licence's terms (normalised when compared). A text must hold
#: all the passages of one licence to be recognised as that licence.
LICENCE_TEXTS: tuple[LicenceText, ...] = tuple(
    LicenceText(spdx, tuple(_norm(p) for p in passages)) for spdx, passages in (
        ("MIT", (
            "Permission is hereby granted, free of charge, to any person obtaining a copy of "
            "this software",
            "The above copyright notice and this permission notice shall be included in all "
            "copies or substantial portions of the Software",
            "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND")),
        ("BSD-3-Clause", (
            "Redistribution and use in source and binary forms, with or without modification, "
            "are permitted provided that the following conditions are met",
            "Redistributions of source code must retain the above copyright notice",
            "Redistributions in binary form must reproduce the above copyright notice",
            "Neither the name of",
            "THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS")),
        ("BSD-2-Clause", (
            "Redistribution and use in source and binary forms, with or without modification, "
            "are permitted provided that the following conditions are met",
            "Redistributions of source code must retain the above copyright notice",
            "Redistributions in binary form must reproduce the above copyright notice")),
        ("Apache-2.0", (
            "Apache License", "Version 2.0, January 2004",
            "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
            "Grant of Copyright License", "Grant of Patent License")),
        ("Apache-2.0", (
            "Licensed under the Apache License, Version 2.0 (the \"License\")",
            "you may not use this file except in compliance with the License")),
        ("ISC", (
            "Permission to use, copy, modify, and/or distribute this software for any purpose "
            "with or without fee is hereby granted",
            "THE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL WARRANTIES")),
        ("GPL-3.0-or-later", (
            "GNU GENERAL PUBLIC LICENSE", "Version 3, 29 June 2007",
            "Everyone is permitted to copy and distribute verbatim copies of this license "
            "document, but changing it is not allowed")),
        ("GPL-2.0-or-later", (
            "GNU GENERAL PUBLIC LICENSE", "Version 2, June 1991",
            "Everyone is permitted to copy and distribute verbatim copies of this license "
            "document, but changing it is not allowed")),
        ("LGPL-3.0-or-later", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 3, 29 June 2007")),
        ("LGPL-2.1-or-later", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1, February 1999")),
        ("AGPL-3.0-or-later", ("GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3, 19 November 2007")),
        ("MPL-2.0", ("Mozilla Public License Version 2.0", "Covered Software",
                     "Executable Form")),
        ("Unlicense", (
            "This is free and unencumbered software released into the public domain",
            "Anyone is free to copy, modify, publish, use, compile, sell, or distribute this "
            "software")),
        ("PSF-2.0", ("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2",
                     "hereby grants Licensee a nonexclusive, royalty-free, world-wide license")),
        ("Zlib", (
            "This software is provided 'as-is', without any express or implied warranty",
            "Permission is granted to anyone to use this software for any purpose, including "
            "commercial applications")),
        ("CC0-1.0", ("CC0 1.0 Universal", "Statement of Purpose")),
    ))


def identify_text(text: str) -> str | None:
    """The SPDX id of the licence whose text ``text`` holds, or None."""
    norm = _norm(text[:400_000])
    for licence in LICENCE_TEXTS:
        if all(p in norm for p in licence.passages):
            return licence.spdx
    return None


@functools.lru_cache(maxsize=1)
def foss_ids() -> frozenset[str]:
    """The SPDX ids of free and open-source licences shipped with pysecbook, upper-cased."""
    text = resources.files("pysecbook").joinpath("data/foss_licenses.txt").read_text("utf-8")
    return frozenset(line.strip().upper() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def classify_license(expression: str) -> str:
    """``free`` if every licence in an SPDX expression is a FOSS licence, ``non-free`` if it
    names a proprietary one, ``unknown`` if it cannot be read as SPDX."""
    if len(expression) > MAX_EXPRESSION:
        return "unknown"
    try:
        canonical = canonicalize_license_expression(expression)
    except (InvalidLicenseExpression, ValueError, RecursionError):
        return "unknown"
    tokens = [t for t in canonical.replace("(", " ").replace(")", " ").split()
              if t not in ("AND", "OR", "WITH")]
    ids = [t.upper().rstrip("+") for t in tokens if "-EXCEPTION" not in t.upper()]
    if not ids:
        return "unknown"
    if any(i.startswith("LICENSEREF-") and "PROPRIETARY" in i for i in ids):
        return "non-free"
    foss = foss_ids()
    if all(i in foss for i in ids):
        return "free"
    return "unknown"
