"""Importing a module runs its top-level code.

``import`` is not a read: it executes the module from its first line to its last. Importing an
untrusted plugin only to read its ``__version__`` hands the plugin the importing process. The
secure version parses the file with :mod:`ast` and evaluates one literal, executing nothing.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import call_in_child, private_tmpdir

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


def plugin_version_secure(plugin_path: str) -> str:
    """Read a plugin's ``__version__`` from its syntax tree: nothing in the file runs."""
    source = Path(plugin_path).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=plugin_path)
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
    )
)
