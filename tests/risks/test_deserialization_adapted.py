"""Focused tests for the fixes the adapted attacks forced on book/practices/deserialization,
book/practices/randomness and book/security-model/virtual-environments.

Each bypass that beat a secure function is pinned here by its exact shape, so that it fails
again if it ever comes back; each first fix is shown to stop the canonical attack, so that
the adapted attack that beats it means something.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml
import pytest
import yaml

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import marshal_data, multiprocessing_connections as mpc
from pysecbook.teaching.risks import pickling, randomness, shelve_files, venv_boundary
from pysecbook.teaching.risks import xml_parsing, yaml_loading

KEY = bytes(range(32))


# pickle ----------------------------------------------------------------------------------


@pytest.mark.parametrize("first_try", [pickling.load_denylist_first_try,
                                       pickling.load_module_allowlist_first_try,
                                       pickling.load_scanned_first_try])
def test_each_pickle_first_fix_stops_the_canonical_payload(first_try) -> None:  # type: ignore[no-untyped-def]
    assert pickling.attack(first_try).attack_succeeded is False
    assert pickling.load_module_allowlist_first_try(pickle.dumps(
        __import__("collections").OrderedDict(a=1))) == {"a": 1}


def test_a_message_signed_for_another_purpose_is_refused() -> None:
    """The bypass: one key signed both the job queue and a cookie of the user's bytes."""
    data = pickle.dumps({"job": 1})
    cookie = pickling.sign(data, KEY, purpose=pickling.COOKIE_PURPOSE)
    with pytest.raises(pickling.BadSignature):
        pickling.load_signed(cookie, KEY, purpose=pickling.JOB_PURPOSE)
    assert pickling.load_signed_first_try(pickling.sign_first_try(data, KEY), KEY) == {"job": 1}
    assert pickling.load_signed(pickling.sign(data, KEY, purpose=pickling.JOB_PURPOSE), KEY,
                                purpose=pickling.JOB_PURPOSE) == {"job": 1}


def test_purpose_and_data_cannot_trade_bytes() -> None:
    """The purpose is length-prefixed: moving a byte between it and the data changes the tag."""
    assert (pickling.sign(b"bc", KEY, purpose="a")[:pickling.TAG_BYTES]
            != pickling.sign(b"c", KEY, purpose="ab")[:pickling.TAG_BYTES])


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        pickling.sign(b"x", b"short", purpose="p")
    with pytest.raises(ValueError, match="32"):
        pickling.load_signed(b"\0" * 40, b"", purpose="p")


def test_signed_demo_shows_the_cookie_beating_the_first_version_only() -> None:
    lines = pickling.signed_pickle_demo()
    assert "returned {'job': 42}" in lines[0]
    assert all("BadSignature" in line and "no code ran" in line for line in lines[1:-1])
    assert "payload ran" in lines[-1]


# marshal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("first_try", [marshal_data.load_rules_checked_first_try,
                                       marshal_data.load_rules_data_first_try])
def test_each_marshal_first_fix_stops_the_canonical_payload(first_try) -> None:  # type: ignore[no-untyped-def]
    assert marshal_data.attack(first_try).attack_succeeded is False


def test_shared_references_fit_in_a_few_hundred_bytes() -> None:
    assert len(marshal_data.shared_reference_payload()) < 400


# shelve ----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_settings_reader_refuses_links_pipes_directories_and_large_files() -> None:
    read = shelve_files.read_settings_secure
    with private_tmpdir() as tmp:
        (tmp / "ok.json").write_text('{"theme": "dark"}', encoding="utf-8")
        assert read(str(tmp / "ok.json")) == {"theme": "dark"}
        (tmp / "link.json").symlink_to(tmp / "ok.json")
        with pytest.raises(OSError):
            read(str(tmp / "link.json"))
        os.mkfifo(tmp / "fifo.json")
        # Opened for reading, a FIFO blocks until a writer comes: a reader that opened it
        # would hang here until the test's time-out guard fails it. Nothing is timed.
        with pytest.raises(ValueError, match="regular file"):
            read(str(tmp / "fifo.json"))
        with pytest.raises((OSError, ValueError)):
            read(str(tmp))
        (tmp / "deep.json").write_text("[" * 60_000, encoding="utf-8")
        with pytest.raises(ValueError, match="nested"):
            read(str(tmp / "deep.json"))
        big = tmp / "big.json"
        big.write_text("{" + " " * shelve_files.MAX_SETTINGS_BYTES + "}", encoding="utf-8")
        with pytest.raises(ValueError, match="larger"):
            read(str(big))


