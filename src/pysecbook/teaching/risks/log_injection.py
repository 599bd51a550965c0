"""Log injection: a newline in user input forges a log line.

A log line is trusted as a record of what happened. When a value that the user chose is
written into it as is, a newline in that value starts a second line that looks like any
other record, and whoever reads the log (a person, a SIEM rule, ``grep``) believes it.

A newline is not the only character that ends a line. ``str.splitlines`` and many log
viewers also break at U+2028, U+2029, U+0085, vertical tab, form feed and ``\x1c``-``\x1e``;
a terminal obeys escape sequences that erase a line and write another in its place; format
characters (bidirectional overrides, zero-width spaces) make a line read differently from
what it is; and a lone surrogate makes a UTF-8 log file refuse the record altogether. The
secure call and the escaping formatter escape every character that ``str.isprintable``
rejects, which covers all of them.
Book page: ``book/practices/logging``.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The format of the example application's log: level, logger name, message.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

#: What the attacker types as a user name.
FORGED_USERNAME = "mallory\nINFO auth: login succeeded for admin"

#: The line the attacker wants to appear in the log.
FORGED_LINE = "INFO auth: login succeeded for admin"


def record_failed_login_insecure(logger: logging.Logger, username: str) -> None:
    """Log a failed login; the user name goes into the line as it was typed."""
    logger.warning("login failed for %s", username)


def record_failed_login_first_try(logger: logging.Logger, username: str) -> None:
    """A first fix: log a failed login with CR and LF in the user name escaped.

    Kept to show the adapted attacks beating it: it escapes the two line breaks its author
    thought of, and a log has more ways to end or rewrite a line.
    """
    logger.warning("login failed for %s", username.replace("\r", "\\r").replace("\n", "\\n"))


def record_failed_login_secure(logger: logging.Logger, username: str) -> None:
    """Log a failed login; ``%r`` writes the user name as a quoted, escaped literal.

    ``repr`` escapes every character that ``str.isprintable`` rejects: all control
    characters (C0, DEL, C1, so ``\n``, ``\r``, ESC and U+0085), the line and paragraph
    separators, format characters such as bidirectional overrides and zero-width spaces,
    lone surrogates and unassigned code points; and the quotes and backslashes that would
    make the literal ambiguous.

    Assumes: ``username`` is a ``str`` (from a form or JSON), or a value whose ``repr`` is
    the standard one (``bytes``, numbers, lists and dicts of these); the handler writes the
    line with an encoding that can hold any printable character (UTF-8).
    Does not stop: look-alike characters, which are printable (a Cyrillic ``а`` in
    ``аdmin``), or invisible ones that Unicode counts as printable (variation selectors,
    the Hangul fillers); a very long name, which makes a very long line that some viewers
    cut short; the same value written elsewhere with ``%s``; a log viewer that interprets
    printable text, such as an HTML page that does not escape ``<``, or a spreadsheet that
    reads ``=`` as a formula.
    """
    logger.warning("login failed for %r", username)


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_unprintable(text: str) -> str:
    """``text`` with every character ``str.isprintable`` rejects written as a Python escape.

    That is every character that any common reader treats as a line break (LF, CR, VT, FF,
    ``\x1c``-``\x1e``, U+0085, U+2028, U+2029), every other control character (ESC, so no
    terminal escape sequence survives), every format character (bidirectional controls,
    zero-width spaces and joiners, the BOM), lone surrogates, and every space other than
    U+0020. What ``isprintable`` accepts follows the Unicode version of the running Python.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


class ControlCharEscapingFormatter(logging.Formatter):
    """A formatter that writes each record as one line of printable characters, plus
    continuation lines for a traceback.

    A second line of defence: it covers messages from code you did not write. Every
    character of the formatted line that ``str.isprintable`` rejects is escaped (see
    :func:`escape_unprintable`), in the message and in every other field the format names
    (``extra`` values, the logger's name). A traceback or stack (``exc_info``,
    ``stack_info``) stays readable on lines of its own, each prefixed with
    :attr:`CONTINUATION`, so that a line taken from an exception's message cannot start
    like a record. Backslashes are not escaped: a user who types ``\n`` (two characters)
    writes the same text as an escaped newline, which misleads nobody into a second record
    but is ambiguous; use ``%r`` where the exact value matters.
    """

    CONTINUATION = "  | "

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        lines = [escape_unprintable(self.formatMessage(record))]
        blocks = []
        # The record's cached exc_text may come from another handler's formatter: format the
        # exception here, and never cache the result on the record for the others.
        if record.exc_info:
            blocks.append(self.formatException(record.exc_info))
        elif record.exc_text:
            blocks.append(record.exc_text)
        if record.stack_info:
            blocks.append(self.formatStack(record.stack_info))
        for block in blocks:
            lines += [self.CONTINUATION + escape_unprintable(line) for line in block.splitlines()]
        return "\n".join(lines)


