"""Properties of the secure code of the injection group, stated as the attacker's goal.

Pages: book/practices/code-injection and book/security-model/{no-sandbox,getattr,asserts,
debug-mode}. The adapted attacks in the risk modules are the inputs a person thought of;
Hypothesis composes inputs from the same pieces (powers and big literals, quotes, spaces and
event handlers, schemes split by tabs and entities, ``</script>``, dunders and look-alikes,
format specs) in orders nobody wrote down.
"""

from __future__ import annotations

import ast
import html
import json
import math
import re
import tomllib

from arithmetic_probe import widest_int
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.teaching.risks import asserts, debug_tracebacks, eval_injection, eval_sandbox
from pysecbook.teaching.risks import exec_injection, format_strings, getattr_access, templates

# The arithmetic evaluator ----------------------------------------------------------------

#: Numbers as an attacker picks them: small and large, a power that is already big, floats at
#: the ends of their range, the longest literals that fit.
NUMBERS = st.sampled_from(("0", "1", "2", "3", "7", "9", "99", "100", "4095", "0.5", "2.0",
                           "1e308", "1e-308", "9" * 40, "0x" + "f" * 60, "9**99", "2**4095",
                           "(9**99)"))
OPERATORS = st.sampled_from(("**", "**", "**", "*", "//", "%", "/", "+", "-"))
SIGNS = st.sampled_from(("", "", "-", "+", "--", "-+-"))


def _combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(parts, OPERATORS, parts, st.booleans()).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})" if t[3] else f"{t[0]}{t[1]}{t[2]}")
    signed = st.tuples(SIGNS, parts).map(lambda t: f"{t[0]}({t[1]})")
    return st.one_of(binary, binary, signed)


#: Expressions within the length limit: combinations of the numbers above, and the deepest
#: nesting and longest sign chains that fit.
EXPRESSIONS = st.one_of(
    st.recursive(NUMBERS, _combine, max_leaves=8),
    st.integers(0, 99).map(lambda n: "(" * n + "9**99" + ")" * n),
    st.integers(0, 199).map(lambda n: "-" * n + "9"),
).filter(lambda e: len(e) <= eval_sandbox.MAX_EXPRESSION_LENGTH)


def _bounded(value: object) -> bool:
    if type(value) is int:
        return value.bit_length() <= eval_sandbox.MAX_BITS
    return type(value) is float and math.isfinite(value)


@given(EXPRESSIONS)
def test_no_accepted_expression_builds_a_number_past_the_bound(expression: str) -> None:
    """Goal: make the evaluator build a number wider than ``MAX_BITS`` bits (on the way or as
    the answer, accepted or refused), or return something that is not a finite real. Every
    int the evaluator builds is watched (:mod:`arithmetic_probe`), so its cost is bounded by
    what it builds; every accepted expression, and every part of it evaluated alone, is
    bounded."""
    with widest_int() as widest:
        try:
            value = eval_sandbox.evaluate_secure(expression)
        except ValueError:
            value = None
    assert widest.bits <= eval_sandbox.MAX_BITS, expression  # every number built, counted
    if value is None:
        return
    assert _bounded(value), (expression, type(value))
    # Each intermediate result is the value of a part of the expression; the walk computed
    # each of them, so each must be accepted and bounded on its own too.
    for node in ast.walk(ast.parse(expression, mode="eval").body):
        part = ast.get_source_segment(expression, node)
        if part is not None:
            assert _bounded(eval_sandbox.evaluate_secure(part)), (expression, part)


#: Objects to start a walk from, steps of the walk, and constructs to wrap it in.
STARTS = st.sampled_from(("()", "''", "b''", "1j", "True", "[]", "{}", "(1)", "1.0", "...",
                          "None", "(lambda: 0)"))
STEPS = st.lists(st.sampled_from((".__class__", ".__base__", ".__subclasses__()", "[0]",
                                  ".__init__", ".__globals__", ".real", ".conjugate()",
                                  "._\uff3fclass_\uff3f", ".__add__(1)")), max_size=4)
WRAPPERS = st.sampled_from(("{}", "(lambda: {})()", "(k := {})", "f'{{{}}}'",
                            "[{} for c in [1]][0]", "{} + 1", "-{}", "({},)[0]"))
WALKS = st.tuples(STARTS, STEPS, WRAPPERS).map(lambda t: t[2].format(t[0] + "".join(t[1])))


