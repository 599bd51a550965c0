"""Properties of the secure loaders of book/practices/deserialization, stated as the attacker's
goal.

The adapted attacks in the risk modules are the payloads a person thought of; Hypothesis
splices the same pieces (gadgets, memoised names, tag spellings, anchors and aliases, DTD
declarations, encodings, links and pipes) in combinations nobody wrote down. Payload code in
these tests only sets ``sys.psb_canary``: if any loader ran code, the canary says so, and
nothing else happens. Each property was checked to fail when pointed at the first fix it
guards against (see the module docstrings of the risk modules for those).
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import pickle
import sys
import urllib.parse
import xml.etree.ElementTree as ET
import xml.sax
from collections.abc import Iterator
from pathlib import Path

import defusedxml
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import marshal_data, pickling, shelve_files, xml_parsing
from pysecbook.teaching.risks import yaml_loading

#: What every generated payload runs, if a loader lets it: it sets an attribute, nothing more.
CANARY = "import sys; sys.psb_canary = True"
PLAIN = (dict, list, str, int, float, bool, type(None))
#: What ``SafeLoader`` may build besides JSON's types: dates, times, bytes and sets.
YAML_PLAIN = (*PLAIN, bytes, datetime.date, set)


def _canary_sang() -> bool:
    """Whether code ran since the last call (each example starts with a silent canary)."""
    return bool(sys.__dict__.pop("psb_canary", False))


@pytest.fixture(autouse=True)
def _no_canary() -> Iterator[None]:
    _canary_sang()
    yield
    _canary_sang()


def _only_plain_data(value: object, plain: tuple[type, ...] = PLAIN) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if not isinstance(item, plain):
            return False
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


# pickles and JSON, built from an attacker's pieces ----------------------------------------

_text, _global = pickling._text, pickling._global
#: Ways to name a callable: STACK_GLOBAL, GLOBAL, STACK_GLOBAL with the names from the memo.
NAMINGS = st.sampled_from(("stack", "global", "memo"))
#: Callables that run a string, and the gadgets that reach one.
TARGETS = st.sampled_from((("builtins", "exec"), ("builtins", "eval"), ("timeit", "timeit"),
                           ("collections", "_itemgetter")))
DECOYS = st.lists(st.sampled_from(sorted(pickling.SCANNER_ALLOWLIST)), max_size=2)


def _name(naming: str, module: str, name: str, decoys: list[tuple[str, str]], memo: int) -> bytes:
    """The opcodes that put ``module.name`` on the stack, with decoy names for a scanner."""
    noise = b"".join(_text(m) + _text(n) + b"00" for m, n in decoys)
    if naming == "global":
        return noise + b"c" + f"{module}\n{name}\n".encode()
    if naming == "memo":
        return (_text(module) + b"\x94" + _text(name) + b"\x94" + b"00" + noise
                + b"h" + bytes([memo]) + b"h" + bytes([memo + 1]) + b"\x93")
    return noise + _global(module, name)


@st.composite
def pickles(draw: st.DrawFn) -> bytes:
    """A pickle that tries to run :data:`CANARY`, by a route and a naming drawn at random."""
    naming, (module, name), decoys = draw(NAMINGS), draw(TARGETS), draw(DECOYS)
    call = b"\x85R"
    if (module, name) == ("timeit", "timeit"):
        body = (_name(naming, module, name, decoys, 0) + b"(" + _text(CANARY) + _text("pass")
                + _global("time", "perf_counter") + b"K\x01tR")
    elif (module, name) == ("collections", "_itemgetter"):
        body = (_name(naming, module, name, decoys, 0) + _text("exec") + call
                + _name(draw(NAMINGS), "collections", "__builtins__", [], 2) + call
                + _text(CANARY) + call)
    else:
        code = CANARY if name == "exec" else f"exec({CANARY!r})"
        body = _name(naming, module, name, decoys, 0) + _text(code) + call
    if draw(st.booleans()):  # the call tucked inside a dict, as a field of a message
        body = b"}" + _text("field") + body + b"s"
    return b"\x80" + bytes([draw(st.sampled_from((2, 4, 5)))]) + body + b"."


LOOKALIKE_KEYS = st.sampled_from(("py/reduce", "py/object", "py/function", "__reduce__",
                                  "__class__", "!!python/object/apply", "$type", "__proto__"))
JSON_DOCS = st.recursive(
    st.one_of(st.just(CANARY), st.just("builtins.exec"), st.integers(), st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(LOOKALIKE_KEYS, inner, max_size=3)),
    max_leaves=8).map(lambda doc: json.dumps(doc).encode())
PAYLOADS = st.one_of(pickles(), JSON_DOCS, st.tuples(JSON_DOCS, pickles()).map(b"".join))


@pytest.mark.parametrize("load", [pickling.load_secure, marshal_data.load_rules_secure])
@given(data=PAYLOADS)
def test_no_generated_payload_runs_code_or_builds_objects(load, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """Goal: run code in the loading process, or get anything but plain data out of it."""
    _canary_sang()
    try:
        value = load(data)
    except (ValueError, RecursionError):
        value = None
    assert not _canary_sang(), data
    assert _only_plain_data(value), data


# signed pickles ---------------------------------------------------------------------------

KEYS = (bytes(range(32)), bytes(range(1, 33)), b"\xff" * 32)
PURPOSES = (pickling.JOB_PURPOSE, pickling.COOKIE_PURPOSE, "", "job", "-queue")


def _other(draw: st.DrawFn, choices: tuple[object, ...], than: object) -> object:
    return draw(st.sampled_from([c for c in choices if c != than]))


@st.composite
def tampered(draw: st.DrawFn) -> tuple[bytes, bytes, str]:
    """A message the application signed (for some purpose, under some key), then changed by
    Mallory: a flipped bit, a cut, bytes added, another purpose's tag, another key's tag."""
    key, purpose = draw(st.sampled_from(KEYS)), draw(st.sampled_from(PURPOSES))
    data = pickle.dumps(draw(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
    blob = pickling.sign(data, key, purpose=purpose)
    how = draw(st.sampled_from(("flip", "cut", "add", "purpose", "key", "tag-only")))
    if how == "flip":
        at = draw(st.integers(0, len(blob) - 1))
        blob = blob[:at] + bytes([blob[at] ^ (1 << draw(st.integers(0, 7)))]) + blob[at + 1:]
    elif how == "cut":
        blob = blob[:draw(st.integers(0, len(blob) - 1))]
    elif how == "add":
        blob = blob + draw(st.binary(min_size=1, max_size=4))
    elif how == "purpose":
        blob = pickling.sign(data, key, purpose=_other(draw, PURPOSES, purpose))  # type: ignore[arg-type]
    elif how == "key":
        blob = pickling.sign(data, _other(draw, KEYS, key), purpose=purpose)  # type: ignore[arg-type]
    else:
        blob = blob[:pickling.TAG_BYTES]
    return blob, key, purpose


@given(tampered())
def test_no_changed_or_misdirected_signed_message_is_accepted(case: tuple[bytes, bytes, str]) -> None:
    """Goal: get the loader to accept a message the application did not sign, for this
    purpose, in this form."""
    blob, key, purpose = case
    with pytest.raises(pickling.BadSignature):
        pickling.load_signed(blob, key, purpose=purpose)


# YAML -------------------------------------------------------------------------------------

TAGS = st.sampled_from((
    "!!python/object/apply:builtins.exec", "!<tag:yaml.org,2002:python/object/apply:builtins.exec>",
    "!py!object/apply:builtins.exec", "!!python/object/new:builtins.exec", "!!python/name:builtins.exec",
    "!!python/module:os", "!!set", "!!omap",
))


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """A configuration built from tags, a ``%TAG`` directive, anchors and aliases nested to a
    drawn depth and fan-out, recursive aliases and merge keys."""
    lines = []
    if draw(st.booleans()):
        lines += ["%TAG !py! tag:yaml.org,2002:python/", "---"]
    tag = draw(st.one_of(st.none(), TAGS))  # half the documents carry no tag at all
    lines.append(f"hook: {tag} [{json.dumps(CANARY)}]" if tag else "name: demo")
    levels, fanout = draw(st.integers(0, 9)), draw(st.integers(1, 10))
    lines.append(f"a0: &a0 [{', '.join([draw(st.sampled_from(('lol', 'x' * 200)))] * fanout)}]")
    merge = draw(st.booleans())
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * fanout)
        lines.append(f"a{level}: &a{level} {{<<: [{refs}], k{level}: v}}" if merge and level > 1
                     else f"a{level}: &a{level} [{refs}]")
    if draw(st.booleans()):
        lines.append("loop: &loop [*loop]" if draw(st.booleans()) else "m: &m {self: *m}")
    return "\n".join(lines) + "\n"


def _expanded_size(value: object, limit: int) -> int:
    """Nodes plus string characters met when walking ``value`` as printing it would, stopping
    just past ``limit``; a cycle counts as past it."""
    size, pending, path = 0, [(value, ())], None
    while pending and size <= limit:
        item, ancestors = pending.pop()
        if id(item) in ancestors:
            return limit + 1
        size += 1 + (len(item) if isinstance(item, str) else 0)
        path = (*ancestors, id(item)) if isinstance(item, (dict, list)) else ancestors
        if isinstance(item, dict):
            pending.extend((child, path) for pair in item.items() for child in pair)
        elif isinstance(item, list):
            pending.extend((child, path) for child in item)
    return size


@given(yaml_documents())
def test_no_generated_configuration_runs_code_or_expands_past_the_limit(doc: str) -> None:
    """Goal: run code while the configuration loads, or hand back a value whose walk (printing,
    json.dumps, a validator) costs more than the stated multiple of the document's length."""
    limit = yaml_loading.EXPANSION_SLACK + yaml_loading.EXPANSION_FACTOR * len(doc)
    _canary_sang()
    try:
        value = yaml_loading.read_config_secure(doc)
    except (yaml.YAMLError, ValueError):
        return
    finally:
        assert not _canary_sang(), doc
    assert _expanded_size(value, limit) <= limit, doc
    assert _only_plain_data(value, YAML_PLAIN), doc


