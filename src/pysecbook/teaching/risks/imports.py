"""Importing a module runs its top-level code.

``import`` is not a read: it executes the module from its first line to its last. Importing an
untrusted plugin only to read its ``__version__`` hands the plugin the importing process. The
secure version parses the file with :mod:`ast` and evaluates one literal, executing nothing.

Executing nothing is not the same as costing nothing. The first fix (kept as
:func:`plugin_version_first_try`) read the whole file, whatever it was: a "plugin" that is a
link to ``/dev/zero`` is read until memory runs out, a named pipe blocks the reader for ever,
and a module of a few megabytes of literals takes the parser seconds and gigabytes. The
secure version opens the file once without blocking, reads only a regular file, and at most
:data:`MAX_PLUGIN_BYTES` of it.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import stat
from pathlib import Path

from pysecbook.lab.child import call_in_child, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The plugin the attacker ships: a harmless-looking version string, and a top-level line
#: that runs on import. Here it only writes a marker next to itself.
MALICIOUS_PLUGIN = '''\
"""A friendly plugin."""
from pathlib import Path

Path(__file__).with_name("marker.txt").write_text(f"plugin code ran on import, as {__name__!r}")

__version__ = "1.2.3"
'''


def plugin_version_insecure(plugin_path: str) -> str:
    """Read a plugin's ``__version__`` by importing it: the whole module runs."""
    spec = importlib.util.spec_from_file_location("untrusted_plugin", plugin_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {plugin_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.__version__)


def _version_from_tree(tree: ast.Module, plugin_path: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            return str(ast.literal_eval(value))
    raise LookupError(f"no literal __version__ in {plugin_path}")


def plugin_version_first_try(plugin_path: str) -> str:
    """A first fix: read the file, parse it, evaluate the literal; nothing runs.

    Kept to show the adapted attacks beating it: the read has no limit, and the "file" may
    be a device or a pipe.
    """
    source = Path(plugin_path).read_text(encoding="utf-8")
    return _version_from_tree(ast.parse(source, filename=plugin_path), plugin_path)


#: The largest plugin file the secure reader parses (a module's version sits in its first
#: lines; a module this big is not read for its version).
MAX_PLUGIN_BYTES = 256 * 1024


def plugin_version_secure(plugin_path: str) -> str:
    """Read a plugin's ``__version__`` from its syntax tree: nothing in the file runs.

    The file is opened once, without blocking (a named pipe with no writer does not hold the
    open), checked on the opened descriptor to be a regular file, and read up to
    :data:`MAX_PLUGIN_BYTES`; the bytes go to the parser as bytes, so a coding declaration is
    honoured as an import would honour it. A file that does not parse is reported by line
    number only: a ``SyntaxError`` carries the offending line, and the path may be a link to
    a file its author cannot read.

    Assumes: the caller treats every exception as "this plugin has no readable version" and
    does not then import the plugin to find out; the version is a literal assigned at the top
    level of the module.
    Does not stop: a plugin whose literal version says one thing while its code does another
    (the version is what the file claims, not what it is); a link to a file the caller can
    read and the plugin's author cannot, which is read (only its ``__version__`` literal, if
    it has one, is returned); a file changed after it was read;
    and the parse itself: a file of literals at the size limit can still take about half a
    second and more than a hundred megabytes to parse.
    """
    fd = os.open(plugin_path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{plugin_path} is not a regular file")
        with open(fd, "rb", closefd=False) as handle:
            source = handle.read(MAX_PLUGIN_BYTES + 1)
    finally:
        os.close(fd)
    if len(source) > MAX_PLUGIN_BYTES:
        raise ValueError(f"{plugin_path} is larger than {MAX_PLUGIN_BYTES} bytes")
    try:
        tree = ast.parse(source, filename=plugin_path)
    except SyntaxError as exc:  # its text would quote the file: say where, not what
        raise ValueError(f"{plugin_path} is not valid Python (line {exc.lineno})") from None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            return str(ast.literal_eval(value))
    raise LookupError(f"no literal __version__ in {plugin_path}")


def plant_plugin(directory: Path) -> Path:
    """Write the attacker's plugin into ``directory`` and return its path."""
    plugin = directory / "friendly_plugin.py"
    plugin.write_text(MALICIOUS_PLUGIN, encoding="utf-8")
    return plugin


def attack(func: object) -> Outcome:
    """Ask ``func`` for the version of a planted plugin; did the plugin's code run?"""
    with private_tmpdir() as tmp:
        plugin = plant_plugin(tmp)
        result = call_in_child(func, str(plugin))
        marker = plugin.with_name("marker.txt")
        ran = marker.is_file()
        what = marker.read_text(encoding="utf-8") if ran else "no marker: the plugin's code never ran"
    return Outcome(attack_succeeded=ran, observed=f"version lookup {result}; {what}")


#: How long a version lookup may take before the attack calls it a stall, and the memory the
#: child that runs it may use.
LOOKUP_LIMIT = 3.0
LOOKUP_MEMORY = 512 * 2**20

_LOOKUP_SNIPPET = """\
import importlib, json, sys, time
module_name, _, qualname = sys.argv[1].partition(":")
func = getattr(importlib.import_module(module_name), qualname)
start = time.perf_counter()
try:
    out = {"returned": repr(func(sys.argv[2]))[:200]}
except BaseException as exc:
    out = {"raised": type(exc).__name__, "message": str(exc)[:200]}
out["seconds"] = round(time.perf_counter() - start, 3)
print(json.dumps(out), flush=True)
"""


def lookup_in_child(func: object, plugin: Path) -> tuple[bool, str]:
    """Ask ``func`` for the version of ``plugin`` in a child with a time and memory limit.

    Returns whether the lookup stalled or ran out of memory (the attacker's success), and
    what happened.
    """
    ref = f"{func.__module__}:{func.__qualname__}"  # type: ignore[attr-defined]
    done = run_python(_LOOKUP_SNIPPET, cwd=plugin.parent, args=[ref, str(plugin)],
                      timeout=LOOKUP_LIMIT, memory_bytes=LOOKUP_MEMORY,
                      cpu_seconds=int(LOOKUP_LIMIT) + 1)
    if done.timed_out:
        return True, f"still reading after {LOOKUP_LIMIT} s, killed"
    try:
        data = json.loads(last_line(done.stdout))
    except ValueError:
        return True, f"the reader died: {last_line(done.stderr) or done.returncode}"
    if data.get("raised") == "MemoryError":
        return True, f"ran out of memory ({LOOKUP_MEMORY // 2**20} MiB) after {data['seconds']} s"
    if "raised" in data:
        message = data["message"].replace(f"{plugin.parent}{os.sep}", "")
        return False, f"refused in {data['seconds']} s: {data['raised']}: {message}"
    return data["seconds"] > LOOKUP_LIMIT / 2, f"returned {data['returned']} in {data['seconds']} s"


def attack_device_or_pipe(func: object) -> Outcome:
    """The plugin directory holds a "plugin" that is a link to ``/dev/zero``, and another that
    is a named pipe nobody writes to: the version scan reads for ever or waits for ever."""
    results = []
    with private_tmpdir() as tmp:
        zero = tmp / "zero_plugin.py"
        zero.symlink_to("/dev/zero")
        pipe = tmp / "pipe_plugin.py"
        os.mkfifo(pipe, 0o600)
        for plugin in (zero, pipe):
            stalled, what = lookup_in_child(func, plugin)
            results.append((plugin.name, stalled, what))
    return Outcome(attack_succeeded=any(stalled for _, stalled, _ in results),
                   observed="; ".join(f"{name}: {what}" for name, _, what in results))


#: Elements in the big plugin's literal: about 16 MB of source.
BIG_ELEMENTS = 8_000_000


def attack_huge_module(func: object) -> Outcome:
    """A plugin that is a module of one literal sixteen megabytes long, with a plain
    ``__version__`` first: parsing it is the cost, not running it."""
    with private_tmpdir() as tmp:
        plugin = tmp / "big_plugin.py"
        with plugin.open("w", encoding="utf-8") as out:
            out.write('__version__ = "1.0"\nTABLE = [\n')
            row = "0," * 1000 + "\n"
            for _ in range(BIG_ELEMENTS // 1000):
                out.write(row)
            out.write("]\n")
        stalled, what = lookup_in_child(func, plugin)
    return Outcome(attack_succeeded=stalled, observed=f"{BIG_ELEMENTS:,} elements: {what}")


#: A file the scanning service can read and the plugin's author cannot (a made-up line).
PRIVATE_LINE = "root:$6$demo-salt$demo-hash-not-real:19700:0:99999:7:::"


def attack_link_to_private_file(func: object) -> Outcome:
    """The "plugin" is a link to a file only the scanning service may read: the version lookup
    fails, and the error the plugin manager shows its author quotes the file's first line."""
    import traceback

    with private_tmpdir() as tmp:
        private = tmp / "shadow"
        private.write_text(PRIVATE_LINE + "\n", encoding="utf-8")
        plugin = tmp / "peek_plugin.py"
        plugin.symlink_to(private)
        try:
            shown = f"returned {func(str(plugin))!r}"  # type: ignore[operator]
        except Exception as exc:  # what the manager prints for a plugin it cannot read
            shown = "".join(traceback.format_exception_only(exc))
        shown = shown.replace(f"{tmp}{os.sep}", "")
    leaked = "demo-hash-not-real" in shown
    lines = " | ".join(line.strip() for line in shown.strip().splitlines())
    return Outcome(attack_succeeded=leaked, observed=f"the error shown: {lines}")


RISK = register(
    Risk(
        id="PSB-IMPORT-TOPLEVEL",
        title="Importing a module runs its code",
        summary="Importing an untrusted module, even only to read an attribute, executes it.",
        cwe=94,
        bandit=(),
        no_static_rule="importing a file is how plugins load; whether the file is trusted is "
                       "not in the code.",
        modules=("importlib", "ast"),
        page="fundamentals/execution-model",
        insecure=plugin_version_insecure,
        secure=plugin_version_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a plugin that is a link to /dev/zero, or a named pipe",
                          "links-races", attack_device_or_pipe),
            AdaptedAttack("a plugin module of sixteen megabytes of literals",
                          "exhaustion", attack_huge_module),
            AdaptedAttack("a plugin that is a link to a file only the scanner may read",
                          "links-races", attack_link_to_private_file),
        ),
    )
)
