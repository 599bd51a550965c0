"""Jinja2 without autoescaping writes a user's markup into the page as markup.

``jinja2.Environment()`` does not escape by default (``autoescape=False``): a comment
containing ``<script>`` is emitted as a script element. With ``autoescape=True`` (or
``select_autoescape()`` for ``.html`` templates), ``<`` becomes ``&lt;`` and the comment is
shown as text. Bandit rule B701 flags the first.

Autoescaping is HTML escaping: it makes a value safe as element text and inside a *quoted*
attribute, and nowhere else. An unquoted attribute ends at a space, a link runs whatever
scheme it names, a script element ends at ``</script>`` whatever the escaping, and an event
handler attribute is decoded before its JavaScript runs. The secure rendering quotes every
attribute, lets a link through only with an ``http``, ``https`` or ``mailto`` scheme as a
browser reads it, and puts data into its script only through Jinja's ``tojson`` filter.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import html.parser
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: A fragment that shows a visitor's comment as element text only (used by the sanitiser).
COMMENT_TEMPLATE = "<article class='comment'><p>{{ comment }}</p></article>"

#: The comment block as first written: the author's name as the block's title (unquoted) and
#: as link text, a link to their website, and the comment as data for the page's script, made
#: with ``json.dumps`` and marked ``|safe`` because autoescaping garbled it.
FIRST_TRY_TEMPLATE = (
    "<article class=comment title={{ author }}>"
    "<p>{{ comment }}</p>"
    '<p>by <a href="{{ website }}">{{ author }}</a></p>'
    "<script>const comment = {{ data|safe }};</script>"
    "</article>"
)

#: The same block, written for autoescaping: every attribute quoted, the link only when the
#: website passed :func:`check_link`, the script's data through ``tojson``.
SECURE_TEMPLATE = (
    '<article class="comment" title="{{ author }}">'
    "<p>{{ comment }}</p>"
    "<p>by {% if website %}"
    '<a href="{{ website }}" rel="nofollow ugc">{{ author }}</a>'
    "{% else %}{{ author }}{% endif %}</p>"
    "<script>const comment = {{ data|tojson }};</script>"
    "</article>"
)

#: What the attacker posts as a comment (it runs in the browser of whoever reads the page).
ATTACK_COMMENT = "Nice post!<script>alert(document.cookie)</script>"


def render_comment_insecure(comment: str, author: str = "anonymous", website: str = "") -> str:
    """Render a visitor's comment into HTML; the environment does not escape."""
    env = jinja2.Environment(autoescape=False)  # nosec B701 - deliberately insecure: demonstration of PSB-JINJA-AUTOESCAPE
    data = json.dumps({"author": author, "text": comment})
    return env.from_string(FIRST_TRY_TEMPLATE).render(
        comment=comment, author=author, website=website, data=data)


def render_comment_first_try(comment: str, author: str = "anonymous", website: str = "") -> str:
    """Render a visitor's comment with autoescaping on, refusing ``javascript:`` links.

    The first fix, kept to show the adapted attacks beating it: the environment escapes
    every value, but the title attribute is unquoted, the link check is a block list read on
    the raw string, and the script's data is ``json.dumps`` output marked safe.
    """
    if website.strip().lower().startswith("javascript:"):
        raise ValueError("javascript: links are not allowed")
    env = jinja2.Environment(autoescape=True)
    data = json.dumps({"author": author, "text": comment})
    return env.from_string(FIRST_TRY_TEMPLATE).render(
        comment=comment, author=author, website=website, data=data)