# XML --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret_file() -> Iterator[Path]:
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(xml_parsing.SECRET, encoding="utf-8")
        yield secret


@st.composite
def xml_documents(draw: st.DrawFn, secret: Path) -> bytes:
    """A note assembled from an attacker's pieces: a DTD (internal entities, parameter
    entities, an external entity naming the secret file, an ATTLIST default, a DTD by URL),
    a body (entity references, XInclude of the secret, repeated elements), an encoding."""
    dtd_parts = draw(st.lists(st.sampled_from((
        '<!ENTITY big "' + "x" * 500 + '">',
        f'<!ENTITY file SYSTEM "{secret.as_uri()}">',
        f'<!ENTITY % p SYSTEM "{secret.as_uri()}">',
        '<!ENTITY % q "<!ENTITY big \'yyyyyyyyyy\'>"> %q;',
        '<!ATTLIST e a CDATA "' + "z" * 500 + '">',
    )), max_size=3))
    doctype = draw(st.sampled_from(("none", "internal", "external")))
    declaration = ""
    if doctype == "internal" or (doctype == "none" and dtd_parts):
        declaration = f"<!DOCTYPE note [{''.join(dtd_parts)}]>"
    elif doctype == "external":
        declaration = ('<!DOCTYPE note SYSTEM "data:application/xml-dtd,'
                       + urllib.parse.quote("".join(dtd_parts) or "<!ELEMENT note ANY>") + '">')
    body = "".join(draw(st.lists(st.sampled_from((
        "&big;", "&file;", "text", "<e/>" * 50,
        f'<xi:include href="{secret}" parse="text"/>',
    )), max_size=4)))
    note = ('<?xml version="1.0"?>' + declaration
            + f'<note xmlns:xi="http://www.w3.org/2001/XInclude">{body}</note>')
    encoding = draw(st.sampled_from(("utf-8", "UTF-16")))
    if encoding != "utf-8":
        note = note.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    return note.encode(encoding)


