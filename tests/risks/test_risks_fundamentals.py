"""The fundamentals chapter: the execution-model risks beyond the generic catalogue tests.

Each claim the page makes about start-up options is checked here both ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import bytecode, environment, imports, module_shadowing, pth_files
from pysecbook.teaching.runtime import classify_path, describe_runtime

# --- importing runs code ---------------------------------------------------------------


def test_secure_version_reader_handles_annotated_assignment(tmp_path: Path) -> None:
    plugin = tmp_path / "p.py"
    plugin.write_text('__version__: str = "2.0"\n', encoding="utf-8")
    assert imports.plugin_version_secure(str(plugin)) == "2.0"


def test_secure_version_reader_refuses_computed_version_without_running_it(tmp_path: Path) -> None:
    plugin = tmp_path / "p.py"
    marker = tmp_path / "ran"
    plugin.write_text(f"__version__ = open({str(marker)!r}, 'w').name\n", encoding="utf-8")
    with pytest.raises(ValueError):
        imports.plugin_version_secure(str(plugin))
    assert not marker.exists()


def test_secure_version_reader_without_version(tmp_path: Path) -> None:
    plugin = tmp_path / "p.py"
    plugin.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(LookupError):
        imports.plugin_version_secure(str(plugin))


# --- .pth files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pth_rows() -> dict[tuple[str, tuple[str, ...]], int]:
    return {(r.site, r.flags): r.runs for r in pth_files.startup_matrix()}


def test_pth_in_main_site_packages_runs_by_default_and_under_isolated_mode(pth_rows) -> None:
    assert pth_rows[("main", ())] >= 1
    assert pth_rows[("main", ("-I",))] >= 1
    assert pth_rows[("main", ("-s",))] >= 1


def test_minus_S_stops_every_pth(pth_rows) -> None:
    for site_name in ("main", "user"):
        assert pth_rows[(site_name, ("-S",))] == 0
        assert pth_rows[(site_name, ("-I", "-S"))] == 0


def test_user_site_pth_runs_by_default_and_is_stopped_by_minus_s_and_I(pth_rows) -> None:
    assert pth_rows[("user", ())] == 1
    assert pth_rows[("user", ("-E",))] == 1
    assert pth_rows[("user", ("-s",))] == 0
    assert pth_rows[("user", ("-I",))] == 0


def test_the_tool_still_runs_under_every_variant() -> None:
    assert {r.output for r in pth_files.startup_matrix()} == {"tool: hello, world"}


def test_executable_pth_lines_follows_the_site_rule(tmp_path: Path) -> None:
    (tmp_path / "a.pth").write_text(
        "import os\nimport\tsys\n/some/path\n# import comment\n importx\nimportlib\n", encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text("import os\n", encoding="utf-8")
    assert pth_files.executable_pth_lines(tmp_path) == [("a.pth", "import os"), ("a.pth", "import\tsys")]


def test_throwaway_venv_does_not_enable_user_site_without_system_site_packages() -> None:
    with private_tmpdir() as tmp:
        home = tmp / "home"
        home.mkdir()
        plain = pth_files.site_dirs(pth_files.make_throwaway_venv(tmp / "a"), home)
        with_system = pth_files.site_dirs(pth_files.make_throwaway_venv(tmp / "b", system_site_packages=True), home)
    assert plain.main[0].startswith(str(tmp / "a"))
    assert not plain.user_enabled
    assert with_system.user_enabled
    assert with_system.user.startswith(str(home))


# --- shadowing -------------------------------------------------------------------------


def test_shadowing_matrix_matches_the_page() -> None:
    rows = {r.launch: r.shadowed for r in module_shadowing.launch_matrix()}
    for launch in ("python report.py", "python -E report.py", "python -m report", "python -c 'import report'"):
        assert rows[launch], launch
    for launch in ("python -P report.py", "PYTHONSAFEPATH=1 python report.py", "python -I report.py",
                   "python -I -m report", "python -P -c 'import report'"):
        assert not rows[launch], launch


def test_shadowed_output_is_forged() -> None:
    rows = {r.launch: r.output for r in module_shadowing.launch_matrix()}
    assert '"admin": true' in rows["python report.py"]
    assert '"admin": false' in rows["python -I report.py"]


# --- environment variables -------------------------------------------------------------


def test_environment_matrix() -> None:
    rows = {(r.variable, r.command): r.output for r in environment.environment_matrix()}
    assert "sitecustomize.py from PYTHONPATH ran" in rows[("PYTHONPATH", "python tool.py")]
    assert "sitecustomize.py from PYTHONPATH ran" in rows[("PYTHONPATH", "python -P tool.py")]
    assert rows[("PYTHONPATH", "python -E tool.py")] == ("tool: done",)
    assert rows[("PYTHONPATH", "python -I tool.py")] == ("tool: done",)
    # PYTHONSTARTUP: interactive sessions only, and not when a script is given.
    assert "PYTHONSTARTUP file ran" not in rows[("PYTHONSTARTUP", "python tool.py")]
    assert "PYTHONSTARTUP file ran" not in rows[("PYTHONSTARTUP", "python < input")]
    assert "PYTHONSTARTUP file ran" in rows[("PYTHONSTARTUP", "python -i < input")]
    assert "PYTHONSTARTUP file ran" not in rows[("PYTHONSTARTUP", "python -i tool.py < input")]
    assert "PYTHONSTARTUP file ran" not in rows[("PYTHONSTARTUP", "python -E -i < input")]
    # PYTHONINSPECT does nothing with a pipe; -i does.
    assert rows[("PYTHONINSPECT=1", "python tool.py < input")] == ("tool: done",)
    assert "code read from stdin ran" in rows[("(none)", "python -i tool.py < input")]


def test_terminal_matrix() -> None:
    rows = {r.command: r for r in environment.terminal_matrix()}
    assert not rows["python tool.py"].typed_line_ran
    assert rows["PYTHONSTARTUP=... python"].startup_file_ran
    assert not rows["PYTHONSTARTUP=... python -E"].startup_file_ran
    assert not rows["PYTHONSTARTUP=... python tool.py"].startup_file_ran
    assert rows["PYTHONINSPECT=1 python tool.py"].typed_line_ran
    assert not rows["PYTHONINSPECT=1 python -E tool.py"].typed_line_ran
    assert not rows["PYTHONINSPECT=1 python -I tool.py"].typed_line_ran


# --- bytecode --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyc_rows() -> dict[tuple[str, str, str], bytecode.Row]:
    return {(r.cache, r.tampering, r.launch): r for r in bytecode.tamper_matrix()}


def test_tampered_pyc_output_differs_from_source(pyc_rows) -> None:
    clean = pyc_rows[("timestamp", "none", "python main.py")]
    forged = pyc_rows[("timestamp", "forged timestamp header", "python main.py")]
    assert clean.printed == "hello from the source" and not clean.tampered_code_ran
    assert forged.printed == "hello from the ATTACKER" and forged.tampered_code_ran


def test_checked_hash_detects_a_naive_replacement_and_recompiles(pyc_rows) -> None:
    row = pyc_rows[("checked-hash", "naive .pyc from other source", "python main.py")]
    assert row.printed == "hello from the source" and not row.tampered_code_ran


def test_checked_hash_does_not_stop_a_forged_timestamp_pyc(pyc_rows) -> None:
    row = pyc_rows[("checked-hash", "forged timestamp header", "python main.py")]
    assert row.tampered_code_ran


def test_an_unchecked_hash_pyc_runs_whatever_it_holds(pyc_rows) -> None:
    row = pyc_rows[("unchecked-hash", "naive .pyc from other source", "python main.py")]
    assert row.tampered_code_ran


def test_checking_every_hash_catches_a_naive_pyc_not_a_forged_one(pyc_rows) -> None:
    launch = "python --check-hash-based-pycs always main.py"
    assert not pyc_rows[("unchecked-hash", "naive .pyc from other source", launch)].tampered_code_ran
    for cache in bytecode.MODES:
        assert pyc_rows[(cache, "forged timestamp header", launch)].tampered_code_ran


def test_private_pycache_prefix_always_runs_the_source(pyc_rows) -> None:
    for (_cache, _tampering, launch), row in pyc_rows.items():
        if "pycache_prefix" in launch:
            assert row.printed == "hello from the source" and not row.tampered_code_ran


def test_pyc_header_decoding() -> None:
    with private_tmpdir() as tmp:
        ts = bytecode.pyc_header(bytecode.build_app(tmp / "a", "timestamp"))
        ch = bytecode.pyc_header(bytecode.build_app(tmp / "b", "checked-hash"))
        size = (tmp / "a" / "greet.py").stat().st_size
    assert ts["mode"] == "timestamp" and ts["source_size"] == size and ts["magic ok"]
    assert ch["mode"] == "checked-hash" and len(str(ch["source_hash"])) == 16


# --- runtime ---------------------------------------------------------------------------


def test_describe_runtime_names_the_components() -> None:
    rt = describe_runtime()
    assert rt.implementation == "cpython"
    assert rt.sys_path and rt.site_packages
    assert set(rt.flags) == {"isolated", "safe_path", "no_site", "no_user_site", "ignore_environment",
                             "dont_write_bytecode", "optimize"}
    assert classify_path(rt.site_packages[0], rt).startswith("site-packages")
    assert classify_path(rt.stdlib, rt).startswith("interpreter")
    assert classify_path("", rt).startswith("current directory")
