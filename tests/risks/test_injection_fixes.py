"""The bypasses found against the injection group's secure functions, each as a test that
fails if it comes back, and the behaviour the pages describe for the fixes."""

from __future__ import annotations

import ast
import operator
import time

import pytest
from arithmetic_probe import widest_int

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import asserts, debug_tracebacks, eval_injection, eval_sandbox
from pysecbook.teaching.risks import exec_injection, format_strings, getattr_access, templates

# eval "sandbox": the size of every number is bounded, not only the exponent ---------------


@pytest.mark.parametrize("expression", ["(((9**99)**99)**99)**99", "((9**99)**99)**99",
                                        "(((9**99)**99)**99)**99 % 7", "(9**99)**99",
                                        "2**4096", "-(2**4095)*2", "2**4095+2**4095"])
def test_powers_of_big_numbers_are_refused_before_they_are_computed(expression: str) -> None:
    with widest_int() as widest, pytest.raises(ValueError, match="too large"):
        eval_sandbox.evaluate_secure(expression)
    assert widest.bits <= eval_sandbox.MAX_BITS  # counted, not timed


def test_the_probe_sees_the_numbers_the_evaluator_builds() -> None:
    with widest_int() as widest:
        assert eval_sandbox.evaluate_secure("2**4000 + 1") == 2**4000 + 1
    assert widest.bits == 4001
    assert eval_sandbox._BINARY[ast.Pow] is operator.pow  # put back as it was


def test_the_first_try_builds_the_number_the_exponent_bound_allows() -> None:
    result = timed_call(eval_sandbox.evaluate_first_try, "((9**99)**99)**99", timeout=20.0)
    assert result.returned == "'<int of 3075776 bits>'"


def test_the_first_try_is_still_running_on_the_next_power() -> None:
    result = eval_sandbox.timed(eval_sandbox.evaluate_first_try, eval_sandbox.TOWERS[1],
                                timeout=2.0)
    assert result.timed_out
    assert eval_sandbox.timed(eval_sandbox.evaluate_secure, eval_sandbox.TOWERS[1]).raised == (
        "ValueError")


def test_the_widest_accepted_number_is_max_bits() -> None:
    assert eval_sandbox.evaluate_secure("2**4095").bit_length() == eval_sandbox.MAX_BITS
    assert eval_sandbox.evaluate_secure("-2**4095 // 3").bit_length() <= eval_sandbox.MAX_BITS
    assert eval_sandbox.evaluate_secure("(9**99)**9 % 1000") == (9**99) ** 9 % 1000
    assert eval_sandbox.evaluate_secure("2**-5000") == 0.0


@pytest.mark.parametrize("expression", [
    "(-8) ** 0.5", "1e308 * 10", "1e308 * 10 - 1e308 * 10", "1e999", "2.0 ** 5000",
    "10**400 / 3", "1 / 0", "0 ** -1", "1e308 // 1e-308", "True + 1", "1j", "b'1'",
    "(k := 1)", "f'{1}'", "(lambda: 1)()", "[1 for c in [1]][0]", "(1).real", "1 < 2",
    "(" * 101 + "1" + ")" * 101, "\x00", "~1", "1 << 4", ""])
def test_the_evaluator_refuses(expression: str) -> None:
    with pytest.raises(ValueError):
        eval_sandbox.evaluate_secure(expression)


def test_the_evaluator_takes_text_only_and_the_deepest_nesting_that_fits() -> None:
    with pytest.raises(ValueError, match="text"):
        eval_sandbox.evaluate_secure(b"1+1")  # type: ignore[arg-type]
    assert eval_sandbox.evaluate_secure("(" * 99 + "1" + ")" * 99) == 1
    assert eval_sandbox.evaluate_secure("-" * 199 + "1") == -1


# Templates: every context, not only element text --------------------------------------------


def test_escaping_by_context_is_as_the_page_says() -> None:
    runs = {name: ran for name, _payload, _rendered, ran in templates.escaping_by_context()}
    assert runs == {"element text": False, "quoted attribute": False,
                    "unquoted attribute": True, "URL attribute": True, "event handler": True,
                    "script, json.dumps|safe": True, "script, tojson": False}


@pytest.mark.parametrize("url", [*templates.JAVASCRIPT_LINKS, *templates.OTHER_SCHEME_LINKS,
                                 "//evil.example/", "/relative", "", "\x00https://x.example"])
def test_check_link_refuses_every_other_scheme(url: str) -> None:
    if url == "\x00https://x.example":  # a NUL a browser trims: the https link that remains
        assert templates.check_link(url) == "https://x.example"
        return
    with pytest.raises(ValueError):
        templates.check_link(url)


@pytest.mark.parametrize(("url", "published"), [
    ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
    (" HTTPS://example.org/", "HTTPS://example.org/"),
    ("ht\ttp://example.org/", "http://example.org/"),
    ("mailto:alice@example.org", "mailto:alice@example.org"),
])
def test_check_link_publishes_the_string_it_checked(url: str, published: str) -> None:
    assert templates.check_link(url) == published


def test_the_first_try_loses_in_every_context_the_secure_version_covers() -> None:
    first = templates.render_comment_first_try
    assert templates.injected(first("hi", website="java\tscript:alert(1)"))
    assert templates.injected(first("hi", author="x onmouseover=alert(1)"))
    assert templates.injected(first("</script><script>alert(1)</script>"))
    secure = templates.render_comment_secure
    assert not templates.injected(secure("</script><script>alert(1)</script>",
                                         author="x onmouseover=alert(1)"))


