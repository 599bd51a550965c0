"""Files and deserialization risks (book/practices/files, book/practices/deserialization).

The generic tests in tests/test_risks.py run every attack both ways. These check the rest:
each secure version still does its job on honest input, and the facts the pages state about
this Python (tar filters, expat's limits, the mktemp window) hold where the book is built.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import file_permissions, marshal_data, multiprocessing_connections
from pysecbook.teaching.risks import path_traversal, pickling, shelve_files
from pysecbook.teaching.risks import temp_files, xml_parsing, yaml_loading, zip_bombs


def test_path_traversal_secure_reads_files_inside_the_base() -> None:
    with private_tmpdir() as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_text("ok", encoding="utf-8")
        assert path_traversal.read_upload_secure(str(tmp), "sub/a.txt") == b"ok"
        assert path_traversal.read_upload_secure(str(tmp), "sub/../sub/a.txt") == b"ok"


def test_zip_secure_extracts_an_honest_archive() -> None:
    with private_tmpdir() as tmp:
        archive = tmp / "ok.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.txt", os.urandom(4096))
            zf.writestr("b.txt", "hello " * 10)
        counter = zip_bombs.ByteCounter()
        assert zip_bombs.extract_secure(str(archive), counter) == 4096 + 60
        assert counter.total == 4096 + 60


def test_zipfile_stops_at_the_declared_size_of_a_member() -> None:
    assert zip_bombs.lying_size_behaviour().endswith("then BadZipFile: Bad CRC-32 for file 'small.bin'")
    assert "handed over 0 bytes" in zip_bombs.lying_size_behaviour()


def test_mktemp_prediction_matches_what_tempfile_chooses() -> None:
    with private_tmpdir() as tmp:
        predicted = temp_files.predict_next_name(tmp)
        chosen = tempfile.mktemp(suffix=".txt", dir=tmp)  # nosec B306 - checks the prediction of the insecure name
        assert Path(chosen) == predicted


def test_mkstemp_writes_a_private_file() -> None:
    with private_tmpdir() as tmp:
        name = temp_files.write_report_secure(str(tmp), lambda: "body\n")
        assert Path(name).read_text(encoding="utf-8") == "body\n"
        assert stat.S_IMODE(Path(name).stat().st_mode) == 0o600


def test_secure_config_is_private_even_if_it_existed_wider() -> None:
    with private_tmpdir() as tmp:
        path = tmp / "app.conf"
        path.write_text("old", encoding="utf-8")
        path.chmod(0o666)
        file_permissions.save_config_secure(str(path), "new")
        assert path.read_text(encoding="utf-8") == "new"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secure_loaders_read_honest_data() -> None:
    assert pickling.load_secure(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert marshal_data.load_rules_secure(b'{"max_length": 80}') == {"max_length": 80}
    assert yaml_loading.read_config_secure("name: demo\ndebug: false\n") == {"name": "demo", "debug": False}
    with private_tmpdir() as tmp:
        (tmp / "settings.json").write_text(json.dumps({"theme": "dark"}), encoding="utf-8")
        assert shelve_files.read_settings_secure(str(tmp / "settings.json")) == {"theme": "dark"}
        with pytest.raises(ValueError):
            (tmp / "list.json").write_text("[1]", encoding="utf-8")
            shelve_files.read_settings_secure(str(tmp / "list.json"))


def test_signed_pickles_load_only_with_the_right_key() -> None:
    key, other = b"k" * 32, b"o" * 32
    assert pickling.load_signed(pickling.sign(b"\x80\x04K*.", key, purpose="p"), key, purpose="p") == 42
    with pytest.raises(pickling.BadSignature):
        pickling.load_signed(pickling.sign(b"\x80\x04K*.", other, purpose="p"), key, purpose="p")
    # The demonstration's lines are checked in test_deserialization_adapted.py.


def test_multiprocessing_secure_listener_serves_a_client_with_the_key() -> None:
    assert multiprocessing_connections.legitimate_exchange() == "server received {'job': 42}"


def test_xml_secure_parsers_read_honest_documents() -> None:
    doc = b'<?xml version="1.0"?><note>hello</note>'
    assert xml_parsing.read_note_secure(doc) == "hello"
    assert xml_parsing.parse_secure(doc).text == "hello"


@pytest.mark.skipif(xml_parsing.expat_facts()["pyexpat.version_info"] < (2, 4, 0),
                    reason="expat before 2.4.0 has no amplification limit")
def test_xml_measurements_match_what_the_page_says() -> None:
    rows = {(doc.split(" (")[0], parser): result for doc, parser, result in xml_parsing.measure()}
    for parser in ("ElementTree.fromstring", "minidom.parseString", "sax (defaults)"):
        assert "amplification" in rows[("billion laughs, 9 levels", parser)]
        assert "amplification" in rows[("quadratic 10k x 10k", parser)]
        assert rows[("laughs, 6 levels", parser)].startswith("3,000,000 chars")
    assert "undefined entity" in rows[("external file entity", "ElementTree.fromstring")]
    assert rows[("external file entity", "minidom.parseString")] == "0 chars"
    assert rows[("external file entity", "sax (defaults)")] == "0 chars"
    assert xml_parsing.SECRET[:19] in rows[("external file entity", "sax + external_ges")]
    assert all(result == "refused (EntitiesForbidden)" for (_, parser), result in rows.items()
               if parser == "defusedxml.ElementTree")


def test_every_security_considerations_module_of_this_page_is_covered() -> None:
    from pysecbook.teaching.risks import all_risks

    modules = {m for r in all_risks() if r.page.startswith("practices/") for m in r.modules}
    assert {"pickle", "shelve", "multiprocessing", "tempfile", "xml", "zipfile"} <= modules


def test_the_json_lookalikes_come_back_from_the_secure_loaders_as_plain_data() -> None:
    docs = pickling.json_lookalikes()
    reduce_spelling = {"__reduce__": ["exec", [pickling.PAYLOAD_CODE]]}
    assert pickling.load_secure(docs["JSON in pickle's reduce spelling"]) == reduce_spelling
    assert marshal_data.load_rules_secure(docs["JSON in pickle's reduce spelling"]) == reduce_spelling
    assert pickling.load_secure(docs["JSON in jsonpickle's spelling"])["py/reduce"][0] == {
        "py/function": "builtins.exec"}


def test_the_toml_payloads_are_data_to_tomllib() -> None:
    from pysecbook.teaching.risks import exec_injection

    payloads = exec_injection.toml_payloads("/x/marker")
    code = "open('/x/marker', 'w').write('owned')"
    read = exec_injection.load_config_first_try  # tomllib over the defaults, no schema
    assert read(payloads["TOML value holding Python source"]) == {
        **exec_injection.DEFAULTS, "retries": 3, "hook": code}
    assert read(payloads["TOML table in pickle's reduce spelling"]) == {
        **exec_injection.DEFAULTS, "__reduce__": {"callable": "exec", "args": [code]}}
    for text in payloads.values():  # and the secure loader takes only the form's settings
        with pytest.raises(ValueError, match="not a setting users may change"):
            exec_injection.load_config_secure(text)


def test_shelf_backend_names_the_dbm_module_and_its_files() -> None:
    kind, files = shelve_files.shelf_backend().split(": ")
    assert kind.startswith("dbm.") and kind in {f"dbm.{n}" for n in ("sqlite3", "gnu", "ndbm", "dumb")}
    assert all(f.startswith("settings") for f in files.split(", "))
