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

``defusedxml`` refuses both: any entity declaration raises ``EntitiesForbidden``.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import io
import pyexpat
import xml.dom.minidom  # nosec B408 - used only to measure what the standard parsers do
import xml.etree.ElementTree  # nosec B405 - used only to demonstrate PSB-XML-ENTITY-EXPANSION
import xml.sax  # nosec B406 - used only to demonstrate PSB-XML-EXTERNAL-ENTITY
import xml.sax.handler  # nosec B406 - used only to demonstrate PSB-XML-EXTERNAL-ENTITY
from collections.abc import Callable
from pathlib import Path

import defusedxml
import defusedxml.ElementTree
import defusedxml.sax

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

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
    """Return the text of an XML note, parsed with defusedxml's SAX parser."""
    parser = defusedxml.sax.make_parser()
    handler = TextCollector()
    parser.setContentHandler(handler)
    parser.parse(io.BytesIO(document))
    return handler.text


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
        except (defusedxml.DefusedXmlException, xml.sax.SAXException) as exc:
            message = f"{type(exc).__name__}: {exc}".replace(str(tmp), "<tmp>")
            return Outcome(False, f"refused: {message}")
    if SECRET in text:
        return Outcome(True, f"the parsed note contains the server's file: {text!r}")
    return Outcome(False, f"parsed, the note reads {text!r}")


# --- entity expansion --------------------------------------------------------------------


def parse_insecure(document: bytes) -> xml.etree.ElementTree.Element:
    """Parse an uploaded XML document with the standard library's ElementTree."""
    return xml.etree.ElementTree.fromstring(document)  # nosec B314 - deliberately insecure: demonstration of PSB-XML-ENTITY-EXPANSION


def parse_secure(document: bytes) -> xml.etree.ElementTree.Element:
    """Parse an uploaded XML document with defusedxml, which refuses entity declarations."""
    return defusedxml.ElementTree.fromstring(document)


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
    )
)