@given(WALKS)
def test_no_walk_from_an_object_comes_back(expression: str) -> None:
    """Goal: get anything but a number out of the evaluator (a class, a function, a string),
    by a walk from a literal in a lambda, a comprehension, an f-string or a walrus."""
    try:
        value = eval_sandbox.evaluate_secure(expression)
    except ValueError:
        return
    assert _bounded(value), (expression, value)


# Templates, one context at a time ---------------------------------------------------------

#: What an attacker splices into a value meant for HTML: tags, quotes, spaces and tabs that
#: end an unquoted attribute, event handlers, references, the end of a script, a comment.
HTML_PIECES = st.sampled_from((
    "<script>", "</script>", "</SCRIPT >", "<img src=x onerror=alert(1)>", '"', "'", " ", "\t",
    "onmouseover=alert(1)", "=", ">", "<", "<!--", "-->", "&", "&#34;", "&quot;", "`", "/",
    "\u2028", "\\", "x", "alert(1)", "{{ 7*7 }}"))
HTML_VALUES = st.lists(HTML_PIECES, max_size=8).map("".join)
TEMPLATE_ATTRIBUTES = {("article", "class"), ("article", "title"), ("a", "href"), ("a", "rel")}


def _paragraph(markup: str) -> str:
    return markup.split("<p>", 1)[1].split("</p>", 1)[0]


@given(HTML_VALUES)
def test_element_text_stays_text(comment: str) -> None:
    """Goal: a tag, an event handler or a script of the attacker's in the comment's
    paragraph. The page holds only the template's elements, and the paragraph reads back as
    the comment, character for character."""
    markup = templates.render_comment_secure(comment)
    assert templates.injected(markup) == [], comment
    page = templates.read_page(markup)
    assert {(t, n) for t, n, _ in page.attributes} <= TEMPLATE_ATTRIBUTES, comment
    assert html.unescape(_paragraph(markup)) == comment


@given(HTML_VALUES)
def test_an_author_name_stays_inside_its_attribute(author: str) -> None:
    """Goal: end the attribute the author's name is written into and add one of the
    attacker's (``onmouseover``). The page has the template's attributes only, and the title
    attribute reads back as the name."""
    markup = templates.render_comment_secure("hello", author=author)
    assert templates.injected(markup) == [], author
    page = templates.read_page(markup)
    assert {(t, n) for t, n, _ in page.attributes} <= TEMPLATE_ATTRIBUTES, author
    assert ("article", "title", author) in page.attributes


#: A link as an attacker spells one: junk a browser removes in front, a scheme written in
#: mixed case, split by a tab or a newline, or with references, a colon or a spelling of
#: one, and a body.
URL_JUNK = st.sampled_from(("", "", " ", "\x01", "\x00", "\t", "\n", "\x1f", "\u00a0", "\ufeff"))
URL_SCHEMES = st.sampled_from(("javascript", "JaVaScRiPt", "java\tscript", "jav\nascript",
                               "java\rscript", "&#106;avascript", "&#x6A;avascript", "data",
                               "DATA", "vbscript", "http", "https", "mailto", "HTTPS", "file",
                               "", "//evil.example"))
URL_COLONS = st.sampled_from((":", ":", "&colon;", "&#58;", "%3a", "\t:"))
URL_BODIES = st.sampled_from(("alert(1)", "//example.org/", "text/html,<script>alert(1)</script>",
                              "x@example.org", ""))
URLS = st.tuples(URL_JUNK, URL_SCHEMES, URL_COLONS, URL_BODIES, URL_JUNK).map("".join)


def _browser_scheme(href: str) -> str | None:
    """The scheme a browser reads in an attribute value already decoded by the HTML parser
    (WHATWG URL: C0 controls and spaces trimmed at both ends, tab and newline removed, then a
    letter and scheme characters up to a colon). Written apart from the module's own code."""
    text = href.strip("".join(map(chr, range(0x21)))).translate({9: None, 10: None, 13: None})
    match = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*(?=:)", text)
    return match.group(0).lower() if match else None


@given(URLS)
def test_no_link_runs_script(website: str) -> None:
    """Goal: a link whose scheme, as the browser reads it, runs or shows the attacker's
    content (``javascript:``, ``data:``, ``vbscript:``). The website is refused, or every
    link on the page is ``http``, ``https`` or ``mailto``."""
    try:
        markup = templates.render_comment_secure("hello", website=website)
    except ValueError:
        return
    links = templates.read_page(markup).links
    assert links, website
    assert all(_browser_scheme(h) in {"http", "https", "mailto"} for h in links), (website, links)


