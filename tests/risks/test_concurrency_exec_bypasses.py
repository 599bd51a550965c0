"""The bypasses found in the secure concurrency and start-up code, each as a test that fails
if it comes back, and the edges of each fix (book/practices/concurrency,
book/fundamentals/execution-model)."""

from __future__ import annotations

import asyncio
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pysecbook.lab.child import private_tmpdir, run_python
from pysecbook.teaching.risks import async_tasks as at
from pysecbook.teaching.risks import deadlocks as dl
from pysecbook.teaching.risks import environment as ev
from pysecbook.teaching.risks import future_results as fr
from pysecbook.teaching.risks import imports as im
from pysecbook.teaching.risks import module_shadowing as ms
from pysecbook.teaching.risks import pth_files as pf
from pysecbook.teaching.risks import race_conditions as rc
from pysecbook.teaching.risks import resource_pools as rp

# --- withdrawals -----------------------------------------------------------------------


def test_an_unclear_payment_error_keeps_the_reservation() -> None:
    """The provider timed out after paying: the amount stays reserved, not spendable again."""
    account = rc.Account(10_000)

    def paid_then_timed_out(cents: int) -> None:
        raise TimeoutError("no answer after the transfer")

    with pytest.raises(TimeoutError):
        rc.withdraw_secure(account, 10_000, paid_then_timed_out)
    assert account.balance_cents == 0
    assert rc.withdraw_secure(account, 10_000, lambda cents: None) is False


@pytest.mark.parametrize("amount", [float("nan"), -1, 0, True, 1.0, float("-inf"), "100"])
def test_only_a_positive_whole_number_of_cents_is_withdrawn(amount: object) -> None:
    account = rc.Account(10_000)
    with pytest.raises(ValueError):
        rc.withdraw_secure(account, amount, lambda cents: None)  # type: ignore[arg-type]
    assert account.balance_cents == 10_000


@pytest.mark.parametrize("attempt", range(5))
def test_simultaneous_withdrawals_are_decided_the_same_way_every_time(attempt: int) -> None:
    """The meeting point makes the interleaving certain: every run, one answer."""
    assert rc.attack_many_threads(rc.withdraw_insecure).attack_succeeded is True
    assert rc.attack_many_threads(rc.withdraw_secure).attack_succeeded is False
    assert rc.attack_timeout_after_paying(rc.withdraw_first_try).attack_succeeded is True
    assert rc.attack_timeout_after_paying(rc.withdraw_secure).attack_succeeded is False


# --- transfers -------------------------------------------------------------------------


def test_the_audit_line_is_written_with_no_account_lock_held() -> None:
    alice, bob = dl.Account("alice", 100), dl.Account("bob", 100)
    held: list[bool] = []
    dl.transfer_secure(alice, bob, 10, lambda line: held.append(alice.lock.locked() or bob.lock.locked()))
    assert held == [False] and (alice.balance, bob.balance) == (90, 110)


def test_a_transfer_to_a_second_copy_of_the_same_account_is_refused() -> None:
    with pytest.raises(ValueError):
        dl.transfer_secure(dl.Account("bob", 1), dl.Account("bob", 1), 1, lambda line: None)


@pytest.mark.parametrize("attempt", range(5))
def test_lock_order_scenarios_are_decided_the_same_way_every_time(attempt: int) -> None:
    secure = f"{dl.transfer_secure.__module__}:{dl.transfer_secure.__qualname__}"
    for scenario in ("opposite", "cycle", "self", "audit-lock"):
        assert dl.run_scenario(secure, scenario)["stuck"] == 0, scenario


# --- asyncio ---------------------------------------------------------------------------


def test_a_payment_with_a_receipt_is_accepted() -> None:
    async def write_audit(payment: dict[str, object]) -> str:
        return "audit-42"

    assert asyncio.run(at.handle_payment_secure({"id": 1}, write_audit)) == "accepted"


@pytest.mark.parametrize("answer", [None, False, "", {"error": "disk full"}, 0, b"audit-1"])
def test_anything_but_a_receipt_refuses_the_payment(answer: object) -> None:
    async def write_audit(payment: dict[str, object]) -> object:
        return answer

    with pytest.raises(at.AuditNotConfirmed):
        asyncio.run(at.handle_payment_secure({"id": 1}, write_audit))


# --- revocations -----------------------------------------------------------------------


def test_an_unfinished_revocation_is_reported_and_queued_ones_are_cancelled() -> None:
    release = threading.Event()
    ran: list[str] = []

    def revoke(account: str) -> None:
        ran.append(account)
        if account == "slow":
            release.wait(timeout=10)

    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            with pytest.raises(RuntimeError) as caught:
                fr.revoke_all_secure(pool, ["slow", "queued"], revoke, timeout=0.1)
        finally:
            release.set()
    assert "'slow': 'no answer within 0.1 s'" in str(caught.value)
    assert "'queued'" in str(caught.value) and ran == ["slow"]


@pytest.mark.parametrize("attempt", range(5))
def test_the_hanging_store_is_reported_every_time(attempt: int) -> None:
    assert fr.attack_hanging_store(fr.revoke_all_secure).attack_succeeded is False