#: The schemes a visitor's link may have. Everything else, ``javascript:``, ``data:``,
#: ``vbscript:``, ``file:`` and a link with no scheme at all, is refused.
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def normalise_url(url: str) -> str:
    """``url`` as a browser's URL parser starts reading it (the WHATWG URL standard): leading
    and trailing C0 controls and spaces removed, tabs and newlines removed everywhere."""
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_AND_SPACE))


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads in ``url`` (lower case), or None for a relative URL."""
    match = _SCHEME.match(normalise_url(url))
    return match.group(1).lower() if match else None


def check_link(url: str) -> str:
    """The link to publish for ``url``: its normalised form when its scheme, read the way a
    browser reads it, is ``http``, ``https`` or ``mailto``; ``ValueError`` otherwise.

    The value is checked as the browser will see it, so it must reach the page HTML-escaped
    (the browser decodes entities in an attribute before it parses the URL); returning the
    normalised form means the string checked is the string published.
    """
    normal = normalise_url(url)
    scheme = url_scheme(normal)
    if scheme not in ALLOWED_SCHEMES:
        raise ValueError("a link must start with http:, https: or mailto:, not "
                         f"{scheme or 'no scheme'}")
    return normal


def render_comment_secure(comment: str, author: str = "anonymous", website: str = "") -> str:
    """Render a visitor's comment into HTML, each value escaped for the context it lands in.

    The environment escapes every value (``& < > " '``), which is enough for element text and
    for quoted attributes, and every attribute in the template is quoted. The website goes
    through :func:`check_link` (``ValueError`` for any other scheme). The script's data goes
    through ``tojson``, which writes ``<``, ``>``, ``&`` and ``'`` as ``\\u`` escapes, so no
    value can close the script element or open an HTML comment inside it.

    Assumes: the template is ``SECURE_TEMPLATE``, written by the developer; values reach it only
    through ``render`` (nothing is wrapped in ``Markup`` or marked ``|safe``); the page is
    served as ``text/html`` with a declared character set.
    Does not stop: a value placed in another context than these four, an event-handler
    attribute (``onclick="f('{{ x }}')"``, decoded before its JavaScript runs), a ``style``
    attribute or element, a JavaScript string or template literal, an unquoted attribute
    someone adds later; the page's own script using the data unsafely (``innerHTML``);
    an ``http`` or ``https`` link to a malicious site (phishing, an open redirect).
    """
    link = check_link(website) if website else ""
    env = jinja2.Environment(autoescape=True)
    return env.from_string(SECURE_TEMPLATE).render(
        comment=comment, author=author, website=link, data={"author": author, "text": comment})


#: A comment whose author may use some formatting, and an attacker's version of one.
RICH_COMMENTS = (
    "Thanks, <b>very</b> useful: see <a href='https://docs.python.org/3/'>the docs</a>.",
    "<img src=x onerror=alert(1)>Nice <a href='javascript:alert(1)'>post</a><script>steal()</script>",
)


def sanitize_comment_html(comment: str) -> str:
    """Keep the formatting a comment may use (bold, italics, links, paragraphs) and drop the
    rest, with nh3 (the Ammonia sanitiser), then render it as markup that is already safe."""
    import markupsafe
    import nh3

    clean = nh3.clean(comment, tags={"b", "i", "em", "strong", "a", "p", "br"},
                      attributes={"a": {"href"}}, url_schemes={"https", "mailto"})
    env = jinja2.Environment(autoescape=True)
    return env.from_string(COMMENT_TEMPLATE).render(comment=markupsafe.Markup(clean))  # nosec B704 - nh3 output: markup already sanitised to an allowlist


# What a browser makes of the page --------------------------------------------------------


@dataclass
class Page:
    """What an HTML parser finds in a rendered fragment: the parts that run script."""

    scripts: list[str] = field(default_factory=list)
    handlers: list[tuple[str, str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)

    def script_links(self) -> list[str]:
        """Links whose scheme, read the way a browser reads it, runs or renders content."""
        return [h for h in self.links if url_scheme(h) in {"javascript", "data", "vbscript"}]


class _Reader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.page.attributes.append((tag, name, value or ""))
            if name.startswith("on"):
                self.page.handlers.append((tag, name, value or ""))
            if name in {"href", "src", "action", "formaction"}:
                self.page.links.append(value or "")
        if tag == "script":
            self.page.scripts.append("")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.page.scripts[-1] += data


def read_page(markup: str) -> Page:
    """Parse ``markup`` with Python's HTML parser (attribute values come back decoded, as a
    browser decodes them; a script element ends at the first ``</script``)."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader.page