@given(HTML_VALUES, HTML_VALUES)
def test_the_scripts_data_stays_data(comment: str, author: str) -> None:
    """Goal: end the page's script element, or change what its JSON says. The page has one
    script element, and its JSON reads back as the comment and the author."""
    markup = templates.render_comment_secure(comment, author=author)
    page = templates.read_page(markup)
    assert len(page.scripts) == 1, (comment, author)
    body = page.scripts[0]
    assert body.startswith("const comment = ") and body.endswith(";"), body
    assert json.loads(body[len("const comment = "):-1]) == {"author": author, "text": comment}


# eval of a setting ------------------------------------------------------------------------

#: A walk from a literal, each step a dunder spelt plainly or in look-alikes that Python's
#: parser folds to it (NFKC), or a name called; and literal pieces to mix in.
SETTING_STARTS = st.sampled_from(("()", "[]", "''", "(1)", "1j", "True", "None", "{}"))
SETTING_STEPS = st.sampled_from((
    ".__class__", "._\uff3fclass_\uff3f", "._\uff3f\uff43lass_\uff3f", ".__base__",
    "._\uff3fbase_\uff3f", ".__subclasses__()", "._\uff3fsubclasses_\uff3f()", "[0]",
    ".__doc__", ".real", ".\uff52eal"))
SETTING_WALKS = st.tuples(SETTING_STARTS, st.lists(SETTING_STEPS, min_size=1, max_size=3)).map(
    lambda t: t[0] + "".join(t[1]))
SETTING_CALLS = st.sampled_from(("__import__('os')", "_\uff3fimport_\uff3f('os')", "open('x')",
                                 "\uff4fpen('x')", "exec('1')", "getattr(1, 'real')", "9**9",
                                 "[1, 2]", "{'a': (1, 2)}", "1e999", "-0.0", "b'x'"))
SETTINGS = st.one_of(SETTING_WALKS, SETTING_CALLS,
                     st.tuples(SETTING_CALLS, SETTING_WALKS).map(lambda t: f"[{t[0]}, {t[1]}]"))
LITERAL_TYPES = (str, bytes, int, float, complex, bool, type(None))


def _only_literals(value: object) -> bool:
    if isinstance(value, (tuple, list, set)):
        return all(_only_literals(v) for v in value)
    if isinstance(value, dict):
        return all(_only_literals(k) and _only_literals(v) for k, v in value.items())
    return type(value) in LITERAL_TYPES


