"""XML entities: what the expat inside this Python stops, and what it still lets through.

Two classic XML attacks, measured on the interpreter that builds the book:

- **Entity expansion.** Nested entity definitions ("billion laughs") or one big entity
  referenced many times (quadratic blowup) make a small document expand enormously. Since
  expat 2.4.0 the parser refuses documents whose expansion exceeds an amplification limit,
  but the limit only starts to apply after several megabytes of output, so a document of a
  few hundred bytes still costs megabytes on every request.
- **External entities (XXE).** ``<!ENTITY x SYSTEM "file:///...">`` asks the parser to read a
  file into the document. ElementTree and minidom do not; a SAX parser does once the
  ``feature_external_ges`` feature is switched on.

``defusedxml`` refuses both: any entity declaration raises ``EntitiesForbidden``. Its
defaults still accept a DTD, whose ``ATTLIST`` defaults are copied onto every element they
name, outside expat's amplification limit; the secure versions pass ``forbid_dtd=True``.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import io
import pyexpat
import urllib.parse
import xml.dom.minidom  # nosec B408 - used only to measure what the standard parsers do
import xml.etree.ElementInclude  # nosec B405 - used only to demonstrate PSB-XML-EXTERNAL-ENTITY
import xml.etree.ElementTree  # nosec B405 - used only to demonstrate PSB-XML-ENTITY-EXPANSION
import xml.sax  # nosec B406 - used only to demonstrate PSB-XML-EXTERNAL-ENTITY
import xml.sax.handler  # nosec B406 - used only to demonstrate PSB-XML-EXTERNAL-ENTITY
from collections.abc import Callable
from pathlib import Path

import defusedxml
import defusedxml.ElementTree
import defusedxml.expatreader
import defusedxml.sax

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.risks.pickling import file_writer, stalls_in_child

SECRET = "db_password=hunter2"  # nosec B105 - a fake secret the attack tries to read


class TextCollector(xml.sax.handler.ContentHandler):
    """A SAX handler that keeps the character data of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def characters(self, content: str) -> None:
        self.parts.append(content)

    @property
    def text(self) -> str:
        return "".join(self.parts)


# --- external entities -------------------------------------------------------------------


def read_note_insecure(document: bytes) -> str:
    """Return the text of an XML note, parsed with SAX and external entities enabled."""
    parser = xml.sax.make_parser()  # nosec B317 - deliberately insecure: demonstration of PSB-XML-EXTERNAL-ENTITY
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    handler = TextCollector()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(document))
    return handler.text


def read_note_secure(document: bytes) -> str:
    """Return the text of an XML note, parsed with defusedxml's SAX parser, refusing any DTD.

    defusedxml refuses entity declarations and external references by default; with
    ``forbid_dtd=True`` it also refuses the ``<!DOCTYPE``, whose attribute defaults would
    otherwise be copied onto every element.

    Assumes: the note is read as text only: nothing after the parse follows references the
    document makes (XInclude, ``xml:base``, URLs in attributes); and the caller caps the size
    of ``document``.
    Does not stop: a large document costing time in proportion to its size; a note that is
    well-formed but hostile as text (markup for the page it is shown on must still be
    escaped there).
    """
    parser = defusedxml.expatreader.DefusedExpatParser(forbid_dtd=True)
    handler = TextCollector()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(document))
    return handler.text


def read_note_first_try(document: bytes) -> str:
    """The first secure version: defusedxml's SAX parser with its defaults.

    Kept to show an adapted attack beating it: the defaults allow a DTD without entities, and
    an ``ATTLIST`` default is copied onto every element; the handler drops the attributes, but
    the parser builds each copy first, in time that grows with the square of the document.
    """
    parser = defusedxml.sax.make_parser()
    handler = TextCollector()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(document))
    return handler.text


def refuse_entity_markup(document: bytes) -> None:
    """The check both filtering first fixes make: refuse bytes that declare an entity."""
    if b"<!ENTITY" in document.upper():
        raise ValueError("refused: the document declares an entity")


def read_note_filtered_first_try(document: bytes) -> str:
    """A first fix: keep the SAX parser as it was, and refuse documents whose bytes contain
    ``<!ENTITY``.

    Kept to show the adapted attacks beating it: the filter reads bytes, the parser reads
    characters in the encoding the document declares, and it fetches the DTD the document
    names, where the declaration can be.
    """
    refuse_entity_markup(document)
    return read_note_insecure(document)


