"""What the scan does with one file: the work that runs inside an isolated worker process.

Everything that parses the target's code happens here, in a worker
(:mod:`pysecbook.checker.scan.pool`), never in the process that reports: Bandit, the red-flag
rules, the imports the checklist's C1 and C2 read, the literal ``setup()`` arguments the
checklist reads from ``setup.py``, and the comparison of bytecode with its source. One parse
of each file serves all of our own rules.

Suppressions follow the trust rule. In the user's own project (``honour_nosec``), Bandit
honours ``# nosec`` as it always does, and a red flag is dropped only by a comment that names
its rule id; each suppression is counted. In anyone else's program, Bandit runs with
``ignore_nosec`` and every ``# nosec`` comment becomes a finding of its own: low severity in
ordinary code, high in install-time code, where nothing legitimate needs to hide from a scan.
Book page: ``book/checklist/index``.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import marshal
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any

from pysecbook.checker.scan import rules, sast
from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.nosec import NosecComment, nosec_comments

__all__ = ["BytecodeJob", "FileResult", "SourceJob", "check_bytecode", "scan_source"]

#: Python 2 constructs, matched one line at a time (linear in the size of the file).
_PY2_LINE = re.compile(rb"[ \t]*(?:print[ \t]+[\"'\w]|exec[ \t]+[\"']|"
                       rb"except[ \t]+[\w.]+[ \t]*,[ \t]*\w+[ \t]*:|raise[ \t]+\w+[ \t]*,)")

#: Keyword arguments of ``setup()`` the checklist reads (literal values only).
SETUP_KEYWORDS = ("name", "version", "license", "install_requires", "url", "project_urls",
                  "description")


@dataclass(frozen=True)
class SourceJob:
    """One Python source file to scan, and how to judge it."""

    path: str
    data: bytes
    #: The file runs when the package is built or installed (setup.py, an in-tree backend...).
    install_time: bool = False
    #: The user's own project: its nosec comments are honoured (rule id by rule id).
    honour_nosec: bool = False
    #: Read the literal ``setup()`` arguments (the project's root setup.py).
    setup_file: bool = False


@dataclass(frozen=True)
class BytecodeJob:
    """One compiled file (``.pyc``), with the source it claims to come from, if the target has it."""

    path: str
    data: bytes
    source_path: str | None
    source: bytes | None
    source_mtime: float | None = None
    #: Bytecode belongs here: an installed distribution's or a working tree's cache.
    expected: bool = False


@dataclass
class FileResult:
    """What scanning one file found. Small and picklable: it travels back from a worker."""

    findings: list[Finding] = field(default_factory=list)
    #: nosec comments honoured (own project) or refused (anyone else's), by line.
    nosec: list[NosecComment] = field(default_factory=list)
    nosec_honoured: int = 0
    #: Absolute imports: (module, line).
    imports: list[tuple[str, int]] = field(default_factory=list)
    #: Literal keyword arguments of ``setup()`` (only for the root setup.py).
    setup_kwargs: dict[str, Any] | None = None
    #: Why the file could not be scanned (it is then reported as not scanned), or None.
    unscanned: str | None = None
    #: What the file can do: (capability, line, runs at import or install time), for the
    #: main process's cross-file correlation (:mod:`pysecbook.checker.scan.rules.metadata`).
    capabilities: list[tuple[str, int, bool]] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """The text of a Python file by its coding cookie (PEP 263), or why it cannot be read."""
    if b"\x00" in data:
        return None, "contains NUL bytes: not Python source"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), None
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        reason = getattr(exc, "msg", None) or str(exc)
        return None, f"not valid UTF-8 and no coding cookie that decodes it ({reason.splitlines()[0]})"


def _parse(data: bytes, path: str) -> tuple[ast.Module | None, str | None]:
    try:
        return ast.parse(data, filename=path), None
    except SyntaxError as exc:
        if any(_PY2_LINE.match(line) for line in data.splitlines()):
            return None, f"Python 2 source (not parsable by Python 3: {exc.msg}, line {exc.lineno})"
        return None, f"syntax error: {exc.msg} (line {exc.lineno})"
    except (RecursionError, MemoryError) as exc:
        return None, f"nested too deeply to parse ({type(exc).__name__})"
    except ValueError as exc:
        return None, f"cannot be parsed: {exc}"


def imports_of(tree: ast.Module) -> list[tuple[str, int]]:
    """Absolute imports: ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a`` and ``a.b``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return found


def setup_kwargs(tree: ast.Module) -> dict[str, Any]:
    """The literal keyword arguments of every ``setup(...)`` call (read, never run)."""
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"):
            continue
        for kw in node.keywords:
            if kw.arg not in SETUP_KEYWORDS:
                continue
            try:
                found.setdefault(kw.arg, ast.literal_eval(kw.value))
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                continue
        found.setdefault("_line", node.lineno)
    return found


def _refused_nosec(path: str, comments: list[NosecComment], install_time: bool) -> Finding:
    lines = ", ".join(str(c.line) for c in comments[:8]) + (", ..." if len(comments) > 8 else "")
    where = "install-time code" if install_time else "this file"
    return rules.finding(
        "PSB-TRUST-NOSEC", path, comments[0].line,
        f"{len(comments)} '# nosec' comment(s) in {where} (line {lines}): ignored, since a "
        "program cannot silence its own scan; every finding on those lines is reported",
        severity="high" if install_time else "low", confidence="high")


