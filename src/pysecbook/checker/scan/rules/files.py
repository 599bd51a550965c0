"""Rules on files as bytes: ``.pth`` files, start-up modules, native binaries, payloads in
images and data files, and Unicode tricks in source (Trojan Source bidirectional controls,
invisible characters, identifiers written with look-alike characters).

These read text where the syntax tree cannot help: a ``.pth`` file is not a module, an image
is not code, and the tree has already normalised the identifiers a reader was fooled by.
Every pattern is a single character class or a bounded run of one. Book page:
``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import unicodedata
from collections.abc import Iterable, Iterator

from pysecbook.checker.scan.model import Finding, SourceFile
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "files and characters",
    ("PSB-RF-PTH-EXEC", "high", 506, ".pth file executes code at every interpreter start", "Persistence", "medium"),
    ("PSB-RF-STARTUP-FILE", "high", 506, "ships a sitecustomize/usercustomize module", "Persistence"),
    ("PSB-RF-NATIVE-BINARY", "medium", 506, "bundled native binary (cannot be reviewed)", "Execution"),
    ("PSB-RF-DATA-PAYLOAD", "medium", 506, "an image or data file that carries code or extra data", "Defense Evasion"),
    ("PSB-RF-TROJAN-SOURCE", "high", 1007, "bidirectional control character in source", "Defense Evasion", "medium"),
    ("PSB-RF-INVISIBLE-CHAR", "medium", 1007, "invisible zero-width character in source", "Defense Evasion"),
    ("PSB-RF-UNICODE-LOOKALIKE", "high", 1007, "identifier written with look-alike characters", "Defense Evasion", "medium"),
    ("PSB-RF-BYTECODE", "medium", 506, "ships compiled bytecode", "Defense Evasion"),
    ("PSB-RF-BYTECODE-MISMATCH", "high", 506, "bytecode that differs from its source", "Defense Evasion"),
    ("PSB-RF-BYTECODE-SOURCELESS", "high", 506, "compiled bytecode without its source", "Defense Evasion"),
    ("PSB-TRUST-NOSEC", "low", 693, "the target's '# nosec' comments ask the scan to look away", "Defense Evasion"),
    ("PSB-TRUST-CONFIG", "medium", 693, "the target's configuration asks the checker to skip checks or files", "Defense Evasion"),
)

NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".exe")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u180e\ufeff]")
#: What a .pth line may do beyond an import before it counts as hidden code.
_PTH_HOSTILE = ("exec(", "eval(", "compile(", "b64decode", "decompress", "fromhex", "marshal",
                "subprocess", "system(", "popen", "urlopen", "urllib", "socket", "requests",
                "base64", "codecs")
ELF, PE, MACHO = b"\x7fELF", b"MZ", (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",
                                         b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
#: Where an image format's data ends: (suffixes, magic, end marker, bytes after the marker).
_IMAGE_ENDS = (((".png",), b"\x89PNG", b"IEND", 8), ((".jpg", ".jpeg"), b"\xff\xd8", b"\xff\xd9", 2),
               ((".gif",), b"GIF8", b"\x00\x3b", 2))
#: Text inside a data file that reads like Python code.
_CODE_MARKERS = (b"exec(", b"eval(", b"import os", b"import subprocess", b"__import__(",
                 b"base64.b64decode", b"marshal.loads")


def _invisible_hits(line: str) -> Iterator[str]:
    """Invisible characters on a line, leaving out the legitimate joiners: a zero-width
    (non-)joiner between two non-ASCII characters belongs to an emoji sequence or a script
    that needs it (Persian, Indic)."""
    for m in INVISIBLE.finditer(line):
        char, at = m.group(), m.start()
        if char in "\u200c\u200d":
            before = line[at - 1] if at else " "
            after = line[at + 1] if at + 1 < len(line) else " "
            if not before.isascii() and not after.isascii():
                continue
        yield char


def _scripts(name: str) -> set[str]:
    out = set()
    for ch in name:
        if ch.isalpha():
            out.add(unicodedata.name(ch, "UNKNOWN ?").split(" ", 1)[0])
    return out


def lookalike_rules(path: str, data: bytes) -> list[Finding]:
    """Identifiers Python reads as another name (NFKC: ``ｅｘｅｃ`` is ``exec``), and
    identifiers mixing Latin with Cyrillic or Greek letters."""
    if data.isascii():
        return []
    out: list[Finding] = []
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(data).readline))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, IndentationError):
        return []
    for tok in tokens:
        if tok.type != tokenize.NAME or tok.string.isascii():
            continue
        normal = unicodedata.normalize("NFKC", tok.string)
        if normal.isascii():
            dangerous = normal in C.DANGEROUS_NAMES or normal in C.BUILTINS_NAMES
            out.append(finding("PSB-RF-UNICODE-LOOKALIKE", path, tok.start[0],
                               f"{tok.string!r} is written with look-alike characters that Python "
                               f"reads as {normal!r}: a text search for {normal!r} misses it.",
                               lone=not dangerous))
            break
        scripts = _scripts(tok.string)
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            out.append(finding("PSB-RF-UNICODE-LOOKALIKE", path, tok.start[0],
                               f"{tok.string!r} mixes Latin with {', '.join(sorted(scripts - {'LATIN'}))}"
                               " letters: a name that looks like another.", lone=True))
            break
    return out


#: Line ends as Python's tokenizer reads them (``str.splitlines`` also splits at U+2028 and
#: other separators, which would number lines differently from the interpreter).
_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def string_interiors(data: bytes, tree: ast.Module) -> dict[int, str]:
    """Lines wholly inside a multi-line string literal (neither its first nor its last line),
    each with the quote character that opens that string."""
    raw = _LINE_ENDS.split(data.decode("latin-1"))  # col_offset counts UTF-8 bytes
    formatted = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}
    out: dict[int, str] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
                and node.end_lineno and node.end_lineno > node.lineno + 1
                and id(node) not in formatted and node.lineno <= len(raw)):
            opener = raw[node.lineno - 1][node.col_offset:].lstrip("rRbBuUfF")[:1]
            if opener in ("'", '"'):
                for number in range(node.lineno + 1, min(node.end_lineno, len(raw) + 1)):
                    out[number] = opener
    return out


def text_rules(path: str, data: bytes, tree: ast.Module | None = None) -> list[Finding]:
    """Trojan Source: bidirectional controls and invisible characters.

    One finding per rule and file, at the first line, counting the lines affected. With the
    file's syntax ``tree``, a line wholly inside a string (:func:`string_interiors`) is told
    apart: bidirectional controls there reorder only the string's own text, unless the line
    holds the string's quote character and could seem to close it (and make the code after
    it look quoted). A file whose every such control is inert that way is flagged at the
    rule's lone severity.
    """
    if not (b"\xe2\x80" in data or b"\xe2\x81" in data or b"\xef\xbb\xbf" in data
            or b"\xe1\xa0\x8e" in data):
        return []  # every character we look for has one of these UTF-8 lead sequences
    text = data.decode("utf-8", errors="replace")
    interiors = string_interiors(data, tree) if tree is not None and BIDI.search(text) else {}
    bidi: list[tuple[int, str]] = []
    invisible: list[tuple[int, str]] = []
    inert = 0
    for number, line in enumerate(_LINE_ENDS.split(text), start=1):
        hit = BIDI.search(line)
        if hit:
            bidi.append((number, hit.group()))
            quote = interiors.get(number)
            inert += bool(quote and quote not in line)
        probe = line[1:] if number == 1 and line.startswith("\ufeff") else line
        char = next(_invisible_hits(probe), None)
        if char:
            invisible.append((number, char))
    found = []
    quoted = bool(bidi) and inert == len(bidi)
    for rule, hits, what in (
        ("PSB-RF-TROJAN-SOURCE", bidi, "bidirectional control {chars}: "
         + ("only inside string literals, where it reorders the string's own text"
            if quoted else "the code shown can differ from the code that runs (Trojan Source)")),
        ("PSB-RF-INVISIBLE-CHAR", invisible, "invisible character {chars} in source"),
    ):
        if hits:
            chars = ", ".join(sorted({f"U+{ord(c):04X}" for _, c in hits}))
            lines = ", ".join(str(n) for n, _ in hits[:5]) + (", ..." if len(hits) > 5 else "")
            found.append(finding(rule, path, hits[0][0], what.format(chars=chars) + f" (line {lines}).",
                                 lone=quoted and rule == "PSB-RF-TROJAN-SOURCE"))
    return found


def native_kind(path: str, data: bytes) -> str | None:
    """What kind of native binary the file is (by magic number or suffix), or None."""
    if data.startswith(ELF):
        return "ELF"
    if data.startswith(PE) and len(data) > 0x40:
        offset = int.from_bytes(data[0x3C:0x40], "little")
        if data[offset:offset + 4] == b"PE\x00\x00":
            return "PE"
    if data.startswith(MACHO) or (data.startswith(b"\xca\xfe\xba\xbe") and not path.endswith(
            ".class")):
        return "Mach-O"
    if path.lower().endswith(NATIVE_SUFFIXES):
        return f"{path.rsplit('.', 1)[-1]} file"
    return None


def data_payload(path: str, data: bytes, truncated: bool = False) -> str | None:
    """Why an image or data file carries more than its format holds, or None."""
    low = path.lower()
    if not low.endswith(C.DATA_SUFFIXES):
        return None
    code = next((m.decode() for m in _CODE_MARKERS if m in data), None)
    if code:
        return f"it contains Python code ({code!r})"
    if truncated:
        return None
    for suffixes, magic, end, extra in _IMAGE_ENDS:
        if low.endswith(suffixes) and data.startswith(magic):
            at = data.rfind(end)
            if at >= 0:
                trailing = len(data) - at - extra
                if trailing >= 64:
                    return f"{trailing} bytes follow the end of the image"
    return None


def scan_other(file: SourceFile) -> list[Finding]:
    """Red flags in a file that is not Python source: .pth, binaries, images and data files."""
    path, data = file.path, file.data
    found: list[Finding] = []
    if path.endswith(".pth"):
        # Python 3.13 and later read a .pth file as UTF-8 with or without a byte-order mark
        # (utf-8-sig), so a BOM in front of "import" no longer stops the line from running.
        text = data.decode("utf-8-sig", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith(("import ", "import\t")):
                low = line.lower()
                hostile = [m for m in _PTH_HOSTILE if m in low]
                if hostile:
                    message = (f"this .pth line runs {', '.join(hostile[:3])} at every interpreter "
                               "start: hidden, networked or process code, not a path hook.")
                else:
                    message = ("this .pth line is executed by site at every interpreter start "
                               "(legitimate for editable installs and a few tools; review it).")
                found.append(finding("PSB-RF-PTH-EXEC", path, number, message, lone=not hostile))
        found += text_rules(path, data)
    kind = native_kind(path, data)
    if kind:
        found.append(finding("PSB-RF-NATIVE-BINARY", path, None,
                             f"bundled native binary ({kind}): its behaviour cannot be "
                             "reviewed from source."))
    payload = data_payload(path, data, file.truncated)
    if payload:
        found.append(finding("PSB-RF-DATA-PAYLOAD", path, None,
                             f"{path.rsplit('/', 1)[-1]} is data, yet {payload}: a hiding place "
                             "for a payload that code elsewhere reads and runs."))
    return found


#: A wheel's ``NAME.data/purelib/`` and ``NAME.data/platlib/`` are installed into
#: site-packages itself, exactly like the wheel's top level.
_SITE_PACKAGES_DATA = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/")


def installed_path(path: str) -> str:
    """Where a wheel member lands relative to site-packages (the path itself otherwise)."""
    return _SITE_PACKAGES_DATA.sub("", path, count=1)


def is_startup_module(path: str) -> bool:
    """A ``sitecustomize``/``usercustomize`` module that lands in site-packages."""
    return installed_path(path) in ("sitecustomize.py", "usercustomize.py",
                                    "src/sitecustomize.py", "src/usercustomize.py")


def starts_with_the_interpreter(path: str) -> bool:
    """A file the interpreter runs at every start once installed, without any import: a
    ``.pth`` file, or a start-up module (:func:`is_startup_module`)."""
    return path.endswith(".pth") or is_startup_module(path)


def scan_layout(files: Iterable[SourceFile]) -> list[Finding]:
    """Red flags about which files the target ships (start-up modules at the top level)."""
    found = []
    for f in files:
        if is_startup_module(f.path):
            found.append(finding("PSB-RF-STARTUP-FILE", f.path, None,
                                 f"{f.path.rsplit('/', 1)[-1]} installed into site-packages "
                                 "runs at every interpreter start."))
    return found