def test_the_migrating_first_fix_still_reads_json() -> None:
    with private_tmpdir() as tmp:
        (tmp / "s.json").write_text('{"a": 1}', encoding="utf-8")
        assert shelve_files.read_settings_migrating_first_try(str(tmp / "s.json")) == {"a": 1}


# YAML ------------------------------------------------------------------------------------


def test_yaml_anchors_and_merge_keys_still_load() -> None:
    doc = "base: &base {retries: 3, timeout: 10}\nprod: {<<: *base, timeout: 30}\nlist: [*base, *base]\n"
    assert yaml_loading.read_config_secure(doc) == {
        "base": {"retries": 3, "timeout": 10}, "prod": {"retries": 3, "timeout": 30},
        "list": [{"retries": 3, "timeout": 10}] * 2}


@pytest.mark.parametrize("doc", [
    yaml_loading.alias_laughs(),
    "&a [*a]\n",
    "a: &a {k: *a}\n",
    # One long scalar named a thousand times: few nodes, many characters.
    "s: &s " + "x" * 5000 + "\nl: [" + ", ".join(["*s"] * 1000) + "]\n",
    # Merge keys that double at each level.
    "a0: &a0 {k: v}\n" + "".join(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}\n"
                                  for i in range(1, 25)),
])
def test_yaml_expansion_is_refused_before_construction(doc: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def constructed(self, node):  # type: ignore[no-untyped-def]
        raise AssertionError("the document was constructed before it was refused")

    monkeypatch.setattr(yaml.SafeLoader, "construct_document", constructed)
    with pytest.raises(yaml_loading.ExpansionError):
        yaml_loading.read_config_secure(doc)


def test_yaml_nesting_past_the_recursion_limit_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested"):
        yaml_loading.read_config_secure("[" * 30_000)


def test_yaml_size_limit() -> None:
    with pytest.raises(ValueError, match="longer than"):
        yaml_loading.read_config_secure("a: b\n" * 20_000)
    assert yaml_loading.read_config_secure("a: b\n", max_chars=10) == {"a": "b"}
    assert yaml_loading.read_config_secure("") is None


# XML -------------------------------------------------------------------------------------


def test_xml_secure_parsers_refuse_any_dtd() -> None:
    for parse in (xml_parsing.parse_secure, xml_parsing.read_note_secure):
        with pytest.raises(defusedxml.DTDForbidden):
            parse(xml_parsing.attlist_document(10, 3))
        with pytest.raises(defusedxml.DTDForbidden):
            parse(b'<?xml version="1.0"?><!DOCTYPE note><note>hi</note>')
    assert xml_parsing.parse_secure(b"<r a='1'><e/>text</r>").attrib == {"a": "1"}


def test_the_attlist_bypass_of_defusedxml_defaults() -> None:
    """The bypass: defusedxml's defaults allow a DTD without entities."""
    root = xml_parsing.parse_first_try(xml_parsing.attlist_document(100, 50))
    assert xml_parsing.tree_size(root) >= 100 * 50


@pytest.mark.parametrize("first_try", [xml_parsing.read_note_filtered_first_try,
                                       xml_parsing.read_note_xinclude_first_try,
                                       xml_parsing.read_note_first_try])
def test_each_xxe_first_fix_stops_the_canonical_document(first_try) -> None:  # type: ignore[no-untyped-def]
    assert xml_parsing.attack_xxe(first_try).attack_succeeded is False


@pytest.mark.parametrize("first_try", [xml_parsing.parse_first_try,
                                       xml_parsing.parse_filtered_first_try])
def test_each_expansion_first_fix_stops_the_canonical_document(first_try) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((defusedxml.DefusedXmlException, ValueError)):
        first_try(xml_parsing.laughs_document(xml_parsing.ATTACK_LEVELS))


def test_the_xml_first_fixes_read_honest_documents() -> None:
    doc = b'<?xml version="1.0"?><note>hello</note>'
    assert xml_parsing.read_note_first_try(doc) == "hello"
    assert xml_parsing.read_note_filtered_first_try(doc) == "hello"
    assert xml_parsing.read_note_xinclude_first_try(doc) == "hello"
    assert xml_parsing.parse_filtered_first_try(doc).text == "hello"
    assert isinstance(xml_parsing.parse_first_try(doc), ET.Element)


# multiprocessing -------------------------------------------------------------------------


def _serve_in_thread(port: int, seconds: float) -> tuple[dict[str, object], threading.Thread]:
    box: dict[str, object] = {}

    def serve() -> None:
        try:
            box["value"] = mpc.receive_one_secure(port, seconds)
        except Exception as exc:  # noqa: BLE001 - the test reads what happened
            box["error"] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return box, thread


@pytest.mark.timeout(120)
def test_a_silent_client_is_dropped_at_the_deadline() -> None:
    """The bypass: Listener.accept() waits for ever for the answer to its challenge. The
    client never answers and never closes: only the server's own deadline can end the
    connection, and the client reads to the end instead of timing anything."""
    port = mpc._free_port()
    box, server = _serve_in_thread(port, 0.5)
    with mpc._connect(port) as sock:
        sock.settimeout(60)  # a guard against a server that never hangs up, not a measure
        while sock.recv(4096):  # the challenge, then the end of the connection
            pass
    server.join(60)
    assert not server.is_alive()
    assert isinstance(box.get("error"), mpc.AuthenticationError), box


def test_a_client_with_the_key_is_served_within_the_deadline() -> None:
    assert mpc.legitimate_exchange({"job": 7}) == "server received {'job': 7}"


def test_a_short_program_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from multiprocessing import current_process

    monkeypatch.setattr(current_process(), "authkey", b"2580")
    with pytest.raises(ValueError, match="32"):
        mpc.receive_one_secure(mpc._free_port())


def test_recorded_frames_split_as_multiprocessing_writes_them() -> None:
    stream = (3).to_bytes(4, "big") + b"abc" + (0).to_bytes(4, "big") + (5).to_bytes(4, "big") + b"xy"
    assert mpc._frames(stream) == [b"abc", b""]


# randomness ------------------------------------------------------------------------------


def test_the_randomness_first_fixes_make_what_they_claim() -> None:
    assert len(randomness.new_reset_code_first_try()) == 6
    assert len(randomness.new_reset_token_seeded_first_try()) == 32
    token = randomness.new_reset_token_uuid1_first_try()
    import uuid

    parsed = uuid.UUID(hex=token)
    assert parsed.version == 1
    assert randomness._uuid1_hex(parsed.time, parsed.clock_seq, parsed.node) == token


def test_secure_tokens_carry_128_bits() -> None:
    tokens = {randomness.new_reset_token_secure() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) == 32 for t in tokens)


# venv ------------------------------------------------------------------------------------


def test_pth_files_run_under_isolated_mode_but_see_no_token() -> None:
    ran, seen, _token = venv_boundary.run_planted(venv_boundary.run_tool_secure, "pth")
    assert ran and seen is None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc on this system")
def test_a_tool_reads_the_environment_its_caller_was_started_with() -> None:
    """What run_tool_secure's contract says it does not stop, shown."""
    said = venv_boundary.parent_environ_demo()
    assert "own environment: no" in said
    assert "environ: the token" in said or "unreadable" in said


def test_planting_leaves_the_environment_as_it_was() -> None:
    before = dict(os.environ)
    venv_boundary.run_planted(venv_boundary.run_tool_secure, "pythonpath")
    assert dict(os.environ) == before
