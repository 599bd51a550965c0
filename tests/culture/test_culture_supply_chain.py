"""The supply-chain demonstrations of book/culture/supply-chain: real pip runs, offline."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pysecbook.teaching import supply_chain as sc
from pysecbook.checker import typosquatting
from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import dependency_confusion as dc
from pysecbook.teaching.risks import lock_hashes


@pytest.fixture()
def tmp() -> Path:
    with private_tmpdir() as path:
        yield path


def test_wheels_are_reproducible_and_content_changes_the_hash(tmp: Path) -> None:
    a = sc.build_wheel(tmp / "a", "acme-utils", "1.0", "X = 1\n")
    b = sc.build_wheel(tmp / "b", "acme-utils", "1.0", "X = 1\n")
    c = sc.build_wheel(tmp / "c", "acme-utils", "1.0", "X = 2\n")
    assert a.name == "acme_utils-1.0-py3-none-any.whl"
    assert sc.sha256_of(a) == sc.sha256_of(b) != sc.sha256_of(c)
    assert "acme_utils-1.0.dist-info/RECORD" in zipfile.ZipFile(a).namelist()
    assert sc.wheel_name_version(a) == ("acme-utils", "1.0")


def test_index_pages_carry_hashes_and_yank_marks(tmp: Path) -> None:
    a = sc.build_wheel(tmp / "d", "acme-utils", "1.0", "X = 1\n")
    b = sc.build_wheel(tmp / "d", "acme-utils", "1.1", "X = 2\n")
    url = sc.build_index(tmp / "index", [a, b], yanked={b.name: "broken"})
    assert url.startswith("file://") and url.endswith("/")
    page = (tmp / "index" / "acme-utils" / "index.html").read_text()
    assert f"#sha256={sc.sha256_of(a)}" in page
    assert 'data-yanked="broken"' in page and page.count("data-yanked") == 1


def test_pip_gets_no_index_unless_one_is_named(tmp: Path) -> None:
    sc.build_wheel(tmp / "wheels", "acme-utils", "1.0", "X = 1\n")
    run = sc.pip_install(["acme-utils"], workdir=tmp, target=tmp / "site")
    assert run.args[:2] == ("install", "--no-index")
    assert not run.ok and "No matching distribution" in run.error()
    run = sc.pip_install(["--find-links", str(tmp / "wheels"), "acme-utils"], workdir=tmp,
                         target=tmp / "site2")
    assert run.ok and run.installed() == {"acme-utils": "1.0"}


def test_the_machines_pip_configuration_does_not_leak_in(tmp: Path) -> None:
    # This machine's pip.conf and PIP_* variables name local indexes that hold "packaging";
    # a pip child of the book must not see them.
    run = sc.pip_install(["packaging"], workdir=tmp, target=tmp / "site")
    assert not run.ok and "No matching distribution" in run.error()
    assert run.installed() == {}


def test_tampered_wheel_installs_from_a_plain_lock_and_is_refused_by_a_hashed_one(tmp: Path) -> None:
    honest = sc.build_wheel(tmp / "honest", "acme-utils", "1.0", lock_hashes.HONEST_SOURCE)
    (tmp / "plain.txt").write_text(lock_hashes.lock_line_insecure(honest) + "\n")
    (tmp / "hashed.txt").write_text(lock_hashes.lock_line_secure(honest) + "\n")
    tampered = sc.build_wheel(tmp / "evil", "acme-utils", "1.0", lock_hashes.TAMPERED_SOURCE)
    url = sc.build_index(tmp / "index", [tampered])

    plain = sc.pip_install(["--index-url", url, "-r", "plain.txt"], workdir=tmp, target=tmp / "s1")
    assert plain.ok and "attacker" in (plain.module_text("acme_utils") or "")

    hashed = sc.pip_install(["--index-url", url, "--require-hashes", "-r", "hashed.txt"],
                            workdir=tmp, target=tmp / "s2")
    assert not hashed.ok
    assert "DO NOT MATCH THE HASHES" in hashed.error()
    assert sc.sha256_of(honest) in hashed.error() and sc.sha256_of(tampered) in hashed.error()
    assert hashed.installed() == {} and hashed.module_text("acme_utils") is None

    missing = sc.pip_install(["--index-url", url, "--require-hashes", "-r", "plain.txt"],
                             workdir=tmp, target=tmp / "s3")
    assert not missing.ok and "Hashes are required" in missing.error()


def test_dependency_confusion_then_each_mitigation(tmp: Path) -> None:
    internal, public = dc.build_indexes(tmp)
    run = dc.install_with(dc.index_options_insecure(internal, public), tmp)
    assert run.installed() == {"acme-utils": "99.0"}
    assert "attacker" in (run.module_text("acme_utils") or "")

    run = dc.install_with(dc.index_options_secure(internal, public), tmp)
    assert run.installed() == {"acme-utils": "1.0"}
    assert "internal" in (run.module_text("acme_utils") or "")

    # The attacker adds a 1.0 of their own: a pin alone takes it, a hashed lock does not.
    same = sc.build_wheel(tmp / "b", "acme-utils", "1.0", dc.ATTACKER_SOURCE)
    sc.build_index(tmp / "public", [same])
    internal_wheel = next((tmp / "internal" / "acme-utils").glob("*.whl"))
    (tmp / "pinned.txt").write_text("acme-utils==1.0\n")
    (tmp / "locked.txt").write_text(lock_hashes.lock_line_secure(internal_wheel) + "\n")
    both = dc.index_options_insecure(internal, public)
    pinned = sc.pip_install([*both, "-r", "pinned.txt"], workdir=tmp, target=tmp / "p")
    locked = sc.pip_install([*both, "-r", "locked.txt"], workdir=tmp, target=tmp / "l")
    assert "attacker" in (pinned.module_text("acme_utils") or "")
    assert locked.ok and "internal" in (locked.module_text("acme_utils") or "")


def test_isolated_does_not_skip_a_config_file_named_by_pip_config_file(tmp: Path) -> None:
    """What the secure options' contract leaves to the caller: pip still reads the file that
    PIP_CONFIG_FILE names (and the global and site files) in --isolated mode."""
    internal, public = dc.build_indexes(tmp)
    options = dc.index_options_secure(internal, public)
    assert options[0] == "--isolated"
    config = tmp / "ci-pip.conf"
    config.write_text(f"[global]\nextra-index-url = {public}\n", encoding="utf-8")
    run = dc.install_in_build_environment(options, tmp,
                                          variables={"PIP_CONFIG_FILE": str(config)})
    assert run.installed() == {"acme-utils": "99.0"}
    assert "PIP_CONFIG_FILE" in dc.RISK.contract.assumes


def test_a_second_lock_line_for_the_same_pin_narrows_and_never_widens(tmp: Path) -> None:
    """pip intersects the hashes of two lines for one name: a line slipped into a hashed lock
    admits nothing the first line did not (a hash added to the same line would)."""
    honest = sc.build_wheel(tmp / "release", "acme-utils", "1.0", lock_hashes.HONEST_SOURCE)
    tampered = sc.build_wheel(tmp / "tampered", "acme-utils", "1.0", lock_hashes.TAMPERED_SOURCE)
    url = sc.build_index(tmp / "index", [tampered])
    evil = f"acme-utils==1.0 --hash=sha256:{sc.sha256_of(tampered)}"
    (tmp / "two-lines.txt").write_text(f"{lock_hashes.lock_line_secure(honest)}\n{evil}\n")
    (tmp / "one-line.txt").write_text(
        f"{lock_hashes.lock_line_secure(honest)} --hash=sha256:{sc.sha256_of(tampered)}\n")
    two = sc.pip_install(["--index-url", url, "-r", "two-lines.txt"], workdir=tmp, target=tmp / "a")
    one = sc.pip_install(["--index-url", url, "-r", "one-line.txt"], workdir=tmp, target=tmp / "b")
    assert not two.ok and two.installed() == {}
    assert "attacker" in (one.module_text("acme_utils") or "")
    assert "hash added to an existing line" in lock_hashes.RISK.contract.does_not_stop


def test_a_url_requirement_needs_its_own_hash_in_a_hashed_lock(tmp: Path) -> None:
    """A line naming a file by URL, added next to the locked pin: a plain lock installs
    whatever the URL serves, a hashed lock refuses the whole install."""
    honest = sc.build_wheel(tmp / "release", "acme-utils", "1.0", lock_hashes.HONEST_SOURCE)
    extra = sc.build_wheel(tmp / "extra", "acme-extra", "9.9", 'ORIGIN = "the attacker"\n')
    url = sc.build_index(tmp / "index", [honest])
    for name in ("insecure", "secure"):
        line = getattr(lock_hashes, f"lock_line_{name}")(honest)
        (tmp / f"{name}.txt").write_text(f"{line}\nacme-extra @ {extra.as_uri()}\n")
    plain = sc.pip_install(["--index-url", url, "-r", "insecure.txt"], workdir=tmp, target=tmp / "a")
    hashed = sc.pip_install(["--index-url", url, "-r", "secure.txt"], workdir=tmp, target=tmp / "b")
    assert plain.installed() == {"acme-utils": "1.0", "acme-extra": "9.9"}
    assert not hashed.ok and "Hashes are required" in hashed.error()


def test_rewritten_wheels_install(tmp: Path) -> None:
    plain = sc.build_wheel(tmp / "release", "acme-utils", "1.0", "X = 1\n")
    tagged = lock_hashes.rewrite_wheel(plain, tmp / "tagged", tag="py311-none-any",
                                       requires=("acme-core",))
    assert tagged.name == "acme_utils-1.0-py311-none-any.whl"
    with zipfile.ZipFile(tagged) as archive:
        assert b"Requires-Dist: acme-core" in archive.read("acme_utils-1.0.dist-info/METADATA")
    core = sc.build_wheel(tmp / "core", "acme-core", "1.0", "Y = 1\n")
    url = sc.build_index(tmp / "index", [tagged, core])
    run = sc.pip_install(["--index-url", url, "acme-utils"], workdir=tmp, target=tmp / "site")
    assert run.installed() == {"acme-utils": "1.0", "acme-core": "1.0"}, run.error()


def test_yanked_release_is_skipped_unless_pinned_exactly(tmp: Path) -> None:
    good = sc.build_wheel(tmp / "d", "acme-utils", "1.0", "X = 1\n")
    bad = sc.build_wheel(tmp / "d", "acme-utils", "1.1", "X = 2\n")
    url = sc.build_index(tmp / "index", [good, bad], yanked={bad.name: "broken"})
    loose = sc.pip_install(["--index-url", url, "acme-utils"], workdir=tmp, target=tmp / "a")
    ranged = sc.pip_install(["--index-url", url, "acme-utils>=1.1"], workdir=tmp, target=tmp / "b")
    exact = sc.pip_install(["--index-url", url, "acme-utils==1.1"], workdir=tmp, target=tmp / "c")
    assert loose.installed() == {"acme-utils": "1.0"}
    assert not ranged.ok and "yanked" in ranged.error()
    assert exact.installed() == {"acme-utils": "1.1"}
    assert "yanked version" in exact.warning() and "broken" in exact.warning()


def test_attestation_statement_names_the_exact_file(tmp: Path) -> None:
    wheel = sc.build_wheel(tmp / "d", "acme-utils", "1.0", "X = 1\n")
    other = sc.build_wheel(tmp / "e", "acme-utils", "1.0", "X = 2\n")
    statement = sc.attestation_statement(wheel)
    assert statement["subject"] == [{"name": wheel.name, "digest": {"sha256": sc.sha256_of(wheel)}}]
    assert sc.matches_statement(wheel, statement)
    assert not sc.matches_statement(other, statement)


def test_typosquats_of_the_page_are_flagged_as_it_says() -> None:
    flagged = {s.name for s in typosquatting.check_names(
        ["reqeusts", "python-dateutils", "urllib4", "colourama", "djagno", "requests",
         "numpy", "acme-utils", "beautifulsoup"])}
    assert flagged == {"reqeusts", "python-dateutils", "urllib4", "colourama", "beautifulsoup"}
    ours = typosquatting.popular_names() | {"django"}
    assert typosquatting.check_name("djagno", known=ours) is not None
