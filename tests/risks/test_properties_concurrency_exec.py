"""Properties of the secure concurrency and start-up code (book/practices/concurrency,
book/fundamentals/execution-model), each stated as the attacker's goal.

The adapted attacks in the risk modules are the scenarios a person thought of. Here
Hypothesis composes them from the same pieces: how many requests arrive at once, what the
payment provider or the audit store does, which amounts and which accounts; and, for the
start-up code, which files an attacker plants where and which variables they set. The
concurrent properties force their interleavings with the risk modules' own meeting points
(a condition every request must reach, a lock that waits for the others once it is held),
so an example means the same thing on every run. Whatever could hang is bounded.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir, run_python
from pysecbook.teaching.risks import async_tasks as at
from pysecbook.teaching.risks import bytecode as bc
from pysecbook.teaching.risks import deadlocks as dl
from pysecbook.teaching.risks import environment as ev
from pysecbook.teaching.risks import future_results as fr
from pysecbook.teaching.risks import imports as im
from pysecbook.teaching.risks import module_shadowing as ms
from pysecbook.teaching.risks import pth_files as pf
from pysecbook.teaching.risks import race_conditions as rc
from pysecbook.teaching.risks import resource_pools as rp
from pysecbook.teaching.risks import task_cancellation as tc
from pysecbook.teaching.risks import thread_locals as tl

# --- check, then act -------------------------------------------------------------------

#: Amounts as an attacker chooses them: the whole balance, part of it, one cent, and the
#: values that are not a positive whole number of cents.
AMOUNTS = st.one_of(
    st.sampled_from((rc.BALANCE, rc.BALANCE // 2, 3_000, 1, 0, -1, -rc.BALANCE, True,
                     float("nan"), float("inf"), float("-inf"), 0.5, -0.0, 10.0**20)),
    st.integers(min_value=-2 * rc.BALANCE, max_value=2 * rc.BALANCE))
BEHAVIOURS = st.sampled_from(("pay", "pay", "decline", "timeout"))
#: Rounds of simultaneous withdrawals, one round after the other on the same account.
ROUNDS = st.lists(st.lists(st.tuples(AMOUNTS, BEHAVIOURS), min_size=1, max_size=6),
                  min_size=1, max_size=3)


@given(ROUNDS)
def test_no_interleaving_of_withdrawals_pays_out_more_than_the_balance(rounds) -> None:  # type: ignore[no-untyped-def]
    """Goal: more money out than the account held. However many withdrawals arrive together,
    whatever their amounts and whatever the provider answers, the money paid plus the balance
    left never exceeds what the account held, and the balance stays a whole, non-negative
    number of cents."""
    account = rc.Account(rc.BALANCE)
    paid = 0
    for requests in rounds:
        amounts, behaviours = zip(*requests)
        result = rc.concurrent_withdrawals(rc.withdraw_secure, account, amounts, behaviours)
        paid += result["paid"]  # type: ignore[operator]
        assert type(account.balance_cents) is int and account.balance_cents >= 0, requests
        assert paid + account.balance_cents <= rc.BALANCE, (rounds, paid, account.balance_cents)


# --- lock order ------------------------------------------------------------------------


class SteppingLock:
    """A lock that, once held, waits (briefly) for every other thread to take a lock too:
    each transfer holds its first lock while the others take theirs, the interleaving in
    which a lock-order cycle closes."""

    def __init__(self, meeting: threading.Barrier) -> None:
        self._lock = threading.Lock()
        self._meeting = meeting

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            try:
                self._meeting.wait()
            except threading.BrokenBarrierError:
                pass  # somebody is waiting for a lock: the rest proceed
        return got

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> SteppingLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


#: Account names; "bob" appears twice, as a second copy of the same account.
NAMES = ("alice", "bob", "carol", "dave", "bob-copy")
TRANSFERS = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES),
                               st.integers(min_value=1, max_value=50)), min_size=1, max_size=6)


@given(TRANSFERS)
def test_no_set_of_simultaneous_transfers_deadlocks(transfers) -> None:  # type: ignore[no-untyped-def]
    """Goal: freeze accounts. No generated set of transfers, started together and each
    holding its first lock while the others take theirs, is still waiting after two seconds;
    no money appears or disappears; only transfers from an account to itself are refused."""
    meeting = threading.Barrier(len(transfers), timeout=0.05)
    accounts = {n: dl.Account(n.removesuffix("-copy"), 100) for n in NAMES}
    for account in accounts.values():
        account.lock = SteppingLock(meeting)  # type: ignore[assignment]
    refused: list[str] = []

    def run(source: str, target: str, amount: int) -> None:
        try:
            dl.transfer_secure(accounts[source], accounts[target], amount, lambda line: None)
        except ValueError:
            refused.append(f"{source}->{target}")

    threads = [threading.Thread(target=run, args=t, daemon=True) for t in transfers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2)
    assert not any(t.is_alive() for t in threads), f"deadlocked: {transfers}"
    assert sum(a.balance for a in accounts.values()) == 100 * len(NAMES)
    same = [t for t in transfers if accounts[t[0]].id == accounts[t[1]].id]
    assert len(refused) == len(same), (transfers, refused)


# --- a pool one client can fill --------------------------------------------------------


@given(st.integers(min_value=2, max_value=6), st.integers(min_value=0, max_value=12))
def test_no_burst_from_one_client_leaves_others_without_a_worker(workers: int, burst: int) -> None:
    """Goal: starve everybody else. However many slow jobs one client sends at the same
    instant, to a pool of any size, another client's quick job is served at once, and no
    state is left behind for either client."""
    service = rp.ReportService(workers)
    release = threading.Event()
    start = threading.Barrier(burst + 1, timeout=5)
    refused: list[str] = []

    def slow() -> str:
        release.wait(timeout=5)
        return "slow"

    def mallory() -> None:
        start.wait()
        try:
            rp.submit_secure(service, "mallory", slow)
        except rp.TooManyRequests:
            refused.append("429")

    senders = [threading.Thread(target=mallory) for _ in range(burst)]
    try:
        for s in senders:
            s.start()
        start.wait()
        for s in senders:
            s.join()
        answer = rp.submit_secure(service, "alice", lambda: "alice's report").result(timeout=2)
    finally:
        release.set()
        service.pool.shutdown(wait=True)
    assert answer == "alice's report"
    assert burst - len(refused) <= min(rp.PER_CLIENT, workers - 1)
    assert service.tracked_clients() == 0


# --- cancellation ----------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=60), st.data())
def test_no_cancel_point_lets_the_export_go_on(total: int, data: st.DataObject) -> None:
    """Goal: records sent after the cancel. Whichever record the cancel arrives at, in a pool
    of any size, and however many exports start after it, the cancelled export sends nothing
    after the record it was sending."""
    at_record = data.draw(st.integers(min_value=1, max_value=total), label="cancel at record")
    workers = data.draw(st.integers(min_value=1, max_value=3), label="workers")
    later = data.draw(st.integers(min_value=0, max_value=2), label="exports started after")
    records = tuple(f"r{n}" for n in range(total))
    sent: list[str] = []
    reached, resume = threading.Event(), threading.Event()

    def send(record: str) -> None:
        sent.append(record)
        if len(sent) == at_record:
            reached.set()
            resume.wait(timeout=5)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        cancel = tc.start_export_secure(pool, records, send)
        assert reached.wait(timeout=5)
        cancel()
        for _ in range(later):
            tc.start_export_secure(pool, ("other",), lambda record: None)
        resume.set()
    assert len(sent) == at_record, (total, at_record, workers, later, len(sent))


# --- lost exceptions -------------------------------------------------------------------

OUTCOMES = st.sampled_from(("ok", "ok", "timeout-error", "falsy-error", "hang"))


@given(st.lists(OUTCOMES, min_size=1, max_size=5), st.integers(min_value=1, max_value=4))
def test_no_failed_revocation_is_reported_as_done(outcomes: list[str], workers: int) -> None:
    """Goal: a session that stays valid while the offboarding says "revoked". Whatever each
    session store does (fail, fail with a false exception, never answer), and however few
    workers the pool has, success is reported only if every session is gone, and a failure
    names every account whose sessions may remain."""
    accounts = [f"account-{i}" for i in range(len(outcomes))]
    sessions = dict.fromkeys(accounts, 1)
    release = threading.Event()

    def revoke(account: str) -> None:
        outcome = outcomes[accounts.index(account)]
        if outcome == "timeout-error":
            raise TimeoutError("store did not answer")
        if outcome == "falsy-error":
            raise fr.BatchError("store gave up")
        if outcome == "hang":
            release.wait(timeout=10)
            return
        sessions[account] = 0

    # A short deadline when a store hangs; otherwise one no scheduler delay can reach, so
    # that a run with nothing failing must report success.
    timeout = 0.1 if "hang" in outcomes else 5.0
    answers: list[object] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def call() -> None:
            try:
                answers.append(fr.revoke_all_secure(pool, accounts, revoke, timeout=timeout))
            except RuntimeError as exc:
                answers.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        caller.join(timeout=timeout + 3)
        release.set()
        caller.join()
    assert answers, "the offboarding never answered"
    live = [a for a, n in sessions.items() if n]
    if live:
        assert isinstance(answers[0], RuntimeError), (outcomes, answers)
        assert all(repr(a) in str(answers[0]) for a in live), (live, answers[0])
    else:
        assert answers[0] == f"sessions of {len(accounts)} accounts revoked"


# --- fire-and-forget tasks -------------------------------------------------------------

#: What an audit store can do with a record, from the attacker's point of view.
STORES = st.sampled_from(("store", "raise", "none", "false", "empty", "error-dict", "swallow"))


@given(STORES, st.booleans())
def test_no_audit_store_behaviour_gets_a_payment_accepted_without_a_record(
        store: str, cancel_during_write: bool) -> None:
    """Goal: a payment accepted with no audit record. Whether the store stores, raises,
    answers with a false or empty value, or swallows a cancellation, and whether the client
    disconnects while the record is written, an accepted payment always has its record."""
    audit: list[object] = []

    async def main() -> str:
        writing = asyncio.Event()

        async def write_audit(payment: dict[str, object]) -> object:
            writing.set()
            try:
                if cancel_during_write:
                    await asyncio.Event().wait()  # the client leaves while this waits
                if store == "raise":
                    raise ValueError("store refused")
                if store == "store":
                    audit.append(payment)
                    return "audit-1"
                return {"none": None, "false": False, "empty": "", "swallow": None,
                        "error-dict": {"error": "disk full"}}[store]
            except asyncio.CancelledError:
                if store == "swallow":
                    return None
                raise

        request = asyncio.create_task(at.handle_payment_secure({"id": 1}, write_audit))
        async with asyncio.timeout(5):
            await writing.wait()
        if cancel_during_write:
            request.cancel()
        try:
            return str(await request)
        except (asyncio.CancelledError, ValueError, at.AuditNotConfirmed) as exc:
            return f"refused: {type(exc).__name__}"

    answer, _ = at.run_in_fresh_loop(main)
    if answer == "accepted":
        assert audit, (store, cancel_during_write)
    assert answer in ("accepted", "refused: CancelledError", "refused: ValueError",
                      "refused: AuditNotConfirmed"), answer


# --- thread-locals ---------------------------------------------------------------------

REQUESTS = st.lists(st.sampled_from(("t-alice-8f2c", "t-bob-77aa", None, "", "t-nobody",
                                     "background")), min_size=1, max_size=12)


@given(REQUESTS, st.integers(min_value=1, max_value=4))
def test_no_request_order_lends_one_users_identity_to_another(sequence, workers: int) -> None:  # type: ignore[no-untyped-def]
    """Goal: read somebody else's inbox. In any order of signed-in, anonymous and
    wrongly-signed requests and background jobs, on a pool of any size, each request reads
    its own user's inbox or gets 401, and a background job always gets 401."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = []
        for token in sequence:
            if token == "background":
                futures.append((token, pool.submit(tl.read_inbox)))
            else:
                request = {} if token is None else {"token": token}
                futures.append((token, pool.submit(tl.handle_secure, request)))
        for token, future in futures:
            answer = future.result(timeout=5)
            user = tl.TOKENS.get(token or "")
            expected = f"200 {user}'s inbox: {tl.INBOXES[user]}" if user else "401 sign in first"
            assert answer == expected, (sequence, token, answer)