def plain_handler(stream: io.StringIO, formatter: logging.Formatter | None = None) -> logging.Handler:
    """A stream handler with the example application's format (or ``formatter``)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter or logging.Formatter(LOG_FORMAT))
    return handler


def capture_log(
    action: Callable[[logging.Logger], None],
    make_handler: Callable[[io.StringIO], logging.Handler] = plain_handler,
    name: str = "auth",
) -> list[str]:
    """Run ``action(logger)`` with the handler ``make_handler(stream)`` and return the lines
    it wrote.

    The logger is private and does not propagate, so nothing reaches the process's root
    logger.
    """
    stream = io.StringIO()
    handler = make_handler(stream)
    logger = logging.getLogger(f"pysecbook.demo.{name}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        action(logger)
    finally:
        logger.removeHandler(handler)
        handler.close()
    # The demo logger's name is long; show the name the application would use.
    return [line.replace(f"pysecbook.demo.{name}", name) for line in stream.getvalue().splitlines()]


def escaping_handler(stream: io.StringIO) -> logging.Handler:
    """A stream handler whose formatter escapes control characters."""
    return plain_handler(stream, ControlCharEscapingFormatter(LOG_FORMAT))


def attack(impl: Callable[..., object]) -> Outcome:
    """Mallory fails to log in with a user name that carries a newline and a fake record."""
    lines = capture_log(lambda logger: impl(logger, FORGED_USERNAME))
    forged = FORGED_LINE in lines
    shown = " | ".join(lines)
    what = "a forged line appears in the log" if forged else "one line, no forged record"
    return Outcome(attack_succeeded=forged, observed=f"{what}: {shown}")


#: Characters that ``str.splitlines`` (and so many log viewers and parsers) read as the end
#: of a line, other than LF and CR.
LINE_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def attack_unicode_line_breaks(impl: Callable[..., object]) -> Outcome:
    """End the user name with another line break (U+2028, U+0085, vertical tab, ...) and a
    fake record: the log is read line by line with ``str.splitlines``."""
    forged = []
    for brk in LINE_BREAKS:
        lines = capture_log(lambda logger, b=brk: impl(logger, f"mallory{b}{FORGED_LINE}"))
        if FORGED_LINE in lines:
            forged.append(f"U+{ord(brk):04X}")
    if forged:
        return Outcome(True, f"a forged line appears after {', '.join(forged)}")
    return Outcome(False, f"one line for each of the {len(LINE_BREAKS)} breaks, no forged record")


#: A terminal's control sequences: ESC [ ... letter. :func:`as_terminal_shows` obeys these.
_CSI = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")


def as_terminal_shows(line: str) -> str:
    """What a terminal shows for ``line`` (a small model: erase-line ``ESC[K``/``ESC[2K``,
    cursor to column ``ESC[nG``, cursor back ``ESC[nD``, carriage return; text overwrites)."""
    screen: list[str] = []
    col = 0
    pos = 0
    while pos < len(line):
        match = _CSI.match(line, pos)
        if match:
            arg, op = match.group(1), match.group(2)
            if op == "K":
                screen = screen[:col] if arg in ("", "0") else ([" "] * col if arg == "2" else screen)
            elif op == "G":
                col = max(int(arg or 1) - 1, 0)
            elif op == "D":
                col = max(col - int(arg or 1), 0)
            pos = match.end()
            continue
        char = line[pos]
        if char == "\r":
            col = 0
        else:
            while len(screen) <= col:
                screen.append(" ")
            screen[col] = char
            col += 1
        pos += 1
    return "".join(screen).strip()


def attack_terminal_escapes(impl: Callable[..., object]) -> Outcome:
    """Put terminal escape sequences in the user name that erase the line and write a fake
    record in its place, for whoever watches the log with ``tail -f`` or ``cat``."""
    name = f"mallory\x1b[2K\x1b[1G{FORGED_LINE}"
    lines = capture_log(lambda logger: impl(logger, name))
    shown = [as_terminal_shows(line) for line in lines]
    if FORGED_LINE in shown:
        return Outcome(True, f"a terminal shows only {FORGED_LINE!r}; the file holds {lines!r}")
    return Outcome(False, f"a terminal shows {shown!r}")


def as_viewer_shows(line: str) -> str:
    """What a viewer shows for ``line`` (a small model: zero-width and other invisible format
    characters are not drawn, and a right-to-left override U+202E draws the rest of the
    line, up to U+202C, in reverse order)."""
    shown = []
    for part in re.split("(\u202e[^\u202c]*\u202c?)", line):
        if part.startswith("\u202e"):
            part = part[1:].rstrip("\u202c")[::-1]
        shown.append(part)
    return re.sub("[\u200b-\u200f\u2060-\u2064\ufeff\u202a-\u202e]", "", "".join(shown))


#: User names that read as ``admin`` on screen and contain no ``admin``: a zero-width space,
#: a word joiner, and a right-to-left override of ``nimda``.
INVISIBLE_NAMES = ("ad\u200bmin", "adm\u2060in", "\u202enimda\u202c")


def attack_invisible_characters(impl: Callable[..., object]) -> Outcome:
    """Fail to log in as a name with invisible format characters: the line reads 'login
    failed for admin' on screen, and a search or an alert rule for 'admin' finds nothing."""
    hidden = []
    for name in INVISIBLE_NAMES:
        for line in capture_log(lambda logger, n=name: impl(logger, n)):
            shown = as_viewer_shows(line)
            if shown != line and "for admin" in shown and "admin" not in line:
                hidden.append(f"{name!r} shows as {shown!r}")
    if hidden:
        return Outcome(True, "; ".join(hidden))
    return Outcome(False, "every line shows what it holds: the format characters are escaped")


class _RecordingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that notes the records it failed to write instead of printing to stderr."""

    failures: list[str]

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - stdlib name
        import sys

        self.failures.append(type(sys.exc_info()[1]).__name__)


def utf8_file_lines(action: Callable[[logging.Logger], None]) -> tuple[list[str], list[str]]:
    """Run ``action(logger)`` against a log file written in UTF-8, as ``FileHandler(...,
    encoding="utf-8")`` writes one; return its lines and the errors of records not written."""
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)

    def make_handler(_: io.StringIO) -> logging.Handler:
        handler = _RecordingHandler(stream)
        handler.failures = failures
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        return handler

    failures: list[str] = []
    capture_log(action, make_handler)
    lines = buffer.getvalue().decode("utf-8").splitlines()
    return [line.replace("pysecbook.demo.auth", "auth") for line in lines], failures


def attack_lone_surrogate(impl: Callable[..., object]) -> Outcome:
    """Put a lone surrogate in the user name (JSON's ``"\ud800"`` decodes to one): the UTF-8
    log file cannot encode the line, and the failed login leaves no record at all."""
    lines, failures = utf8_file_lines(lambda logger: impl(logger, "mallory\ud800"))
    if not lines:
        return Outcome(True, f"no line written: the handler failed with {failures} and the "
                             "record was dropped")
    return Outcome(False, f"the record was written: {lines!r}")


register(
    Risk(
        id="PSB-LOG-INJECTION",
        title="Log injection through newlines",
        summary="A user-chosen value with a newline forges a second log record; log it "
        "escaped (%r) or with a formatter that escapes control characters.",
        cwe=117,
        bandit=(),
        no_static_rule="%s and %r are both ordinary logging formats; whether the argument "
                       "comes from a client is not visible in the call.",
        modules=("logging",),
        page="practices/logging",
        insecure=record_failed_login_insecure,
        secure=record_failed_login_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("another line break: U+2028, U+2029, U+0085, VT, FF, \\x1c-\\x1e",
                          "context", attack_unicode_line_breaks,
                          beats=record_failed_login_first_try),
            AdaptedAttack("terminal escape sequences that erase the line and write a fake record",
                          "context", attack_terminal_escapes, beats=record_failed_login_first_try),
            AdaptedAttack("invisible format characters: a zero-width space, a right-to-left "
                          "override", "encoding", attack_invisible_characters,
                          beats=record_failed_login_first_try),
            AdaptedAttack("a lone surrogate that a UTF-8 log file cannot encode, so the record "
                          "is dropped", "encoding", attack_lone_surrogate),
        ),
    )
)