def test_the_secure_template_quotes_every_attribute() -> None:
    markup = templates.render_comment_secure("hi", "bob", "https://example.org/")
    assert 'class="comment"' in markup and 'title="bob"' in markup
    assert 'href="https://example.org/"' in markup and 'rel="nofollow ugc"' in markup


# eval of a setting, exec of a configuration ----------------------------------------------


def test_the_lookalike_payload_has_no_forbidden_word_and_is_no_literal() -> None:
    text = eval_injection.lookalike_payload("/x/marker")
    assert not any(word in text.lower() for word in eval_injection.FORBIDDEN_WORDS)
    with pytest.raises(ValueError):
        eval_injection.parse_setting_secure(text)


@pytest.mark.parametrize("text", ["debug = true", "retries = true", "retries = inf",
                                  "retries = 11", "retries = 3.0", 'hosts = "a"',
                                  "hosts = [1]", 'name = "a\\u0000b"', "name = { a = 1 }",
                                  "a = " + "[" * 5_000 + "]" * 5_000, "x" * 70_000,
                                  "a" + ".a" * 300 + " = 1", "[a" + ".a" * 300 + "]"])
def test_the_config_loader_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        exec_injection.load_config_secure(text)


def test_the_config_loader_bounds_the_parsers_work() -> None:
    # tomllib's work on a dotted key grows with the square of its parts, and on the keys
    # under a header with the header's parts: both bounded by the dots
    text = "a" + ".a" * exec_injection.MAX_DOTS + " = 1"
    # CPU time of this process, not the wall clock: other work on shared cores does not
    # count, and the bound is a hundred times what the bounded parse costs.
    start = time.process_time()
    with pytest.raises(ValueError, match="not a setting"):
        exec_injection.load_config_secure(text)
    with pytest.raises(ValueError, match="dots"):
        exec_injection.load_config_secure(text.replace("a = 1", "a.a = 1"))
    deep_header = "[" + ".".join("h" * (exec_injection.MAX_DOTS + 1)) + "]\n"
    keys = "".join(f"k{i}=1\n" for i in range(2_000))
    document = (deep_header + keys)[:exec_injection.MAX_CONFIG_LENGTH]
    with pytest.raises(ValueError, match="not a setting"):
        exec_injection.load_config_secure(document[:document.rfind("\n") + 1])
    assert time.process_time() - start < 0.5


def test_the_config_loader_returns_the_upload_only() -> None:
    assert exec_injection.load_config_secure('retries = 0\nhosts = ["db"]\n') == {
        "retries": 0, "hosts": ["db"]}


# str.format, getattr, asserts, debug pages ---------------------------------------------------


def test_greeting_limits() -> None:
    customer = format_strings.Customer("m" * format_strings.MAX_NAME_LENGTH)
    longest = "$name" * (format_strings.MAX_TEMPLATE_LENGTH // 5)
    text = format_strings.render_greeting_secure(longest, customer)
    assert len(text) == format_strings.MAX_GREETING_LENGTH
    with pytest.raises(ValueError):
        format_strings.render_greeting_secure(longest + "x", customer)
    with pytest.raises(ValueError):
        format_strings.render_greeting_secure("$name", format_strings.Customer("m" * 101))
    assert format_strings.render_greeting_secure(
        format_strings.WIDE_FIELD, format_strings.Customer("a")) == format_strings.WIDE_FIELD


@pytest.mark.parametrize("path", ["account.api_key", "account", "\uff4eumber", "number ",
                                  "NUMBER", "PUBLIC_FIELDS", "_\uff3finit_\uff3f"])
def test_getattr_allowlist_refuses_paths_and_lookalikes(path: str) -> None:
    with pytest.raises(PermissionError):
        getattr_access.read_field_secure(getattr_access.Invoice("1", "A", 1.0), path)
    with pytest.raises(PermissionError):
        getattr_access.read_field_secure(getattr_access.Invoice("1", "A", 1.0),
                                         ["number"])  # type: ignore[arg-type]


@pytest.mark.parametrize("caller", asserts.LOOKALIKE_ADMINS)
def test_admin_check_compares_names_exactly(caller: str) -> None:
    with pytest.raises(PermissionError):
        asserts.delete_account_secure(caller, "bob")
    assert "deleted" in asserts.delete_account_first_try(caller, "bob")


def test_the_provider_error_is_logged_without_the_key() -> None:
    with debug_tracebacks.captured_log() as records:
        status, body = debug_tracebacks.handle_secure(dict(debug_tracebacks.UNSUPPORTED_CURRENCY))
    text = debug_tracebacks.format_record(records[0])
    assert status == 500 and "ProviderError" in text and "ChargeFailed" in text
    assert "key=[redacted]" in text and debug_tracebacks.PAYMENT_API_KEY not in text


def test_redaction_covers_the_percent_encoded_forms() -> None:
    secret = "a b/c+d"
    try:
        raise ValueError(f"{secret} and ?key=a+b%2Fc%2Bd and a%20b%2Fc%2Bd")
    except ValueError as exc:
        text = debug_tracebacks.redacted_traceback(exc, (secret,))
    assert text.endswith("ValueError: [redacted] and ?key=[redacted] and [redacted]\n")