# --- the version of a plugin, without importing it -------------------------------------

#: Pieces of a plugin file: how it begins, what it assigns, what else it holds.
HEADS = st.sampled_from((b"", b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n", b'"""doc"""\n',
                         b"#!/usr/bin/env python\n"))
VERSIONS = st.sampled_from((b'__version__ = "1.2.3"\n', b'__version__: str = "2.0"\n',
                            b"__version__ = ('1', 0)\n", b"__version__ = open(MARK, 'w').name\n",
                            b"__version__ = __import__('os').system('touch ' + MARK)\n",
                            b"__version__ = f'{open(MARK, \"w\")}'\n", b""))
BODIES = st.sampled_from((b"", b"open(MARK, 'w').write('ran')\n",
                          b"import os\nos.system('touch ' + MARK)\n",
                          b"class P:\n    __version__ = open(MARK, 'w').name\n",
                          b"def f():\n    open(MARK, 'w')\nf()\n"))
PADDING = st.sampled_from((0, 100, im.MAX_PLUGIN_BYTES - 200, im.MAX_PLUGIN_BYTES + 1))
#: What the path names; the three that are not regular files are read in a child (they
#: would stall a weaker reader), so they come up less often.
KINDS = st.sampled_from(("file",) * 6 + ("link-to-file", "link-to-zero", "fifo", "directory"))


def _lookup_here(plugin: Path) -> tuple[bool, str]:
    """:func:`imports.lookup_in_child`'s answer, for a regular file read in this process."""
    import time

    start = time.perf_counter()
    try:
        found = im.plugin_version_secure(str(plugin))
    except Exception as exc:
        return False, f"refused: {type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    return seconds > im.LOOKUP_LIMIT / 2, f"returned {found!r} in {seconds:.3f} s"


@given(KINDS, HEADS, VERSIONS, BODIES, PADDING)
def test_no_plugin_file_runs_code_blocks_or_is_read_past_the_limit(
        kind: str, head: bytes, version: bytes, body: bytes, padding: int) -> None:
    """Goal: code run, or a reader stalled or exhausted, by asking a plugin for its version.
    Whatever the file is (a device, a pipe, a directory, a link) and whatever it holds, the
    reader runs none of it, answers within the time and memory limits, returns only a
    literal, and reads nothing larger than its limit."""
    with private_tmpdir() as tmp:
        mark = tmp / "marker.txt"
        content = (head + f"MARK = {str(mark)!r}\n".encode() + version + body
                   + b"#" * padding + b"\n")
        plugin = tmp / "plugin.py"
        if kind in ("file", "link-to-file"):
            real = tmp / "real_plugin.py"
            real.write_bytes(content)
            plugin = real if kind == "file" else plugin
            if kind == "link-to-file":
                plugin.symlink_to(real)
        elif kind == "link-to-zero":
            plugin.symlink_to("/dev/zero")
        elif kind == "fifo":
            os.mkfifo(plugin, 0o600)
        else:
            plugin.mkdir()
        if kind in ("file", "link-to-file"):  # nothing to stall on: read it here
            stalled, what = _lookup_here(plugin)
        else:  # a device, a pipe or a directory: in a child, with a time and memory limit
            stalled, what = im.lookup_in_child(im.plugin_version_secure, plugin)
        assert not stalled, (kind, what)
        assert not mark.exists(), (kind, head, version, body, what)
        if kind not in ("file", "link-to-file") or len(content) > im.MAX_PLUGIN_BYTES:
            assert what.startswith("refused"), (kind, len(content), what)
        elif version.startswith(b"__version__ = \"1.2.3\"") and not head.startswith(b"# -*-"):
            assert "returned '1.2.3'" in what, what


# --- what site runs from a .pth file, and what the lister shows ------------------------

#: Pieces of a .pth file: line boundaries of every kind, a BOM, the keyword with its
#: separator and look-alikes, and what may sit inside a statement (a form feed is blank to
#: the tokenizer but a line boundary to ``str.splitlines``).
SEPARATORS = st.sampled_from((b"\n", b"\r\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x85",
                              b"\xc2\x85", b"\xe2\x80\xa8"))
INSIDE = st.sampled_from((b" ", b"\x0c", b"\x0b", b"\x1c", b"\x85", b"\xe2\x80\xa8", b"\t"))
KEYWORDS = st.sampled_from((b"import ", b"import\t", b" import ", b"Import ", b"import\x0c",
                            b"#import ", b"\xef\xbb\xbfimport ", b"imports "))
PTH_NAMES = st.sampled_from(("zz.pth", ".hidden.pth", "a b.pth"))

#: Runs ``site.addsitedir`` in a child and prints every string ``site`` passed to ``exec``
#: (a line that then fails to compile was still handed over, and is counted).
_SPY = """\
import builtins, json, site, sys
seen, real = [], builtins.exec
def spy(source, *args):
    if isinstance(source, str):  # the import system execs code objects: not .pth lines
        seen.append(source)
    return real(source, *args)
builtins.exec = spy
try:
    site.addsitedir(sys.argv[1])
finally:
    builtins.exec = real
    print()
    print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def pth_probe() -> Iterator[Path]:
    with private_tmpdir() as tmp:
        yield tmp


@given(PTH_NAMES, st.booleans(),
       st.lists(st.tuples(KEYWORDS, INSIDE, SEPARATORS), min_size=1, max_size=4), st.booleans())
def test_every_pth_line_site_runs_is_listed(pth_probe: Path, name: str, bom: bool,  # type: ignore[no-untyped-def]
                                            lines, bad_byte: bool) -> None:
    """Goal: code that runs at start-up but does not show in the listing the page prints.
    Whatever the separators, the byte order mark, the file's name, the blanks inside a
    statement or an undecodable byte, every string this interpreter's ``site.addsitedir``
    executes is listed, whole, by ``executable_pth_lines``."""
    import json

    from pysecbook.lab.child import last_line

    site_dir = pth_probe / "site"
    site_dir.mkdir()
    try:
        content = b"\xef\xbb\xbf" if bom else b""
        for n, (keyword, inside, sep) in enumerate(lines):
            content += keyword + b"sys;" + inside + f"sys.flags.isolated + {n}".encode() + sep
            if bad_byte and n == 0:
                content += b"\xff\xfe junk" + sep
        (site_dir / name).write_bytes(content)
        done = run_python(_SPY, cwd=pth_probe, flags=["-I", "-S"], args=[str(site_dir)],
                          timeout=10)
        executed = [text.rstrip("\n") for text in json.loads(last_line(done.stdout))]
        listed = [line for _, line in pf.executable_pth_lines(site_dir)]
        for text in executed:
            assert text in listed, (content, executed, listed)
    finally:
        for path in site_dir.iterdir():
            path.unlink()
        site_dir.rmdir()


# --- the launchers ---------------------------------------------------------------------

#: Where an attacker can put a module named like one the program imports.
SHADOWS = st.lists(st.sampled_from(("json.py", "json/__init__.py", "json.pth", "encodings.py",
                                    "__pycache__/json.cpython-311.pyc", "sitecustomize.py",
                                    "runpy.py")), min_size=1, max_size=3, unique=True)
PROGRAMS = st.sampled_from(("script", "script-link", "directory", "zip", "zip-named-py"))


def _plant_program(tmp: Path, program: str, shadows: list[str]) -> Path:
    app = tmp / "app"
    app.mkdir()
    for rel in shadows:
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = f"open({str(tmp / 'marker.txt')!r}, 'w').write('ran')\n"
        path.write_bytes(marker.encode() if not rel.endswith(".pyc") else b"\x00" * 16)
    if program == "script":
        target = app / "report.py"
        target.write_text(ms.SCRIPT, encoding="utf-8")
    elif program == "script-link":
        real = tmp / "elsewhere" / "report.py"
        real.parent.mkdir()
        real.write_text(ms.SCRIPT, encoding="utf-8")
        target = app / "report.py"
        target.symlink_to(real)
    elif program == "directory":
        (app / "__main__.py").write_text(ms.SCRIPT, encoding="utf-8")
        target = app
    else:
        target = app / ("report.py" if program == "zip-named-py" else "report.pyz")
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("__main__.py", ms.SCRIPT)
            for rel in shadows:
                archive.writestr(rel, f"open({str(tmp / 'marker.txt')!r}, 'w').write('ran')\n")
    return target


@given(PROGRAMS, SHADOWS)
def test_no_planted_module_shadows_the_standard_library(program: str, shadows: list[str]) -> None:
    """Goal: the attacker's ``json`` (or any module the start-up imports) instead of the
    standard library's. Whatever the attacker plants beside or inside the program, and
    whatever form the program takes, the secure launcher either refuses it or runs it with
    the standard library's modules."""
    with private_tmpdir() as tmp:
        target = _plant_program(tmp, program, shadows)
        try:
            done = ms.run_script_secure(str(target))
        except ValueError:
            assert program in ("directory", "zip", "zip-named-py"), program
            return
        assert not (tmp / "marker.txt").exists(), (program, shadows, done.stderr[-300:])
        assert '"admin": false' in done.stdout, (program, shadows, done.stdout, done.stderr[-300:])


#: Variables an attacker who controls the environment sets, each pointed at their files.
VARIABLES = st.lists(st.sampled_from(("PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                                      "PYTHONINSPECT", "PYTHONUSERBASE", "PYTHONSAFEPATH",
                                      "PYTHONPYCACHEPREFIX", "HOME", "BROWSER", "GIT_EXEC_PATH",
                                      "LD_LIBRARY_PATH", "pythonpath")),
                     min_size=1, max_size=5, unique=True)


@pytest.fixture(scope="module")
def attacker_files() -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """The attacker's directory (a git, a sitecustomize, a standard library, a startup file,
    a user site) and a tool that runs git; the value each variable gets."""
    with private_tmpdir() as tmp:
        evil = tmp / "evil"
        (evil / "bin").mkdir(parents=True)
        marker = tmp / "marker.txt"
        git = evil / "bin" / "git"
        git.write_text(f"#!/bin/sh\necho ran > {marker}\n", encoding="utf-8")
        git.chmod(0o700)
        code = f"open({str(marker)!r}, 'w').write('ran')\n"
        (evil / "sitecustomize.py").write_text(code, encoding="utf-8")  # nosec PSB-RF-STARTUP-WRITE - a test's attacker file, in a private temp dir
        (evil / "startup.py").write_text(code, encoding="utf-8")
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        (evil / "home" / "lib" / version / "encodings").mkdir(parents=True)
        (evil / "home" / "lib" / version / "encodings" / "__init__.py").write_text(
            ev.FAKE_ENCODINGS.replace('"/../../../marker.txt"', '"/../../../../../marker.txt"'),
            encoding="utf-8")
        for user_site in (evil / "lib" / version / "site-packages",
                          evil / ".local" / "lib" / version / "site-packages"):
            user_site.mkdir(parents=True)
            (user_site / "usercustomize.py").write_text(code, encoding="utf-8")  # nosec PSB-RF-STARTUP-WRITE - a test's attacker file, in a private temp dir
            (user_site / "zz.pth").write_text(f"import os; {code}", encoding="utf-8")
        app = tmp / "app"
        app.mkdir()
        (app / "tool.py").write_text(ev.GIT_TOOL, encoding="utf-8")
        values = {"PATH": f"{evil / 'bin'}:{os.defpath}", "PYTHONPATH": str(evil),
                  "pythonpath": str(evil), "PYTHONHOME": str(evil / "home"),
                  "PYTHONSTARTUP": str(evil / "startup.py"), "PYTHONINSPECT": "1",
                  "PYTHONUSERBASE": str(evil), "PYTHONSAFEPATH": "", "HOME": str(evil),
                  "PYTHONPYCACHEPREFIX": str(evil / "cache"), "BROWSER": str(git),
                  "GIT_EXEC_PATH": str(evil / "bin"), "LD_LIBRARY_PATH": str(evil)}
        yield app / "tool.py", marker, values


@given(VARIABLES)
def test_no_environment_makes_the_tool_run_the_attackers_code(  # type: ignore[no-untyped-def]
        attacker_files, variables: list[str]) -> None:
    """Goal: code of the attacker's in the tool's process or its children, by setting the
    environment only. No combination of the variables that name programs, modules, startup
    files or search paths runs any of the attacker's files."""
    script, marker, values = attacker_files
    marker.unlink(missing_ok=True)
    done = ev.run_tool_secure(str(script), {v: values[v] for v in variables})
    assert not marker.exists(), (variables, done.stdout, done.stderr[-300:])
    assert done.stdout.startswith("tool: done"), (variables, done.stdout, done.stderr[-300:])


#: How the attacker prepares the cache, and where.
TAMPERINGS = st.sampled_from(("forged", "naive"))
PLACES = st.sampled_from(("__pycache__", "shared prefix", "both"))


@given(st.sampled_from(tuple(bc.MODES)), TAMPERINGS, PLACES)
def test_no_cache_file_the_attacker_writes_runs(mode: str, tampering: str, place: str) -> None:
    """Goal: the attacker's bytecode run instead of the source. Whatever the cache's
    validation mode, however the ``.pyc`` is made (forged header or compiled from other
    source) and wherever the attacker can write it, the secure launch runs the source."""
    with private_tmpdir() as tmp:
        app = tmp / "app"
        cfile = bc.build_app(app, mode)
        targets = []
        if place in ("__pycache__", "both"):
            targets.append(cfile)
        if place in ("shared prefix", "both"):
            shared = bc.prefixed_cache(tmp / bc.SHARED_CACHE, app / "greet.py")
            shared.parent.mkdir(parents=True)
            targets.append(shared)
        for target in targets:
            if tampering == "forged":
                bc.forge_timestamp_pyc(app / "greet.py", target)
            else:
                bc.naive_pyc(app, target, mode)
        done = bc.run_app_secure(str(app))
        assert not (app / "marker.txt").exists(), (mode, tampering, place)
        assert done.stdout.strip() == "hello from the source", done.stderr[-300:]
