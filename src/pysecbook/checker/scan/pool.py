"""Isolated, bounded workers: every file of the target is parsed in a process that can die.

The target is written by the adversary, and parsing it means running Bandit, :mod:`ast`,
:mod:`marshal` and regular expressions on bytes it chose. So that work never happens in the
process that decides and reports. It runs in worker processes, one file per task, each task
with a deadline:

- a worker that crashes (a segfault, an out-of-memory kill) loses only the file it held,
  which is reported as not scanned, and a fresh worker takes its place;
- a file that takes longer than its deadline gets its worker killed and is reported as
  "timed out", so one pathological file cannot stall the run;
- the whole run has a deadline too: when it passes, every file not yet scanned is reported,
  and the run ends.

Workers are started by a *forkserver* (or spawned where there is none), never forked from
the reporting process, which may be running threads (the progress bar): forking a process
with threads can deadlock the child. The forkserver imports the scanning code and warms
Bandit up once (:mod:`pysecbook.checker.scan._preload`); each worker is a cheap fork of it.
Book page: ``book/checklist/index``.
"""

from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.connection
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Default time one file may take in a worker, in seconds of CPU (where the system reports a
#: worker's CPU time; of wall time elsewhere). A loaded machine slows the clock on the wall,
#: not the work a file needs, so the deadline counts the work.
FILE_TIMEOUT = 60.0
#: However slow the machine, a file never holds a worker longer than this many times its
#: deadline on the wall clock.
WALL_FACTOR = 5.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: Address space a worker may use (bytes): a bomb of nesting or allocation stops there.
WORKER_MEMORY = 4 * 2**30

#: Modules the forkserver imports before it forks workers (they inherit them).
PRELOAD = ["pysecbook.checker.scan._preload"]


@dataclass(frozen=True)
class Failed:
    """A task that produced no result, and why (it becomes a "not scanned" entry)."""

    reason: str


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _serve(conn: multiprocessing.connection.Connection, memory: int) -> None:
    """A worker's loop: receive ``(task id, function, argument)``, send ``(task id, result)``."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task_id, func, arg = message
        try:
            result: Any = func(arg)
        except MemoryError:
            result = Failed("the scanner ran out of memory on this file")
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the worker
            result = Failed(f"scanner error: {type(exc).__name__}: {exc}")
        try:
            conn.send((task_id, result))
        except (OSError, ValueError) as exc:
            conn.send((task_id, Failed(f"the result could not be sent back ({exc})")))


class _Worker:
    def __init__(self, ctx: Any, memory: int) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve, args=(child, memory), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0
        self.cpu_start: float | None = None

    def cpu(self) -> float | None:
        """The worker's CPU time so far, in seconds (None where /proc does not say)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _TICKS
        except (OSError, IndexError, ValueError):
            return None

    def give(self, task_id: int, func: Callable[[Any], Any], arg: Any) -> None:
        self.task, self.started = task_id, time.monotonic()
        self.cpu_start = self.cpu()
        self.conn.send((task_id, func, arg))

    def overdue(self, now: float, limit: float) -> bool:
        """The task has used its CPU budget, or held the worker too long on the wall."""
        if now - self.started >= limit * WALL_FACTOR:
            return True
        cpu = self.cpu()
        if cpu is None or self.cpu_start is None:
            return now - self.started >= limit
        return cpu - self.cpu_start >= limit

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def run_tasks(func: Callable[[Any], Any], args: Sequence[Any], *, workers: int,
              on_result: Callable[[int, Any], None], file_timeout: float = FILE_TIMEOUT,
              deadline: float | None = None, memory: int = WORKER_MEMORY) -> None:
    """Call ``func(arg)`` for every ``arg`` in isolated workers; report each result by index.

    ``on_result(index, result)`` receives ``func``'s return value, or a :class:`Failed` when
    the worker crashed, the task passed ``file_timeout`` seconds, or the run passed
    ``deadline`` (a :func:`time.monotonic` value) before the task finished or started.
    ``func`` must be importable by the workers (a module-level function).
    """
    if not args:
        return
    ctx = _context()
    everyone: list[_Worker] = []

    def spawn() -> _Worker:
        worker = _Worker(ctx, memory)
        everyone.append(worker)
        return worker

    pending = collections.deque(range(len(args)))
    idle = [spawn() for _ in range(max(1, min(workers, len(args))))]
    busy: dict[int, _Worker] = {}
    try:
        while pending or busy:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            while pending and idle:
                worker = idle.pop()
                index = pending.popleft()
                try:
                    worker.give(index, func, args[index])
                except (OSError, ValueError):  # a dead worker: replace it and retry the task
                    worker.kill()
                    pending.appendleft(index)
                    idle.append(spawn())
                    continue
                busy[index] = worker
            limits = [time.monotonic() + min(1.0, file_timeout)] if busy else []
            if deadline is not None:
                limits.append(deadline)
            wait = max(0.0, min(limits) - time.monotonic()) if limits else None
            ready = multiprocessing.connection.wait([w.conn for w in busy.values()], timeout=wait)
            for conn in ready:
                worker = next(w for w in busy.values() if w.conn is conn)
                index = worker.task
                assert index is not None  # nosec B101 - only busy workers are waited on
                try:
                    got_id, result = conn.recv()
                except (EOFError, OSError):
                    del busy[index]
                    worker.kill()
                    on_result(index, Failed("the scanner's worker process crashed on this file"))
                    if pending:
                        idle.append(spawn())
                    continue
                del busy[index]
                worker.task = None
                idle.append(worker)
                on_result(got_id, result)
            now = time.monotonic()
            for index, worker in list(busy.items()):
                if worker.overdue(now, file_timeout):
                    del busy[index]
                    worker.kill()
                    on_result(index, Failed(f"timed out: scanning took longer than "
                                            f"{file_timeout:g} s"))
                    if pending:
                        idle.append(spawn())
        if pending or busy:  # the run's deadline passed
            for index in sorted([*busy, *pending]):
                on_result(index, Failed("not scanned: the run's time limit passed first"))
    finally:
        for worker in everyone:
            if not worker.conn.closed:
                (worker.kill if worker.task is not None else worker.stop)()


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