def scan_source(job: SourceJob) -> FileResult:
    """Bandit, the red-flag rules, imports and ``setup()`` arguments of one Python file."""
    text, why = _decode(job.data)
    if text is None:
        return FileResult(findings=rules.text_rules(job.path, job.data), unscanned=why)
    tree, why_not = _parse(job.data, job.path)
    # Our rules read the tree first, as parsed; Bandit then walks the same tree (one parse
    # per file) and leaves notes of its own on the nodes.
    analysis = rules.analyse_python(job.path, job.data, tree, install_time=job.install_time)
    imports = imports_of(tree) if tree is not None else []
    literal_setup = setup_kwargs(tree) if tree is not None and job.setup_file else None
    bandit = sast.scan_bytes(job.data, job.path, ignore_nosec=not job.honour_nosec, tree=tree)
    result = FileResult(findings=[
        Finding(rule_id=f.test_id, source="bandit", path=job.path, line=f.line,
                severity=f.severity.lower(), confidence=f.confidence.lower(), cwe=f.cwe,
                message=f.message)
        for f in bandit.findings
    ])
    flags = analysis.findings
    comments = nosec_comments(text)
    result.nosec = comments
    if job.honour_nosec:
        by_line = {c.line: c for c in comments}
        kept = [f for f in flags if not (f.line in by_line and by_line[f.line].names(f.rule_id))]
        result.nosec_honoured = bandit.nosec + len(flags) - len(kept)
        flags = kept
    elif comments:
        result.findings.append(_refused_nosec(job.path, comments, job.install_time))
    result.findings += flags
    result.capabilities = analysis.capabilities
    result.imports = imports
    result.setup_kwargs = literal_setup
    if why_not is not None:
        result.unscanned = why_not
    elif bandit.skipped:
        result.unscanned = f"Bandit could not scan it: {bandit.skipped} (nesting too deep for its visitor?)"
    return result


def _optimize_level(path: str) -> int:
    match = re.search(r"\.opt-([12])\.pyc$", path)
    return int(match.group(1)) if match else 0


def would_run(pyc: bytes, source: bytes, source_mtime: float | None) -> bool:
    """Whether the import system would run this ``.pyc`` instead of compiling ``source``.

    The header (PEP 552) decides: a timestamp pyc is used when it records the source's mtime
    and size; a checked-hash pyc when it records the source's hash; an unchecked-hash pyc
    always. A stale pyc is ignored and recompiled.
    """
    flags = int.from_bytes(pyc[4:8], "little")
    if flags & 0b1:
        if not flags & 0b10:
            return True  # unchecked hash: never compared with the source
        return pyc[8:16] == importlib.util.source_hash(source)
    if source_mtime is None:
        return True  # no date to compare with: assume the worst
    return (int.from_bytes(pyc[8:12], "little") == (int(source_mtime) & 0xFFFFFFFF)
            and int.from_bytes(pyc[12:16], "little") == (len(source) & 0xFFFFFFFF))


def check_bytecode(job: BytecodeJob) -> FileResult:
    """Compare a ``.pyc`` with the code its source compiles to, on this interpreter.

    Bytecode runs instead of the source when the import system picks it (the book's bytecode
    page shows it), and nobody reviews bytecode. A pyc the interpreter would run for its
    source, holding other code than the source compiles to, is a red flag; so is a pyc in a
    legacy location without its source, which Python imports as it is. A cache that matches,
    or that is stale (the interpreter would ignore it), is harmless where bytecode is
    expected (an installed distribution, a working tree) and worth a note in a wheel or sdist,
    where the installer compiles its own. Bytecode of another Python version cannot be
    compared here: it is reported as such.
    """
    def flag(rule_id: str, message: str, severity: str | None = None) -> FileResult:
        return FileResult(findings=[rules.finding(rule_id, job.path, None, message,
                                                     severity=severity, confidence="high")])

    in_cache = "__pycache__/" in f"/{job.path}"
    note = FileResult() if job.expected else None
    if job.source is None:
        if in_cache:
            return note or flag("PSB-RF-BYTECODE", "an orphaned bytecode cache (no source next "
                                "to it): the interpreter never runs it", severity="low")
        return flag("PSB-RF-BYTECODE-SOURCELESS", "compiled bytecode without its source, which "
                    "Python imports as it is: what it runs cannot be reviewed")
    if job.data[:4] != importlib.util.MAGIC_NUMBER or len(job.data) < 16:
        if in_cache and note is not None:
            return note
        return flag("PSB-RF-BYTECODE", f"bytecode for another Python version next to "
                    f"{job.source_path}: it cannot be compared with its source here, and an "
                    "interpreter of that version could run it instead of the source",
                    severity="low" if in_cache else None)
    if not would_run(job.data, job.source, job.source_mtime):
        return note or flag("PSB-RF-BYTECODE", f"ships compiled bytecode, stale for "
                            f"{job.source_path} (the interpreter would recompile)", severity="low")
    try:
        shipped = marshal.loads(job.data[16:])  # nosec B302 - in an isolated worker, compared, never run
        compiled = compile(job.source, job.source_path or job.path, "exec", dont_inherit=True,
                           optimize=_optimize_level(job.path))
    except (ValueError, TypeError, EOFError, SyntaxError, RecursionError, MemoryError) as exc:
        return flag("PSB-RF-BYTECODE-MISMATCH",
                    f"bytecode the interpreter would run for {job.source_path}, which is not "
                    f"what that source compiles to ({type(exc).__name__})")
    if shipped != compiled:
        return flag("PSB-RF-BYTECODE-MISMATCH",
                    f"bytecode the interpreter would run for {job.source_path}, and it differs "
                    "from what that source compiles to: hidden code instead of the source you read")
    return note or flag("PSB-RF-BYTECODE", f"ships compiled bytecode; it matches "
                        f"{job.source_path} on this interpreter", severity="low")