def read_note_xinclude_first_try(document: bytes) -> str:
    """A first fix for notes that include fragments: parse with defusedxml, then let
    ``ElementInclude`` assemble the note.

    Kept to show an adapted attack beating it: XInclude is processed after the parse, where
    defusedxml has no say, and it reads any file the document names.
    """
    root = defusedxml.ElementTree.fromstring(document)
    xml.etree.ElementInclude.include(root)
    return "".join(root.itertext())


def xxe_document(target: Path) -> bytes:
    """A note whose body is an external entity naming a local file."""
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE note [<!ENTITY body SYSTEM "{target.as_uri()}">]>\n'
        "<note>&body;</note>"
    ).encode()


def attack_xxe(func: Callable[[bytes], str]) -> Outcome:
    """Mallory submits a note that names a secret file on the server."""
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        try:
            text = func(xxe_document(secret))
        except (defusedxml.DefusedXmlException, xml.sax.SAXException, ValueError) as exc:
            message = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
            return Outcome(False, f"refused: {message}")
    if SECRET in text:
        return Outcome(True, f"the parsed note contains the server's file: {text!r}")
    return Outcome(False, f"parsed, the note reads {text!r}")


def _declare_encoding(document: bytes, encoding: str) -> bytes:
    """The same document re-encoded, its XML declaration naming the new encoding."""
    text = document.decode("utf-8").replace('<?xml version="1.0"?>',
                                             f'<?xml version="1.0" encoding="{encoding}"?>')
    return text.encode(encoding)


def _secret_outcome(func: Callable[[bytes], str], documents: dict[str, bytes], tmp: Path) -> Outcome:
    """Parse each document with ``func``: did any parsed note contain the secret file?"""
    parts = []
    for label, document in documents.items():
        try:
            text = func(document)
        except (defusedxml.DefusedXmlException, xml.sax.SAXException, ValueError,
                SyntaxError) as exc:  # ElementInclude raises FatalIncludeError, a SyntaxError
            message = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")[:160]
            parts.append(f"{label}: refused ({message})")
            continue
        if SECRET in text:
            return Outcome(True, f"{label}: the parsed note contains the server's file: {text!r}")
        parts.append(f"{label}: parsed, the note reads {text!r}")
    return Outcome(False, "; ".join(parts))


def attack_xxe_utf16(func: Callable[[bytes], str]) -> Outcome:
    """Mallory sends her note in UTF-16, whose bytes do not contain ``<!ENTITY`` as ASCII."""
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        return _secret_outcome(func, {"UTF-16 note": _declare_encoding(xxe_document(secret),
                                                                       "UTF-16")}, tmp)


def dtd_url_document(target: Path) -> bytes:
    """A note that declares no entity itself: it names a DTD, given inline as a ``data:`` URL
    (percent-encoded), which declares the external entity."""
    dtd = f'<!ENTITY body SYSTEM "{target.as_uri()}">'
    url = "data:application/xml-dtd," + urllib.parse.quote(dtd)
    return f'<?xml version="1.0"?>\n<!DOCTYPE note SYSTEM "{url}">\n<note>&body;</note>'.encode()


def attack_xxe_external_dtd(func: Callable[[bytes], str]) -> Outcome:
    """Mallory moves the declaration out of the document, into the DTD it names, as a
    ``data:`` URL that needs no server of hers."""
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        return _secret_outcome(func, {"DTD by data: URL": dtd_url_document(secret)}, tmp)


def xinclude_document(target: Path) -> bytes:
    """A note with no DTD and no entity: an XInclude element naming a local file as text."""
    return (f'<note xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{target}" parse="text"/></note>').encode()


def attack_xxe_xinclude(func: Callable[[bytes], str]) -> Outcome:
    """Mallory asks for the file by XInclude, which needs no entity and no DTD."""
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        return _secret_outcome(func, {"XInclude note": xinclude_document(secret)}, tmp)