def injected(markup: str, scripts_expected: int = 1) -> list[str]:
    """What in a rendered comment block runs the attacker's code: a script element beyond the
    template's own, an event-handler attribute, a link with a script-capable scheme."""
    page = read_page(markup)
    found = []
    if len(page.scripts) > scripts_expected:
        theirs = [s for s in page.scripts if not s.startswith("const ")] or page.scripts
        found.append(f"{len(page.scripts) - scripts_expected} extra script element(s): "
                     f"{theirs[0][:40]!r}")
    found += [f"<{tag} {name}={value!r}>" for tag, name, value in page.handlers]
    found += [f"link to {href!r}" for href in page.script_links()]
    return found


def attack(func: object) -> Outcome:
    """Post a comment with a script element: is it in the HTML as a live element?"""
    html_text = func(ATTACK_COMMENT)  # type: ignore[operator]
    found = injected(str(html_text))
    if found:
        return Outcome(True, f"the rendered block runs the attacker's code: {found[0]}")
    return Outcome(False, "the rendered block shows the comment as text: "
                          + str(html_text).split("<p>", 1)[1].split("</p>", 1)[0])


# Adapted attacks -------------------------------------------------------------------------


def _post(impl: Callable[..., object], **fields: str) -> tuple[str | None, list[str], str]:
    """Render one comment with ``fields``; the HTML (None if refused), what in it runs the
    attacker's code, and a line saying what happened."""
    values = {"comment": "Nice post!", **fields}
    try:
        markup = str(impl(values.pop("comment"), **values))
    except ValueError as exc:
        return None, [], f"refused ({exc})"
    found = injected(markup)
    return markup, found, found[0] if found else "nothing runs"


#: The ``javascript:`` link spelt the ways a browser still reads as that scheme: mixed case,
#: leading spaces and control characters (removed before parsing), a tab or a newline inside
#: the scheme (removed everywhere), and character references (decoded in an attribute first).
JAVASCRIPT_LINKS = (
    "JaVaScRiPt:alert(document.cookie)",
    "  javascript:alert(document.cookie)",
    "\x01javascript:alert(document.cookie)",
    "java\tscript:alert(document.cookie)",
    "java\nscript:alert(document.cookie)",
    "&#106;avascript:alert(document.cookie)",
    "javascript&colon;alert(document.cookie)",
)


def attack_javascript_link_variants(impl: Callable[..., object]) -> Outcome:
    """Give a ``javascript:`` URL as the website, in mixed case, after spaces or a control
    character, with a tab or newline inside the scheme, with character references: any one
    that reaches an ``href`` runs when the reader clicks the author's name."""
    return _first_win(impl, "website", JAVASCRIPT_LINKS)


#: Schemes other than ``javascript:`` that put the attacker's content on the screen.
OTHER_SCHEME_LINKS = (
    "data:text/html;base64,PHNjcmlwdD5hbGVydChkb2N1bWVudC5kb21haW4pPC9zY3JpcHQ+",
    "vbscript:msgbox(1)",
    " data:text/html,<script>alert(1)</script>",
)


def attack_other_schemes(impl: Callable[..., object]) -> Outcome:
    """A link a block list of ``javascript:`` does not name: ``data:text/html`` (an HTML
    document of the attacker's, blocked for top-level navigation by current browsers but not
    in older ones or in frames) and ``vbscript:`` (old Internet Explorer)."""
    return _first_win(impl, "website", OTHER_SCHEME_LINKS)


#: Author names that end an unquoted attribute and add an event handler of their own.
ATTRIBUTE_BREAKOUTS = (
    "mallory onmouseover=alert(document.cookie)",
    "mallory\tonfocus=alert(1)\tautofocus\ttabindex=0",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
)


def attack_attribute_breakout(impl: Callable[..., object]) -> Outcome:
    """Choose an author name with a space, or a quote, and an event handler after it: in an
    unquoted attribute the space ends the value and what follows is a new attribute."""
    return _first_win(impl, "author", ATTRIBUTE_BREAKOUTS)


