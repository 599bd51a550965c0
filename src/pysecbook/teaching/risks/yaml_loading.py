"""``yaml.load`` with an unsafe loader builds arbitrary Python objects.

PyYAML's full Python tags (``!!python/object/apply:...``) call any importable callable
while the document is loaded. ``yaml.UnsafeLoader`` and ``yaml.Loader`` accept them;
``yaml.safe_load`` builds only plain data, but sets no limit on the size of a document or on
how far its aliases expand it; the secure version sets both. The attacks run in child
interpreters.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.pickling import (PAYLOAD_CODE, attack_with, file_writer,
                                               load_in_child, stalls_in_child)


def read_config_insecure(text: str) -> object:
    """Read a YAML configuration with PyYAML's unsafe loader."""
    import yaml

    return yaml.load(text, Loader=yaml.UnsafeLoader)  # nosec B506 - deliberately insecure: demonstration of PSB-YAML-LOAD


#: The longest configuration :func:`read_config_secure` parses: PyYAML's parser, written in
#: Python, takes several seconds per megabyte.
MAX_CONFIG_CHARS = 64 * 1024
#: How far aliases may expand a document: its nodes plus the characters of its scalars, each
#: alias counted as a copy of what it names, may come to this many times its length ...
EXPANSION_FACTOR = 10
#: ... plus this many.
EXPANSION_SLACK = 10_000


class ExpansionError(ValueError):
    """A YAML document whose aliases expand it past the limit, or refer into themselves."""


def _children(node: Any) -> list[Any]:
    """The nodes directly under a composed YAML node (keys and values of a mapping)."""
    if not isinstance(node.value, list):
        return []
    return [part for item in node.value
            for part in (item if isinstance(item, tuple) else (item,))]


def check_expansion(root: Any, limit: int) -> int:
    """The size of the composed document ``root`` with every alias counted as a copy of what it
    names: one per node plus the length of each scalar. Each node is visited once, so this
    takes time in proportion to the document, not to its expansion. Raises
    :class:`ExpansionError` past ``limit``, or when an alias names a node that contains it.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the node being counted and the nodes above it
    pending: list[tuple[Any, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            own = len(node.value) if isinstance(node.value, str) else 0
            size = 1 + own + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise ExpansionError(f"aliases expand the document past {limit:,} nodes and "
                                     "characters")
            sizes[key] = size
        elif key in open_nodes:
            raise ExpansionError("an alias refers to a node that contains it")
        elif key not in sizes:
            open_nodes.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def read_config_secure(text: str, *, max_chars: int = MAX_CONFIG_CHARS) -> object:
    """Read a YAML configuration as plain data, within limits of size and expansion.

    ``SafeLoader`` builds only plain data, and builds each aliased node once, so anything
    that later walks the result (printing, ``json.dumps``, a validator) visits every alias
    again. The document is therefore composed first and measured with its aliases expanded
    (:func:`check_expansion`), and refused past ``EXPANSION_FACTOR`` times its length.

    Assumes: the caller checks the types and values it gets: this is YAML 1.1 as PyYAML reads
    it, where ``no`` is ``False``, ``0o17`` and ``017`` are numbers and ``2024-01-02`` is a
    date.
    Does not stop: a configuration that is well-formed and hostile as configuration (a URL
    that points elsewhere, a limit of zero); and the parser's own cost up to the size limit,
    a fraction of a second for 64 KiB with PyYAML's pure-Python parser.
    """
    import yaml

    if len(text) > max_chars:
        raise ValueError(f"configuration longer than {max_chars:,} characters")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, EXPANSION_SLACK + EXPANSION_FACTOR * len(text))
        return loader.construct_document(node)
    except RecursionError:  # the composer and the constructor recurse once per level
        raise ValueError("configuration nested too deeply") from None
    finally:
        loader.dispose()


def read_config_first_try(text: str) -> object:
    """The first secure version: ``yaml.safe_load``, with no limit on size or expansion.

    Kept to show the adapted attacks beating it: a few hundred bytes of anchors and aliases
    make a value whose printing takes longer than the request may, and a document of a few
    megabytes keeps the parser busy for several seconds.
    """
    import yaml

    return yaml.safe_load(text)


def yaml_payload() -> str:
    """Mallory's configuration: one ordinary key, one key whose value is a function call."""
    return f'name: demo\ndebug: !!python/object/apply:builtins.exec ["{PAYLOAD_CODE}"]\n'


