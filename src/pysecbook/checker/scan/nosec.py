"""``# nosec`` comments: found in comments only, rule ids compared token by token.

A ``# nosec`` comment asks a scanner to stay quiet about one line. In the user's own project
that is a reviewed decision and is honoured, but only for the rule ids the comment names:
``# nosec B602, PSB-RF-EXEC-DECODED - reason``. In someone else's program it is the author
of the program asking the checker to look away, so it is never honoured there and is
reported instead (see :mod:`pysecbook.checker.scan.filescan`).

Comments are read with :mod:`tokenize`, so ``"# nosec"`` inside a string literal is not a
comment, and an id is an exact token: ``PSB-RF-EXEC-DECODED-X`` does not name
``PSB-RF-EXEC-DECODED``. Book page: ``book/checklist/index`` (section "Whose settings count").
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

#: A rule id as a whole token: Bandit's ``B123`` or one of pysecbook's ``PSB-...``.
_RULE_ID = re.compile(r"(?:B\d{3}|PSB(?:-[A-Z0-9]+)+)")
_NOSEC = re.compile(r"#\s*nosec\b:?", re.IGNORECASE)


@dataclass(frozen=True)
class NosecComment:
    """One ``# nosec`` comment: its line and the rule ids it names (none for a bare one)."""

    line: int
    ids: tuple[str, ...]

    @property
    def bare(self) -> bool:
        return not self.ids

    def names(self, rule_id: str) -> bool:
        """Whether this comment names ``rule_id`` exactly."""
        return rule_id in self.ids


def parse_comment(text: str) -> tuple[str, ...] | None:
    """The rule ids a comment's text names after ``nosec``, or None if it is no nosec comment.

    Ids end where the reason begins (`` - ``) or at another ``#``; separators are commas and
    white space; anything that is not a whole rule id is ignored.
    """
    match = _NOSEC.search(text)
    if match is None:
        return None
    rest = text[match.end():].split("#", 1)[0]
    rest = rest.split(" - ", 1)[0]
    tokens = [t for t in re.split(r"[\s,]+", rest) if t]
    return tuple(t for t in tokens if _RULE_ID.fullmatch(t))


def nosec_comments(source: str) -> list[NosecComment]:
    """Every ``# nosec`` comment of ``source``, in line order (none if it does not tokenize)."""
    found: list[NosecComment] = []
    if "nosec" not in source.lower():
        return found
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                ids = parse_comment(tok.string)
                if ids is not None:
                    found.append(NosecComment(tok.start[0], ids))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # the file is reported as unparsable by the scan
    return found