#: Comments that close the template's script element.
SCRIPT_BREAKOUTS = (
    "</script><script>alert(document.cookie)</script>",
    "</SCRIPT ><img src=x onerror=alert(1)>",
)


def attack_script_breakout(impl: Callable[..., object]) -> Outcome:
    """Write ``</script>`` in the comment: the page's script embeds the comment as JSON, and
    an HTML parser ends a script element at the first ``</script`` whatever JavaScript
    thinks of the quotes around it; what follows is the attacker's markup."""
    return _first_win(impl, "comment", SCRIPT_BREAKOUTS)


def _first_win(impl: Callable[..., object], field_name: str, values: tuple[str, ...]) -> Outcome:
    seen = []
    for value in values:
        _markup, found, line = _post(impl, **{field_name: value})
        if found:
            return Outcome(True, f"{field_name} {value!r}: {line}")
        seen.append(f"{value[:24]!r}: {line}")
    return Outcome(False, f"{len(values)} values for {field_name}, none ran code; "
                          + "; ".join(seen))


# Escaping, context by context ------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """One place a value can land in a page, and a payload aimed at it."""

    name: str
    template: str
    payload: str
    runs: Callable[[Page], bool]


#: The contexts of one page, each with the payload that suits it, rendered with
#: ``autoescape=True``. The last one shows why the script's data needs ``tojson``.
CONTEXTS = (
    Context("element text", "<p>{{ v }}</p>", "<script>alert(1)</script>",
            lambda p: bool(p.scripts)),
    Context("quoted attribute", '<p title="{{ v }}">', '" onmouseover="alert(1)',
            lambda p: bool(p.handlers)),
    Context("unquoted attribute", "<p title={{ v }}>", "x onmouseover=alert(1)",
            lambda p: bool(p.handlers)),
    Context("URL attribute", '<a href="{{ v }}">me</a>', "javascript:alert(1)",
            lambda p: bool(p.script_links())),
    Context("event handler", "<button onclick=\"greet('{{ v }}')\">hi</button>",
            "');alert('1", lambda p: any(v.count("'") > 2 for _, _, v in p.handlers)),
    Context("script, json.dumps|safe", "<script>const c = {{ v|safe }};</script>",
            json.dumps("</script><script>alert(1)</script>"), lambda p: len(p.scripts) > 1),
    Context("script, tojson", "<script>const c = {{ v|tojson }};</script>",
            "</script><script>alert(1)</script>", lambda p: len(p.scripts) > 1),
)


def escaping_by_context() -> list[tuple[str, str, str, bool]]:
    """Each context's template, its payload rendered with autoescaping, and whether the
    payload's script runs in a browser: (context, payload, rendered, runs)."""
    env = jinja2.Environment(autoescape=True)
    rows = []
    for ctx in CONTEXTS:
        rendered = env.from_string(ctx.template).render(v=ctx.payload)
        rows.append((ctx.name, ctx.payload, rendered, ctx.runs(read_page(rendered))))
    return rows


RISK = register(
    Risk(
        id="PSB-JINJA-AUTOESCAPE",
        title="Jinja2 with autoescaping off",
        summary="Environment() does not escape by default: a user's <script> lands in the "
        "page as a script (cross-site scripting).",
        cwe=79,
        bandit=("B701",),
        modules=("jinja2",),
        page="practices/code-injection",
        insecure=render_comment_insecure,
        secure=render_comment_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("javascript: links in mixed case, after spaces or controls, with a "
                          "tab or newline in the scheme, with entities", "context",
                          attack_javascript_link_variants, beats=render_comment_first_try),
            AdaptedAttack("data: and vbscript: links, which a javascript: block list does not "
                          "name", "variant", attack_other_schemes,
                          beats=render_comment_first_try),
            AdaptedAttack("an author name that ends an unquoted attribute and adds onmouseover",
                          "context", attack_attribute_breakout, beats=render_comment_first_try),
            AdaptedAttack("</script> in a comment that the page's script embeds as JSON "
                          "(|safe)", "context", attack_script_breakout,
                          beats=render_comment_first_try),
        ),
    )
)
