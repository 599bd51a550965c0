"""The sandbox every demonstration runs its untrusted snippets in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pysecbook.lab.child import call_in_child, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks.asserts import delete_account_insecure


def test_private_tmpdir_is_private_and_removed() -> None:
    with private_tmpdir() as tmp:
        assert tmp.is_dir()
        assert (tmp.stat().st_mode & 0o777) == 0o700
        (tmp / "x").write_text("x")
    assert not tmp.exists()


def test_child_environment_is_minimal(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYSECBOOK_TEST_SECRET", "s3cret")
    done = run_python("import os, json; print(json.dumps(sorted(os.environ)))", cwd=tmp_path)
    assert done.ok, done.stderr
    names = last_line(done.stdout)
    assert "PYSECBOOK_TEST_SECRET" not in names
    assert "PATH" in names


def test_timeout_kills_a_hanging_child(tmp_path: Path) -> None:
    done = run_python("import time; time.sleep(60)", cwd=tmp_path, timeout=1)
    assert done.timed_out and not done.ok


def test_cpu_limit_stops_a_busy_loop(tmp_path: Path) -> None:
    done = run_python("while True: pass", cwd=tmp_path, cpu_seconds=1, timeout=30)
    assert not done.timed_out
    assert done.returncode != 0


def test_memory_limit_stops_a_large_allocation(tmp_path: Path) -> None:
    done = run_python("b = bytearray(512 * 2**20)", cwd=tmp_path, memory_bytes=256 * 2**20)
    assert done.returncode != 0
    assert "MemoryError" in done.stderr


def test_call_in_child_reports_return_and_exception() -> None:
    ok = call_in_child(delete_account_insecure, "alice", "bob")
    assert ok.returned == "\"account 'bob' deleted by alice\""
    refused = call_in_child(delete_account_insecure, "mallory", "bob")
    assert refused.raised == "AssertionError"
    assert "mallory may not delete accounts" in refused.message
    optimised = call_in_child(delete_account_insecure, "mallory", "bob", flags=["-O"])
    assert optimised.raised is None and "deleted by mallory" in str(optimised)


def test_demonstrations_leave_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    call_in_child(delete_account_insecure, "mallory", "bob", flags=["-O"])
    assert os.listdir(tmp_path) == []


def test_a_child_runs_as_the_other_user_and_the_shared_directory_is_removed() -> None:
    import hermetic

    from pysecbook.teaching import sandbox

    reason = hermetic.privilege_drop_refusal()
    if reason:
        pytest.skip(reason)
    uid, gid = sandbox.other_user()
    with sandbox.private_tmpdir() as tmp:
        with sandbox.reachable_dir(tmp) as shared:
            assert tmp.stat().st_mode & 0o777 == 0o711
            done = sandbox.run_as_other_user(["/bin/sh", "-c", "id -u; id -g; id -G"], cwd=shared)
            assert done.ok, done.stderr
            assert done.stdout.split() == [str(uid), str(gid), str(gid)]
            denied = sandbox.run_as_other_user(["/bin/sh", "-c", f": > {tmp}/owned"], cwd=shared)
            assert denied.returncode != 0 and not (tmp / "owned").exists()
        assert tmp.stat().st_mode & 0o777 == 0o700
        assert not (tmp / "shared").exists()


def test_there_is_one_runner_and_the_pages_names_are_it() -> None:
    """The pages import the runner from ``teaching.sandbox``; the library has one, the lab's."""
    from pysecbook.lab import child
    from pysecbook.lab.builders import build_wheel
    from pysecbook.teaching import sandbox, supply_chain

    for name in ("run_python", "call_in_child", "private_tmpdir", "last_line", "offline_env",
                 "MINIMAL_ENV", "Completed", "CallResult"):
        assert getattr(sandbox, name) is getattr(child, name), name
    assert child.CallResult is child.Timed is child.ChildCall
    assert supply_chain.build_wheel is build_wheel


def test_a_timed_call_times_the_call_and_a_plain_one_does_not() -> None:
    from pysecbook.lab.child import call_in_child, timed_call

    timed = timed_call(delete_account_insecure, "mallory", "bob", timeout=60)
    assert timed.raised == "AssertionError" and timed.seconds is not None and timed.seconds >= 0
    assert str(timed).startswith("raised AssertionError after ") and " s: " in str(timed)
    plain = call_in_child(delete_account_insecure, "mallory", "bob", timeout=60)
    assert plain.seconds is None and str(plain).startswith("raised AssertionError: ")