def attack_xxe_attlist_time(func: Callable[[bytes], str]) -> Outcome:
    """Mallory gives up on the file and goes for time: a note of under 2 MB whose DTD gives
    each of 300,000 elements a default attribute of 600,000 characters. The reader has two
    seconds."""
    document = attlist_document(600_000, 300_000)
    stalled, observed = stalls_in_child(func, file_writer("note.xml", document))
    return Outcome(stalled, f"a {len(document) / 1e6:.1f} MB note: {observed}")


# --- entity expansion --------------------------------------------------------------------


def parse_insecure(document: bytes) -> xml.etree.ElementTree.Element:
    """Parse an uploaded XML document with the standard library's ElementTree."""
    return xml.etree.ElementTree.fromstring(document)  # nosec B314 - deliberately insecure: demonstration of PSB-XML-ENTITY-EXPANSION


def parse_secure(document: bytes) -> xml.etree.ElementTree.Element:
    """Parse an uploaded XML document with defusedxml, refusing any DTD.

    A DTD is what lets a small document describe a large one: entities, and attribute
    defaults (``ATTLIST``) that the parser copies onto every element they name. Documents sent
    to a service rarely need one, so ``forbid_dtd=True`` refuses the ``<!DOCTYPE`` itself.

    Assumes: the caller caps the size of ``document``: without a DTD the tree is still about
    forty times the size of the markup for deeply nested elements.
    Does not stop: work done on the tree afterwards: a deeply nested document parses, and
    then makes recursive code (``ElementTree.tostring``, a hand-written walk) raise
    ``RecursionError``; and references the document makes (XInclude, URLs in attributes),
    which nothing here follows but later code might.
    """
    return defusedxml.ElementTree.fromstring(document, forbid_dtd=True)


def parse_first_try(document: bytes) -> xml.etree.ElementTree.Element:
    """The first secure version: defusedxml's defaults, which refuse entity declarations and
    allow the rest of a DTD.

    Kept to show an adapted attack beating it: a default attribute value declared once in the
    DTD is copied onto every element it names, with no entity anywhere.
    """
    return defusedxml.ElementTree.fromstring(document)


def parse_filtered_first_try(document: bytes) -> xml.etree.ElementTree.Element:
    """A first fix: keep ElementTree, refuse documents whose bytes contain ``<!ENTITY``.

    Kept to show an adapted attack beating it: a UTF-16 document declares its entities in
    bytes that never spell ``<!ENTITY`` in ASCII.
    """
    refuse_entity_markup(document)
    return parse_insecure(document)


def laughs_document(levels: int, fanout: int = 10) -> bytes:
    """Nested entities: ``l{levels}`` expands to ``3 * fanout ** levels`` characters."""
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '<!ENTITY l0 "lol">']
    for level in range(1, levels + 1):
        lines.append(f'<!ENTITY l{level} "{f"&l{level - 1};" * fanout}">')
    lines += ["]>", f"<lolz>&l{levels};</lolz>"]
    return "\n".join(lines).encode()