REFUSALS = (defusedxml.DefusedXmlException, xml.sax.SAXException, ET.ParseError, ValueError,
            SyntaxError)


@given(st.data())
def test_no_generated_note_reads_a_file_or_outgrows_its_document(secret_file: Path, data) -> None:  # type: ignore[no-untyped-def]
    """Goal: the secret file's content in a parsed note or tree, or a tree holding more
    characters than the document had bytes."""
    document = data.draw(xml_documents(secret_file))
    try:
        text = xml_parsing.read_note_secure(document)
    except REFUSALS:
        text = ""
    assert xml_parsing.SECRET not in text
    assert len(text) <= len(document)
    try:
        root = xml_parsing.parse_secure(document)
    except REFUSALS:
        return
    assert xml_parsing.SECRET not in "".join(root.itertext())
    assert xml_parsing.tree_size(root) <= len(document), document[:200]


# settings files ---------------------------------------------------------------------------

KINDS = st.sampled_from(("json", "list", "link-to-json", "link-to-secret", "link-to-zero", "fifo",
                         "sparse", "directory", "shelf", "hard-link-to-json", "deep"))


@pytest.fixture(scope="module")
def settings_dir() -> Iterator[Path]:
    with private_tmpdir() as tmp:
        yield tmp


def _make(tmp: Path, kind: str, n: int) -> Path:
    """A settings file of ``kind`` (fresh name ``n``) as Mallory could leave it."""
    target = tmp / f"settings-{n}.json"
    real = tmp / f"real-{n}.json"
    real.write_text('{"theme": "dark"}', encoding="utf-8")
    if kind == "json":
        return real
    if kind == "list":
        target.write_text("[1, 2]", encoding="utf-8")
    elif kind == "link-to-json":
        target.symlink_to(real)
    elif kind == "link-to-secret":
        secret = tmp / f"secret-{n}.json"
        secret.write_text('{"password": "hunter2"}', encoding="utf-8")
        target.symlink_to(secret)
    elif kind == "link-to-zero":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "sparse":
        with open(target, "wb") as file:
            file.truncate(2**31)
    elif kind == "directory":
        target.mkdir()
    elif kind == "shelf":
        return tmp / shelve_files.build_malicious_shelf(tmp, f"shelf-{n}")
    elif kind == "hard-link-to-json":
        os.link(real, target)
    elif kind == "deep":
        target.write_text("[" * 60_000, encoding="utf-8")
    return target


_FRESH = itertools.count()


@given(KINDS)
def test_no_settings_name_is_followed_waited_on_or_read_past_the_cap(
        settings_dir: Path, kind: str) -> None:
    """Goal: make the reader follow a link, wait on a pipe, read past its cap, or unpickle;
    only a regular file holding a JSON object comes back, as a dict."""
    path = _make(settings_dir, kind, next(_FRESH))
    try:
        value = shelve_files.read_settings_secure(str(path))
    except (OSError, ValueError):
        return
    assert kind in ("json", "hard-link-to-json"), kind
    assert value == {"theme": "dark"}
