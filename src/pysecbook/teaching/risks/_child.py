"""Time one library call in a child interpreter, with its input passed on stdin.

The denial-of-service demonstrations (``redos``, ``dos_guards``) burn CPU on purpose. They do
it in a fresh interpreter, inside a private temporary directory, under a timeout, and they
measure the call inside the child so interpreter start-up is not counted. Inputs go through
stdin because a single command-line argument is limited to 128 KiB on Linux.
Book pages: ``book/practices/input-validation``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pysecbook.teaching.sandbox import Completed, last_line, private_tmpdir, run_python

__all__ = ["Timed", "timed_call"]

_SNIPPET = """\
import importlib, json, sys, time
module_name, _, qualname = sys.argv[1].partition(":")
target = importlib.import_module(module_name)
for part in qualname.split("."):
    target = getattr(target, part)
args = json.loads(sys.stdin.read())
start = time.perf_counter()
try:
    value = target(*args)
except Exception as exc:
    out = {"raised": type(exc).__name__, "message": str(exc)[:300]}
else:
    if isinstance(value, int) and value.bit_length() > 1000:
        value = f"<int of {value.bit_length()} bits>"  # its repr alone could take seconds
    out = {"returned": repr(value)[:300]}
    try:
        out["value"] = json.loads(json.dumps(value))
    except (TypeError, ValueError):
        pass
out["seconds"] = time.perf_counter() - start
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Timed:
    """One timed call: what it returned or raised, and how long it ran in the child."""

    seconds: float | None
    returned: str | None
    raised: str | None
    message: str
    completed: Completed
    value: object = None

    @property
    def timed_out(self) -> bool:
        return self.completed.timed_out

    def __str__(self) -> str:
        if self.timed_out:
            return "still running when the time limit killed it"
        if self.raised:
            return f"raised {self.raised} after {self.seconds:.4f} s: {self.message}"
        if self.returned is not None:
            return f"returned {self.returned} after {self.seconds:.4f} s"
        return f"child failed: {last_line(self.completed.stderr) or 'no output'}"


def timed_call(
    func: Callable[..., object],
    *args: object,
    flags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Timed:
    """Call ``func(*args)`` in a child interpreter and time the call itself."""
    ref = f"{func.__module__}:{func.__qualname__}"
    with private_tmpdir() as tmp:
        done = run_python(
            _SNIPPET,
            cwd=tmp,
            flags=flags,
            args=[ref],
            env=env,
            timeout=timeout,
            input_text=json.dumps(list(args)),
        )
    try:
        data = json.loads(last_line(done.stdout)) if done.ok else {}
    except ValueError:
        data = {}
    return Timed(
        seconds=data.get("seconds"),
        returned=data.get("returned"),
        raised=data.get("raised"),
        message=data.get("message", ""),
        completed=done,
        value=data.get("value"),
    )
