"""The syntax of a requirements file, as pip reads it: encoding, lines, options.

Each rule follows pip's own reader (``pip/_internal/req/req_file.py``):

- **Encoding**: a byte-order mark (UTF-8, UTF-32, UTF-16) wins; then a ``coding:`` comment on
  one of the first two lines, when the line starts with ``#``; then UTF-8. (pip then falls
  back to the locale's encoding, which is UTF-8 on the machines this book targets.)
- **Lines**: a line ending in a backslash is joined with the next one, unless it is a comment
  line; the joined line takes the number of its first line. A comment starts at a ``#`` at the
  start of the line or after white space (``(^|\\s+)#.*$``), so ``pkg @ https://host/x#egg=pkg``
  keeps its fragment.
- **Options**: a line is split at the first word starting with ``-``; what comes before is the
  requirement, what comes after is split with :func:`shlex.split` and parsed with
  :mod:`optparse`, against the options pip accepts in a file. Long options may be abbreviated
  (``--extra-index`` is ``--extra-index-url``) and short ones glued to their value
  (``-ihttps://...``), as on pip's command line. An option pip does not know makes pip refuse
  the whole file; here it is a :class:`LineError`.

``${VARIABLE}`` references are left as written: pip expands them from the environment of
whoever installs, which is not the machine running the check.
"""

from __future__ import annotations

import codecs
import optparse
import re
import shlex
import threading
from dataclasses import dataclass, field

__all__ = ["LineError", "LineOptions", "STRONG_HASHES", "decode_like_pip", "logical_lines",
           "parse_line"]

# The order matters: the UTF-16 LE mark is a prefix of the UTF-32 LE one (pip's own order).
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF16, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")
COMMENT = re.compile(r"(^|\s+)#.*$")
#: The hash algorithms pip accepts after ``--hash``.
STRONG_HASHES = ("sha256", "sha384", "sha512")


def decode_like_pip(data: bytes, *, coding: bool = True) -> tuple[str | None, str | None]:
    """A requirements file's text as pip reads it, or why it cannot be read that way.

    ``coding=False`` honours a byte-order mark and UTF-8 only (a TOML file).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), None
            except UnicodeDecodeError as exc:
                return None, f"starts with a {encoding} byte-order mark but is not {encoding} ({exc.reason})"
    for line in data.split(b"\n", 2)[:2] if coding else ():
        match = _CODING.search(line) if line.startswith(b"#") else None
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                return data.decode(name), None
            except (LookupError, UnicodeDecodeError) as exc:
                return None, f"declares coding {name!r} but cannot be read with it ({exc})"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 and no byte-order mark or coding comment ({exc.reason})"


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(number of the first physical line, text) of every line pip reads, comments removed."""
    joined: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        comment = COMMENT.match(line) is not None
        if not line.endswith("\\") or comment:
            if comment:
                line = " " + line  # a comment line inside a continuation stays a comment
            if parts:
                joined.append((start, "".join([*parts, line])))
                parts = []
            else:
                joined.append((number, line))
        else:
            if not parts:
                start = number
            parts.append(line.strip("\\"))
    if parts:
        joined.append((start, "".join(parts)))
    out = []
    for number, line in joined:
        line = COMMENT.sub("", line).strip()
        if line:
            out.append((number, line))
    return out


class LineError(Exception):
    """pip refuses this line (an unknown option, an option without its value...)."""


@dataclass
class LineOptions:
    """The options of one line, by pip's name for them (``dest``), in the order given."""

    values: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def get(self, dest: str) -> list[str]:
        return self.values.get(dest, [])


#: Every option pip accepts in a requirements file (``SUPPORTED_OPTIONS`` and
#: ``SUPPORTED_OPTIONS_REQ``): dest -> the spellings. These take a value...
_VALUED = {
    "index_url": ("-i", "--index-url", "--pypi-url"),
    "extra_index_urls": ("--extra-index-url",),  # nosec PSB802 - parsed to report it (M1)
    "constraints": ("-c", "--constraint"),
    "requirements": ("-r", "--requirement"),
    "editables": ("-e", "--editable"),
    "find_links": ("-f", "--find-links"),
    "no_binary": ("--no-binary",),
    "only_binary": ("--only-binary",),
    "all_releases": ("--all-releases",),
    "only_final": ("--only-final",),
    "trusted_hosts": ("--trusted-host",),
    "features_enabled": ("--use-feature",),
    "hashes": ("--hash",),
    "config_settings": ("-C", "--config-settings"),
}
#: ... and these are flags.
_FLAGS = {
    "no_index": ("--no-index",),
    "prefer_binary": ("--prefer-binary",),
    "require_hashes": ("--require-hashes",),
    "no_require_hashes": ("--no-require-hashes",),
    "pre": ("--pre",),
}


class _Parser(optparse.OptionParser):
    def error(self, msg: str) -> None:  # type: ignore[override]
        raise LineError(msg)


_LOCAL = threading.local()


def _parser() -> _Parser:
    """This thread's parser (building one costs more than parsing a line with it; each
    parse starts from fresh default values)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _Parser(add_help_option=False)
        for dest, names in _VALUED.items():
            parser.add_option(*names, dest=dest, action="append")
        for dest, names in _FLAGS.items():
            parser.add_option(*names, dest=dest, action="store_true")
        _LOCAL.parser = parser
    return parser


def _split(line: str) -> tuple[str, str]:
    """(requirement, options): the line split at its first word that starts with ``-``
    (pip's ``break_args_options``; the requirement is not given to shlex, which would
    corrupt its markers)."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


def parse_line(line: str) -> tuple[str, LineOptions]:
    """(requirement as written, or ""; the line's options), or :class:`LineError`."""
    args, rest = _split(line)
    options = LineOptions()
    if not rest:
        return args.strip(), options
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise LineError(f"cannot split the options {rest!r} ({exc})") from None
    parser = _parser()
    values, _ = parser.parse_args(words, parser.get_default_values())
    for dest in _VALUED:
        if getattr(values, dest, None):
            options.values[dest] = list(getattr(values, dest))
    options.flags = {dest for dest in _FLAGS if getattr(values, dest, False)}
    for value in options.get("hashes"):
        algo, sep, _ = value.partition(":")
        if not sep:
            raise LineError("arguments to --hash must be a hash name followed by a value, "
                            "like --hash=sha256:abcde...")
        if algo not in STRONG_HASHES:
            raise LineError(f"allowed hash algorithms for --hash are {', '.join(STRONG_HASHES)}")
    for value in options.get("config_settings"):
        if "=" not in value:
            raise LineError("arguments to --config-settings must be of the form KEY=VAL")
    return args.strip(), options