def _write_yaml(tmp: Path) -> str:
    (tmp / "config.yaml").write_text(yaml_payload(), encoding="utf-8")
    return "config.yaml"


def tag_spellings() -> dict[str, str]:
    """The same call written the other ways YAML allows: a verbatim tag, a ``%TAG`` handle of
    her own, and ``python/object/new`` on a class whose construction calls ``exec``."""
    return {
        "verbatim tag": f'name: demo\ndebug: !<tag:yaml.org,2002:python/object/apply:builtins.exec> '
                        f'["{PAYLOAD_CODE}"]\n',
        "%TAG handle": f'%TAG !py! tag:yaml.org,2002:python/\n---\nname: demo\n'
                       f'debug: !py!object/apply:builtins.exec ["{PAYLOAD_CODE}"]\n',
        "object/new of map": "name: demo\ndebug: !!python/object/new:tuple "
                             "[!!python/object/new:map [!!python/name:builtins.exec , "
                             f'["{PAYLOAD_CODE}"]]]\n',
    }


def attack_tag_spellings(func: Callable[..., object]) -> Outcome:
    """Mallory spells the Python tag the other ways YAML allows, for a loader or a filter that
    looks for ``!!python/object/apply``."""
    return attack_with(func, {label: file_writer("config.yaml", doc.encode())
                              for label, doc in tag_spellings().items()}, mode="text")


#: Levels of the alias document: its value counts 10**LAUGH_LEVELS strings once expanded.
LAUGH_LEVELS = 8


def alias_laughs(levels: int = LAUGH_LEVELS) -> str:
    """Billion laughs in YAML: each anchor is a list of ten aliases to the previous one."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def attack_alias_laughs(func: Callable[..., object]) -> Outcome:
    """Mallory sends a few hundred bytes of anchors and aliases; the service prints the
    configuration it loaded (the child prints what the loader returned) and has two seconds."""
    doc = alias_laughs()
    stalled, observed = stalls_in_child(func, file_writer("config.yaml", doc.encode()),
                                        mode="text")
    out_of_memory = "MemoryError" in observed
    return Outcome(stalled or out_of_memory, f"a {len(doc)}-byte document: {observed}")


def attack_large_document(func: Callable[..., object]) -> Outcome:
    """Mallory sends a plain configuration of 2 MB, no tag, no alias; the parser has two
    seconds."""
    doc = "".join(f"key{i}: [value{i}, {i}, true]\n" for i in range(60_000))
    stalled, observed = stalls_in_child(func, file_writer("config.yaml", doc.encode()),
                                        mode="text")
    return Outcome(stalled, f"a {len(doc) / 1e6:.1f} MB document: {observed}")


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory submits a configuration file."""
    ran, observed = load_in_child(func, _write_yaml, mode="text")
    return Outcome(attack_succeeded=ran, observed=observed)


RISK = register(
    Risk(
        id="PSB-YAML-LOAD",
        title="yaml.load with an unsafe loader runs code",
        summary="With UnsafeLoader or Loader, a YAML tag can call any importable function "
        "while the document loads; safe_load builds plain data only.",
        cwe=502,
        bandit=("B506",),
        modules=("yaml",),
        page="practices/deserialization",
        insecure=read_config_insecure,
        secure=read_config_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("the Python tag as a verbatim tag, through a %TAG handle, and as "
                          "object/new", "encoding", attack_tag_spellings),
            AdaptedAttack("billion laughs with anchors and aliases, then printed", "exhaustion",
                          attack_alias_laughs, beats=read_config_first_try),
            AdaptedAttack("a plain configuration of 2 MB", "exhaustion", attack_large_document,
                          beats=read_config_first_try),
        ),
    )
)