def quadratic_document(size: int) -> bytes:
    """One entity of ``size`` characters, referenced ``size`` times: ``size**2`` characters."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "{"x" * size}">]>'
        f"<r>{'&a;' * size}</r>"
    ).encode()


#: The attack's document: under the expansion that expat's protection lets through here.
ATTACK_LEVELS = 6
#: Output per input byte above which we call the expansion an attack that worked.
AMPLIFICATION_THRESHOLD = 1_000


def attack_expansion(func: Callable[[bytes], xml.etree.ElementTree.Element]) -> Outcome:
    """Mallory uploads a few hundred bytes of XML; how much text does the server build?"""
    document = laughs_document(ATTACK_LEVELS)
    try:
        root = func(document)
    except (defusedxml.DefusedXmlException, xml.etree.ElementTree.ParseError) as exc:
        return Outcome(False, f"{len(document)}-byte document refused: {type(exc).__name__}: {exc}")
    size = len(root.text or "")
    ratio = size / len(document)
    return Outcome(
        ratio > AMPLIFICATION_THRESHOLD,
        f"a {len(document)}-byte document became {size:,} characters of text "
        f"({ratio:,.0f} times its size)",
    )


def tree_size(root: xml.etree.ElementTree.Element) -> int:
    """Characters the parsed tree holds: text, tails, attribute names and values."""
    return sum(len(el.text or "") + len(el.tail or "")
               + sum(len(k) + len(v) for k, v in el.attrib.items()) for el in root.iter())


def _expansion_outcome(func: Callable[[bytes], xml.etree.ElementTree.Element],
                       document: bytes, label: str) -> Outcome:
    try:
        root = func(document)
    except (defusedxml.DefusedXmlException, xml.etree.ElementTree.ParseError, ValueError) as exc:
        return Outcome(False, f"{label} of {len(document):,} bytes refused: "
                              f"{type(exc).__name__}: {exc}")
    size = tree_size(root)
    del root
    ratio = size / len(document)
    return Outcome(ratio > AMPLIFICATION_THRESHOLD,
                   f"{label} of {len(document):,} bytes became a tree of {size:,} characters "
                   f"({ratio:,.0f} times its size)")


def attlist_document(value_chars: int = 10_000, elements: int = 2_500) -> bytes:
    """No entity: one ``ATTLIST`` giving element ``e`` a default attribute of ``value_chars``
    characters, and ``elements`` empty ``<e/>``, each of which receives it."""
    return (f'<?xml version="1.0"?><!DOCTYPE r [<!ATTLIST e a CDATA "{"x" * value_chars}">]>'
            f"<r>{'<e/>' * elements}</r>").encode()


def attack_attlist_defaults(func: Callable[[bytes], xml.etree.ElementTree.Element]) -> Outcome:
    """Mallory declares no entity at all: a default attribute value in the DTD, which the
    parser copies onto each of thousands of empty elements."""
    return _expansion_outcome(func, attlist_document(), "an ATTLIST document")


def attack_utf16_laughs(func: Callable[[bytes], xml.etree.ElementTree.Element]) -> Outcome:
    """Mallory sends the attack's nested entities in UTF-16, past a filter on the bytes
    ``<!ENTITY``."""
    return _expansion_outcome(func, _declare_encoding(laughs_document(ATTACK_LEVELS), "UTF-16"),
                              "a UTF-16 entity document")


# --- measurements for the page -----------------------------------------------------------


def _et(document: bytes) -> str:
    return f"{len(xml.etree.ElementTree.fromstring(document).text or ''):,} chars"  # nosec B314 - measurement on trusted, generated input


def _minidom(document: bytes) -> str:
    root = xml.dom.minidom.parseString(document).documentElement  # nosec B318 - measurement on trusted, generated input
    return f"{sum(len(n.data) for n in root.childNodes if n.nodeType == n.TEXT_NODE):,} chars"


def _sax(document: bytes, external: bool = False) -> str:
    parser = xml.sax.make_parser()  # nosec B317 - measurement on trusted, generated input
    parser.setFeature(xml.sax.handler.feature_external_ges, external)
    handler = TextCollector()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(document))
    return f"{len(handler.text):,} chars {handler.text[:19]!r}" if external else f"{len(handler.text):,} chars"


def _defused(document: bytes) -> str:
    return f"{len(defusedxml.ElementTree.fromstring(document).text or ''):,} chars"


PARSERS: dict[str, Callable[[bytes], str]] = {
    "ElementTree.fromstring": _et,
    "minidom.parseString": _minidom,
    "sax (defaults)": _sax,
    "sax + external_ges": lambda d: _sax(d, external=True),
    "defusedxml.ElementTree": _defused,
}


def _outcome(parse: Callable[[bytes], str], document: bytes) -> str:
    try:
        return parse(document)
    except Exception as exc:  # noqa: BLE001 - every refusal is a result to report
        message = str(exc)
        if "amplification" in message:
            return f"refused ({type(exc).__name__}: amplification limit breached)"
        if isinstance(exc, defusedxml.DefusedXmlException):
            return f"refused ({type(exc).__name__})"
        return f"{type(exc).__name__}: {message[:50]}"


def expat_facts() -> dict[str, object]:
    """The expat this Python is linked against, and whether it exposes the limit setters."""
    parser = pyexpat.ParserCreate()
    return {
        "pyexpat.EXPAT_VERSION": pyexpat.EXPAT_VERSION,
        "pyexpat.version_info": pyexpat.version_info,
        "limit setters exposed": sorted(n for n in dir(parser)
                                        if "BillionLaughs" in n or "AllocTracker" in n),
        "defusedxml": defusedxml.__version__,
    }


def with_lower_floor(threshold: int = 2**16) -> str:
    """The attack's document again, with expat's activation threshold lowered to
    ``threshold`` bytes, where this interpreter exposes the setter (added to CPython's
    security releases in 2026, gh-90949); otherwise says that it cannot."""
    parser = pyexpat.ParserCreate()
    setter = getattr(parser, "SetBillionLaughsAttackProtectionActivationThreshold", None)
    if setter is None:
        return "this interpreter's parsers have no setter for the threshold: the floor stays"
    setter(threshold)
    document = laughs_document(ATTACK_LEVELS)
    try:
        parser.Parse(document, True)
    except pyexpat.ExpatError as exc:
        return f"threshold lowered to {threshold:,} bytes: the {len(document)}-byte document is refused ({exc})"
    return f"threshold lowered to {threshold:,} bytes: the {len(document)}-byte document still parsed"


def measure() -> list[tuple[str, str, str]]:
    """Each standard parser (and defusedxml) against each attack document: what happened.

    Every document is generated here and bounded by expat's own limits; the largest
    expansion any parser completes is a few megabytes.
    """
    rows = []
    with private_tmpdir() as tmp:
        secret = tmp / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        documents = {
            f"billion laughs, 9 levels ({len(laughs_document(9))} B)": laughs_document(9),
            f"laughs, 6 levels ({len(laughs_document(6))} B)": laughs_document(6),
            f"quadratic 10k x 10k ({len(quadratic_document(10_000)) // 1024} KiB)":
                quadratic_document(10_000),
            f"quadratic 2k x 2k ({len(quadratic_document(2_000)) // 1024} KiB)":
                quadratic_document(2_000),
            "external file entity": xxe_document(secret),
        }
        for label, document in documents.items():
            for name, parse in PARSERS.items():
                rows.append((label, name, _outcome(parse, document)))
    return rows


RISK_XXE = register(
    Risk(
        id="PSB-XML-EXTERNAL-ENTITY",
        title="XML external entities read local files",
        summary="A SAX parser with external general entities enabled reads any file a "
        "document names; defusedxml refuses entity declarations.",
        cwe=611,
        bandit=("B317",),
        modules=("xml", "xml.sax", "pyexpat"),
        page="practices/deserialization",
        insecure=read_note_insecure,
        secure=read_note_secure,
        attack=attack_xxe,
        adapted=(
            AdaptedAttack("the note in UTF-16, past a filter on the bytes '<!ENTITY'",
                          "encoding", attack_xxe_utf16, beats=read_note_filtered_first_try),
            AdaptedAttack("the entity declared in the DTD the note names, a percent-encoded "
                          "data: URL", "encoding", attack_xxe_external_dtd,
                          beats=read_note_filtered_first_try),
            AdaptedAttack("XInclude of a local file, processed after a defused parse",
                          "variant", attack_xxe_xinclude, beats=read_note_xinclude_first_try),
            AdaptedAttack("an ATTLIST default copied onto 300,000 elements, for time",
                          "exhaustion", attack_xxe_attlist_time, beats=read_note_first_try),
        ),
    )
)

RISK_EXPANSION = register(
    Risk(
        id="PSB-XML-ENTITY-EXPANSION",
        title="XML entity expansion below expat's limits",
        summary="expat stops billion laughs, but a few hundred bytes of nested entities still "
        "expand to megabytes on every parse; defusedxml refuses entities.",
        cwe=776,
        bandit=("B314",),
        modules=("xml", "xml.etree.ElementTree", "pyexpat"),
        page="practices/deserialization",
        insecure=parse_insecure,
        secure=parse_secure,
        attack=attack_expansion,
        adapted=(
            AdaptedAttack("a default attribute from an ATTLIST, copied onto thousands of "
                          "elements: no entity at all", "exhaustion", attack_attlist_defaults,
                          beats=parse_first_try),
            AdaptedAttack("the nested entities in UTF-16, past a filter on the bytes "
                          "'<!ENTITY'", "encoding", attack_utf16_laughs,
                          beats=parse_filtered_first_try),
        ),
    )
)