@given(SETTINGS)
def test_a_setting_is_only_ever_a_literal(text: str) -> None:
    """Goal: get a class, a module, a function or any object a literal cannot describe out of
    the settings parser, with names, dunders and their look-alikes. Every accepted setting is
    made of literal types only."""
    try:
        value = eval_injection.parse_setting_secure(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return
    assert _only_literals(value), (text, value)


# A TOML configuration -----------------------------------------------------------------------

CONFIG_KEYS = st.sampled_from(("retries", "name", "hosts", "debug", "notify", "hook",
                               '"__reduce__"', "retries.x"))
CONFIG_VALUES = st.sampled_from(("3", "0", "10", "11", "-1", "true", "false", "inf", "nan",
                                 "-0.0", "3.0", "100000000000000000000", '"nightly"', '"a\\u0000"',
                                 '"' + "x" * 65 + '"', '["a", "b"]', '["a", 1]', "[]",
                                 '[["a"]]', '{ first = "x" }', "1979-05-27"))
CONFIGS = st.lists(st.tuples(CONFIG_KEYS, CONFIG_VALUES), max_size=4).map(
    lambda pairs: "".join(f"{k} = {v}\n" for k, v in pairs))


def _valid_setting(key: str, value: object) -> bool:
    if key == "retries":
        return type(value) is int and 0 <= value <= 10
    if key == "name":
        return type(value) is str and len(value) <= 64 and value.isprintable()
    if key == "hosts":
        return type(value) is list and len(value) <= 16 and all(
            type(h) is str and len(h) <= 253 and h.isprintable() for h in value)
    return False


@given(CONFIGS)
def test_an_upload_sets_only_the_forms_settings_with_valid_values(text: str) -> None:
    """Goal: set a key the form never offered, or give a setting a value of another type or
    out of its range (``true`` for a count, ``inf``, a 21-digit number, a table). Every
    accepted upload holds only the form's settings, each valid."""
    try:
        settings = exec_injection.load_config_secure(text)
    except ValueError:
        return
    assert all(_valid_setting(k, v) for k, v in settings.items()), (text, settings)
    assert settings == tomllib.loads(text)  # nothing added, nothing changed


# A user's greeting template -------------------------------------------------------------------

TEMPLATE_PIECES = st.sampled_from((
    "Hello ", "$name", "${name}", "{name}", "{name:>99999}", "{name:{name}}", "$$", "$",
    "{customer.__init__.__globals__[SECRET_KEY]}", "${name.__class__}", "$customer",
    "{0.__class__}", "{name[0]}", "{", "}", "$\uff4eame"))
TEMPLATES = st.lists(TEMPLATE_PIECES, max_size=12).map("".join)
CUSTOMER_NAMES = st.sampled_from(("alice", "m" * 100, "m" * 101, "$name", "{name}", ""))


@given(TEMPLATES, CUSTOMER_NAMES)
def test_a_greeting_reveals_nothing_and_stays_small(template: str, name: str) -> None:
    """Goal: read the application's secret through the template, or make a greeting far
    larger than the template (a format width, many copies of a long name). Every greeting is
    at most ``MAX_GREETING_LENGTH`` characters and holds no secret."""
    try:
        text = format_strings.render_greeting_secure(template, format_strings.Customer(name))
    except ValueError:
        return
    assert format_strings.SECRET_KEY not in text
    assert len(text) <= format_strings.MAX_GREETING_LENGTH, (template, name, len(text))


# getattr with a client's field name -------------------------------------------------------

FIELD_PIECES = st.sampled_from((
    "number", "total", "customer", "account", "api_key", "mark_paid", "events", "__init__",
    "__globals__", "SECRET_KEY", "__class__", "_\uff3finit_\uff3f", "\uff4eumber", "NUMBER",
    "number ", "number\x00", "PUBLIC_FIELDS", "__dict__"))
FIELD_PATHS = st.lists(FIELD_PIECES, min_size=1, max_size=3).map(".".join)


@given(FIELD_PATHS)
def test_a_client_reads_only_a_public_field(path: str) -> None:
    """Goal: read something other than a public field of the invoice (the module's secret, the
    account's key), or change the invoice by reading. The answer is a refusal or the value of
    the one public field named exactly, and the invoice is unchanged."""
    invoice = getattr_access.Invoice("2026-0001", "ACME", 12.5)
    try:
        value = getattr_access.read_field_secure(invoice, path)
    except PermissionError:
        assert invoice.events == []
        return
    assert path in getattr_access.Invoice.PUBLIC_FIELDS, path
    assert value == vars(invoice)[path]
    assert invoice.events == []


# The admin check ----------------------------------------------------------------------------

CALLER_PIECES = st.sampled_from(("alice", "Alice", "ALICE", "\uff41lice", "al\u0131ce", " ",
                                 "\u200b", "\x00", "\u0430lice", "mallory", "alic\u00e9",
                                 "alice\u0301"))
CALLERS = st.lists(CALLER_PIECES, min_size=1, max_size=3).map("".join)


@given(CALLERS)
def test_only_the_administrator_deletes(caller: str) -> None:
    """Goal: delete an account under a name that is not exactly an administrator's (another
    case, padding, full-width or Cyrillic look-alikes, combining marks). Only ``alice``
    itself gets through."""
    try:
        asserts.delete_account_secure(caller, "bob")
    except PermissionError:
        return
    assert caller in asserts.ADMINS, repr(caller)


# Error pages and logs -----------------------------------------------------------------------

AMOUNTS = st.sampled_from(("1250", "12,50", "", "1e3", "-1", "\u0661\u0662", "x" * 20))
CURRENCIES = st.lists(st.sampled_from(("EUR", "XTS", "", "\n", "\r", "\u2028", "\x1c", "%s",
                                        "INFO app: refund approved")), max_size=3).map("".join)
ORDERS = st.fixed_dictionaries({"amount": AMOUNTS}, optional={"currency": CURRENCIES})


@given(ORDERS)
def test_no_order_shows_the_key_to_the_client_or_the_log(order: dict[str, object]) -> None:
    """Goal: the payment key, in the response or in any log record the server keeps, whatever
    error the order provokes (a bad amount, a currency the provider refuses), or a line in the
    log that passes for a record of the attacker's (a line break in the currency)."""
    with debug_tracebacks.captured_log() as records:
        status, body = debug_tracebacks.handle_secure(dict(order))
    assert debug_tracebacks.PAYMENT_API_KEY not in body, order
    for record in records:
        text = debug_tracebacks.format_record(record)
        assert debug_tracebacks.PAYMENT_API_KEY not in text
        assert all(line[:1].isspace() for line in text.splitlines()[1:] if line), text
    assert (status == 200) == (not records)