# --- pools -----------------------------------------------------------------------------


def test_a_shared_pool_needs_two_workers() -> None:
    with pytest.raises(ValueError):
        rp.ReportService(1)


def test_a_client_is_forgotten_when_its_last_job_ends_even_a_failed_one() -> None:
    service = rp.ReportService(2)

    def failing() -> str:
        raise RuntimeError("report failed")

    try:
        future = rp.submit_secure(service, "mallory", failing)
        with pytest.raises(RuntimeError):
            future.result(timeout=5)
    finally:
        service.pool.shutdown(wait=True)
    assert service.tracked_clients() == 0


@pytest.mark.parametrize("attempt", range(5))
def test_starvation_is_decided_the_same_way_every_time(attempt: int) -> None:
    assert rp.attack(rp.submit_insecure).attack_succeeded is True
    assert rp.attack(rp.submit_secure).attack_succeeded is False
    assert rp.attack_small_pool(rp.submit_secure).attack_succeeded is False


# --- the environment of a child --------------------------------------------------------


def test_the_allowlisted_variables_reach_the_tool_and_nothing_else(tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_text("import os\nprint(sorted(k for k in os.environ if k in "
                      "('LANG', 'TZ', 'PATH', 'SECRET_TOKEN', 'LD_PRELOAD')), os.environ['PATH'])\n",
                      encoding="utf-8")
    done = ev.run_tool_secure(str(script), {"TZ": "UTC", "SECRET_TOKEN": "x",
                                            "LD_PRELOAD": "/nonexistent.so", "PATH": "/evil"})
    names, path = done.stdout.rsplit(" ", 1)
    assert names == "['LANG', 'PATH', 'TZ']" and path.strip() != "/evil"


# --- the version of a plugin -----------------------------------------------------------


def test_the_reader_honours_a_coding_declaration_and_a_bom(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n__version__ = '1.0-\xe9'\n")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf__version__ = '2.0'\n")
    assert im.plugin_version_secure(str(latin)) == "1.0-\u00e9"
    assert im.plugin_version_secure(str(bom)) == "2.0"


def test_the_reader_refuses_one_byte_past_its_limit(tmp_path: Path) -> None:
    plugin = tmp_path / "p.py"
    head = b"__version__ = '1'\n"
    plugin.write_bytes(head + b"#" * (im.MAX_PLUGIN_BYTES - len(head) - 1) + b"\n")
    assert im.plugin_version_secure(str(plugin)) == "1"
    plugin.write_bytes(head + b"#" * (im.MAX_PLUGIN_BYTES - len(head)) + b"\n")
    with pytest.raises(ValueError, match="larger than"):
        im.plugin_version_secure(str(plugin))


def test_the_reader_does_not_wait_for_a_pipe_or_read_a_device(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.py")
    for path in (tmp_path / "pipe.py", Path("/dev/zero"), tmp_path):
        with pytest.raises(ValueError, match="not a regular file"):
            im.plugin_version_secure(str(path))


# --- shadowing -------------------------------------------------------------------------


def test_a_zip_archive_is_refused_whatever_its_name(tmp_path: Path) -> None:
    target = tmp_path / "report.py"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("__main__.py", ms.SCRIPT)
        archive.writestr("json.py", ms.SHADOW)
    with pytest.raises(ValueError, match="not a script file"):
        ms.run_script_secure(str(target))
    with pytest.raises(ValueError):
        ms.run_script_secure(str(tmp_path))


def test_the_launch_matrix_shows_what_the_page_says() -> None:
    rows = {r.launch: r.shadowed for r in ms.launch_matrix()}
    assert rows["PYTHONSAFEPATH=1 python -E report.py"]
    assert rows["(from home/) python ../app/report.py"]
    assert not rows["(from home/) python -P ../app/report.py"]
    assert rows["(from home/) python -I ../tool/"]


# --- what .pth files run ---------------------------------------------------------------


def test_a_form_feed_cannot_hide_code_from_the_listing() -> None:
    """On 3.11 a form feed does not end a .pth line, so everything after it runs too."""
    with private_tmpdir() as tmp:
        site_dir = tmp / "site"
        site_dir.mkdir()
        (site_dir / "a.pth").write_bytes(b"import os;\x0cprint('hidden code ran')\n")
        done = run_python("import site, sys; site.addsitedir(sys.argv[1])", cwd=tmp,
                          flags=["-I", "-S"], args=[str(site_dir)])
        listed = [line for _, line in pf.executable_pth_lines(site_dir)]
    if "hidden code ran" in done.stdout:  # this release runs it: the listing shows all of it
        assert "import os;\x0cprint('hidden code ran')" in listed
    assert any("hidden code ran" in line for line in listed)


def test_a_bom_and_a_hidden_name_do_not_hide_a_pth_line(tmp_path: Path) -> None:
    (tmp_path / ".hidden.pth").write_bytes(b"\xef\xbb\xbfimport os\n")
    assert pf.executable_pth_lines(tmp_path) == [(".hidden.pth", "import os")]
