"""``pysecbook check NAME`` and ``pysecbook check -r LOCK`` on the command line, and the five
formats of their report: exit codes, one clear line for bad input, hostile strings escaped,
SARIF valid against the OASIS schema with the dependency in each result's location."""

from __future__ import annotations

import html.parser
import json
import os
from pathlib import Path

import jsonschema
import pytest
from hermetic import TODAY, closed_port
from index_helpers import VENV, demo  # noqa: F401 - the module-scoped fixture

from conftest import ROOT
from pysecbook.cli import main
from pysecbook.teaching.local_index import ServedFile, ServedIndex, demo_lock, serve

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
HOSTILE = "<script>alert(1)</script> \x1b[2J\x1b[31mSAFE\x1b[0m | `x` \u202e"


@pytest.fixture(autouse=True)
def _no_pip_settings_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip's configuration as pip reads it, emptied: no file, no PIP_* variable."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for var in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("pysecbook.checker.checklist.base.detect_environment", lambda: VENV)
    monkeypatch.setattr("pysecbook.checker.checklist.base.today", lambda: TODAY)


@pytest.fixture
def check(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    with closed_port() as port:
        def run(*args: str) -> tuple[int, str, str]:
            code = main(["check", *args, "--cache-dir", str(tmp_path / "cache"),
                         "--osv-url", f"http://127.0.0.1:{port}/v1/query"])
            out = capsys.readouterr()
            return code, out.out, out.err

        yield run


def test_a_name_passes_and_a_pinned_malicious_one_fails(demo, check) -> None:
    code, out, err = check("tidy-notes", "--index-url", demo.urls["main"])
    assert (code, err) == (0, "")
    assert "tidy-notes==1.2.0  PASS  red flags 0  unscanned 0  hash: verified against the index  -" in out
    assert "PASS: every dependency was fetched, verified against its hash, and passed" in out
    assert "--- tidy_notes-1.2.0-py3-none-any.whl ---" in out  # each file's full checklist follows
    code, out, _ = check("snoopy==0.0.1", "--index-url", demo.urls["main"], "--dist", "sdist")
    assert code == 1
    assert "snoopy==0.0.1  BLOCKED  red flags 6" in out and "PSB-RF-SETUP-PROCESS" in out
    # This machine (a virtual environment, not a container) fails M5: its own line, once for
    # the run, never one of the package's reasons.
    assert ("\nBLOCKED: evidence of danger (1 reason(s), listed above)\nThis machine, not the "
            "packages: M5 fail: the scan raised") in out
    assert "Fix it before you install here.\nDo not install it yet." in out


def test_a_lock_file_in_every_format(demo, check, tmp_path: Path) -> None:
    lock = demo_lock(tmp_path / "requirements.txt", demo.indexes["main"],
                     {"tidy-notes": "1.2.0", "old-parser": "2.0.0", "fast-hash": "1.0.0"})
    code, out, _ = check("-r", str(lock), "--index-url", demo.urls["main"], "--format", "json",
                         "--jobs", "2")
    data = json.loads(out)
    assert (code, data["verdict"], data["exit_code"]) == (1, "blocked", 1)
    rows = {d["requirement"]: d for d in data["dependencies"]}
    assert [d["verdict"] for d in data["dependencies"]] == ["pass", "blocked", "blocked"]
    assert rows["old-parser==2.0.0"]["failed_checks"] == ["M1"]
    assert rows["old-parser==2.0.0"]["index"]["yanked_reason"] == \
        "2.0.0 reads dates in the wrong time zone; use 2.0.1"
    assert rows["fast-hash==1.0.0"]["hash_status"].startswith("MISMATCH")
    assert [c["id"] for c in data["lock_checks"]] == ["M1", "M4"]
    code, out, _ = check("-r", str(lock), "--index-url", demo.urls["main"], "--format", "sarif")
    log = json.loads(out)
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert not [e.message for e in validator.iter_errors(log)]
    results = log["runs"][0]["results"]
    failed = [r for r in results if r["ruleId"] == "PSB-DEPENDENCY"]
    assert [r["locations"][0]["logicalLocations"][0]["name"] for r in failed] == [
        "old-parser==2.0.0", "fast-hash==1.0.0"]
    assert failed[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}
    m1 = next(r for r in results if r["ruleId"] == "PSB-CHECK-M1" and r["locations"][0].get(
        "logicalLocations", [{}])[0].get("name") == "old-parser==2.0.0")
    assert m1["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "old_parser-2.0.0.tar.gz/pyproject.toml"  # the archive's manifest, inside the archive
    for fmt, marker in (("markdown", "| old\\-parser==2.0.0 | BLOCKED |"),
                        ("html", "<td class=\"blocked\">BLOCKED</td>"), ("text", "\nWhy:\n")):
        code, out, _ = check("-r", str(lock), "--index-url", demo.urls["main"], "--format", fmt)
        assert code == 1 and marker in out, fmt


def test_hostile_strings_from_the_index_are_escaped_in_every_format(demo, check, tmp_path: Path) -> None:
    f = demo.indexes["main"].projects["acme-utils"][0]
    # A yank reason and a provenance publisher, both chosen by whoever runs the index.
    document = {"version": 1, "attestation_bundles": [{
        "publisher": {"kind": "GitHub", "repository": HOSTILE, "workflow": "release.yml"},
        "attestations": []}]}
    served = ServedIndex({"acme-utils": [ServedFile(f.path, f.upload_time, yanked=HOSTILE,
                                                    provenance=document)]})
    with serve({"h": served}) as urls:
        outputs = {fmt: check("acme-utils==1.0.0", "--index-url", urls["h"], "--format", fmt)[1]
                   for fmt in ("text", "html", "markdown", "json", "sarif")}
    for fmt, text in outputs.items():
        assert not {"\x1b", "\u202e"} & set(text), fmt
    assert "\\x1b[2J\\x1b[31mSAFE" in outputs["text"] and "\\u202e" in outputs["text"]
    assert "<script>" not in outputs["html"] and "&lt;script&gt;alert(1)" in outputs["html"]

    class Scripts(html.parser.HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
            self.found.append(tag)

    parser = Scripts()
    parser.feed(outputs["html"])
    assert "script" not in parser.found
    row = next(line for line in outputs["markdown"].splitlines() if line.startswith("| acme\\-utils"))
    assert row.count(" | ") == 5 and "<script>" not in outputs["markdown"]
    index = json.loads(outputs["json"])["dependencies"][0]["index"]
    # JSON carries the sanitised string, as every format does: escapes, not controls.
    clean = "<script>alert(1)</script> \\x1b[2J\\x1b[31mSAFE\\x1b[0m | `x` \\u202e"
    assert index["yanked_reason"] == clean
    assert index["provenance"][0]["publisher"] == f"GitHub: repository {clean}, workflow release.yml"
    sarif = json.loads(outputs["sarif"])
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any(clean in t for t in texts)


@pytest.mark.parametrize(("args", "message"), [
    (["not a requirement!!"], "not a requirement!!: no such file or directory, and not a requirement"),
    (["demo @ https://example.invalid/demo.whl"],
     "demo @ https://example.invalid/demo.whl: a requirement with a URL is not fetched"),
    (["-r", "/nonexistent/requirements.txt"], "/nonexistent/requirements.txt: no such file"),
    (["demo", "--index-url", "ftp://mirror.invalid/simple"], "--index-url must be an http"),
    ([str(ROOT / "samples" / "well-kept"), "--offline"], "--offline, --cache-dir: only for a requirement or a lock"),
    (["demo", "--badge", "x.svg"], "--badge is for a single local target"),
    (["demo", "-r", "requirements.txt"], "give exactly one of TARGET"),
])
def test_bad_input_is_one_clear_line_and_exit_2(check, args: list[str], message: str) -> None:
    code, out, err = check(*args)
    assert (code, out) == (2, "")
    assert err.startswith(f"pysecbook check: error: {message}") and err.count("\n") == 1


def test_an_unreachable_index_fails_closed(check) -> None:
    with closed_port() as port:
        code, out, _ = check("tidy-notes", "--index-url", f"http://127.0.0.1:{port}/simple/")
    assert code == 1
    assert f"tidy-notes: http://127.0.0.1:{port}/simple/tidy-notes/: cannot connect" in out


def test_an_extra_index_in_pip_configuration_fails_m1(demo, check, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nextra-index-url = {demo.urls['internal']}\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    code, out, _ = check("acme-utils==1.0.0", "--index-url", demo.urls["main"], "--format", "json")
    data = json.loads(out)
    assert code == 1
    lock_m1 = data["lock_checks"][0]
    assert lock_m1["status"] == "fail"
    assert lock_m1["details"][0] == (f"{conf} [global]: extra index {demo.urls['internal']}: pip "
                                     "gathers candidates from every index and takes the highest "
                                     "version (dependency confusion)")
    assert data["dependencies"][0]["index"]["also_on"] == [demo.urls["internal"]]
    # The configuration is this machine's; the shadowed name is evidence about the package.
    assert lock_m1["judges"] == "machine"
    assert data["dependencies"][0]["failed_checks"] == ["M1"]


def test_this_machines_extra_index_is_its_own_problem_not_the_packages(
        demo, check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip here is configured with an extra index that does not serve the name: installing
    here would consult it, so the machine must be fixed first (review, exit 3), but nothing
    shows danger in the package, and a lock's own extra index stays evidence against it."""
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nextra-index-url = {demo.urls['internal']}\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    code, out, _ = check("tidy-notes", "--index-url", demo.urls["main"], "--format", "json")
    data = json.loads(out)
    assert (code, data["verdict"], data["dependencies"][0]["verdict"]) == (3, "review", "pass")
    assert [(c["id"], c["status"], c["judges"]) for c in data["lock_checks"]] == [
        ("M1", "fail", "machine")]
    lock = demo_lock(tmp_path / "requirements.txt", demo.indexes["main"], {"tidy-notes": "1.2.0"})
    lock.write_text(f"--extra-index-url {demo.urls['internal']}\n" + lock.read_text("utf-8"),
                    encoding="utf-8")
    code, out, _ = check("-r", str(lock), "--index-url", demo.urls["main"], "--format", "json")
    data = json.loads(out)
    assert (code, data["lock_checks"][0]["judges"]) == (1, "target")


def test_a_pylock_toml_target(demo, check, tmp_path: Path) -> None:
    f = demo.indexes["main"].projects["old-parser"][1]
    lock = tmp_path / "pylock.toml"
    lock.write_text(f'lock-version = "1.0"\n[[packages]]\nname = "old-parser"\nversion = "2.0.1"\n'
                    f'sdist = {{ url = "{demo.urls["main"]}x", hashes = {{ sha256 = "{f.sha256}" }} }}\n',
                    encoding="utf-8")
    code, out, _ = check(str(lock), "--index-url", demo.urls["main"], "--format", "json")
    data = json.loads(out)
    assert (code, data["dependencies"][0]["hash_status"]) == (0, "verified against the index and the lock")
