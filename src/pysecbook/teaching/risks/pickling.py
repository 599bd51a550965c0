"""Unpickling attacker bytes runs the attacker's code.

``pickle.loads`` rebuilds objects by calling whatever callable the byte stream names, with
the arguments it supplies: loading a pickle is running a small program. The payload below
writes a marker file when it is loaded; the loading always happens in a child interpreter
inside a private temporary directory. This module also holds the helpers the other
deserialization risks share (shelve, marshal, YAML, multiprocessing connections).
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle  # nosec B403 - the module demonstrates why unpickling untrusted data is unsafe
import pickletools  # nosec B403 - reads opcodes for the scanning first fix; loads nothing
import time
from collections.abc import Callable
from pathlib import Path

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The file an attacker's payload creates in the loading process's working directory.
MARKER = "PWNED"

#: The code every payload in these examples runs: harmless, but it is code of the attacker's
#: choosing, run with the victim's privileges.
PAYLOAD_CODE = f"import pathlib; pathlib.Path({MARKER!r}).write_text('attacker code ran here')"


class MarkerPayload:
    """An object whose pickle makes the unpickler call ``exec(PAYLOAD_CODE)``.

    Pickling it only records the callable and its arguments (``__reduce__``); nothing runs
    until somebody unpickles the bytes.
    """

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return (exec, (PAYLOAD_CODE,))


def pickle_payload() -> bytes:
    """The attacker's bytes: an ordinary-looking pickle of :class:`MarkerPayload`."""
    return pickle.dumps(MarkerPayload())


def load_insecure(data: bytes) -> object:
    """Load a message that arrived as a pickle."""
    return pickle.loads(data)  # nosec B301 - deliberately insecure: demonstration of PSB-PICKLE-LOADS


def load_secure(data: bytes) -> object:
    """Load a message that arrived as JSON: data only, no callables, no classes.

    Assumes: the caller caps the size of ``data`` before the call (``json.loads`` reads any
    length), and nothing later treats the keys of what comes back as instructions (as
    ``jsonpickle.decode`` does with ``py/reduce``, or code that maps a ``"type"`` key to a
    class).
    Does not stop: JSON's own latitude: ``NaN`` and ``Infinity`` are accepted, a repeated key
    keeps its last value, and a document nested a few thousand levels deep or holding a number
    of more than 4,300 digits raises (``RecursionError``, ``ValueError``) rather than returning.
    """
    return json.loads(data)


# --- first fixes that keep pickle, and the gadgets that beat them -------------------------


class DenylistUnpickler(pickle.Unpickler):
    """Refuses the callables that payloads usually name; everything else loads."""

    BLOCKED = frozenset({("builtins", "exec"), ("builtins", "eval"), ("builtins", "compile"),
                         ("builtins", "__import__"), ("builtins", "open"), ("os", "system"),
                         ("os", "popen"), ("posix", "system"), ("nt", "system")})

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in self.BLOCKED or module in ("subprocess", "os", "posix", "nt"):
            raise pickle.UnpicklingError(f"refused: {module}.{name}")
        return super().find_class(module, name)


def load_denylist_first_try(data: bytes) -> object:
    """A first fix: keep pickle, refuse ``exec``, ``eval``, ``os.system`` and ``subprocess``.

    Kept to show an adapted attack beating it: the standard library holds other functions that
    run a string as code, and a denylist names only the ones its author thought of.
    """
    return DenylistUnpickler(io.BytesIO(data)).load()


class ModuleAllowlistUnpickler(pickle.Unpickler):
    """Loads names from an allowlist of modules thought to hold only data types."""

    SAFE_MODULES = frozenset({"collections", "datetime", "decimal"})

    def find_class(self, module: str, name: str) -> object:
        if module not in self.SAFE_MODULES:
            raise pickle.UnpicklingError(f"refused: module {module}")
        return super().find_class(module, name)


def load_module_allowlist_first_try(data: bytes) -> object:
    """A first fix: keep pickle, allow only ``collections``, ``datetime`` and ``decimal``.

    Kept to show an adapted attack beating it: a module is also everything it imported.
    ``collections`` holds ``operator.itemgetter`` as ``_itemgetter`` and the builtins as
    ``__builtins__``, and together they reach ``exec``.
    """
    return ModuleAllowlistUnpickler(io.BytesIO(data)).load()


#: The (module, name) pairs the scanning first fix lets through.
SCANNER_ALLOWLIST = frozenset({("collections", "OrderedDict"), ("datetime", "datetime"),
                               ("decimal", "Decimal"), ("builtins", "set")})


def load_scanned_first_try(data: bytes) -> object:
    """A first fix: read the opcodes first, as pickle scanners for shared models do, and load
    only if every global the pickle names is on an allowlist.

    Kept to show an adapted attack beating it: ``STACK_GLOBAL`` takes its two names from the
    stack, and this scanner assumes they are the last two strings it saw; names fetched from
    the memo (``BINGET``) are not.
    """
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(data):
        if isinstance(arg, str) and "UNICODE" in opcode.name:
            strings.append(arg)
        elif opcode.name in ("GLOBAL", "INST"):
            module, _, name = str(arg).partition(" ")
            if (module, name) not in SCANNER_ALLOWLIST:
                raise pickle.UnpicklingError(f"refused: {module}.{name}")
        elif opcode.name == "STACK_GLOBAL":
            if tuple(strings[-2:]) not in SCANNER_ALLOWLIST:
                raise pickle.UnpicklingError(f"refused: {'.'.join(strings[-2:])}")
    return pickle.loads(data)  # nosec B301 - deliberately insecure: demonstration of PSB-PICKLE-LOADS


def _text(value: str) -> bytes:
    """The pickle opcode that pushes ``value``."""
    raw = value.encode("utf-8")
    if len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _global(module: str, name: str) -> bytes:
    return _text(module) + _text(name) + b"\x93"


_PROTO, _CALL1, _STOP = b"\x80\x04", b"\x85R", b"."


def stdlib_gadget_payloads() -> dict[str, bytes]:
    """Mallory's pickles that call a function of the standard library that runs a string as
    code, none of which a denylist of ``exec``, ``eval`` and ``os`` names."""
    timer = _global("time", "perf_counter")
    return {
        "timeit.timeit(code)": _PROTO + _global("timeit", "timeit") + b"(" + _text(PAYLOAD_CODE)
        + _text("pass") + timer + b"K\x01tR" + _STOP,
        "cProfile.run(code)": _PROTO + _global("cProfile", "run") + _text(PAYLOAD_CODE) + _CALL1
        + _STOP,
    }


def allowed_module_payload() -> bytes:
    """Mallory's pickle that names only ``collections``: ``collections._itemgetter("exec")``
    applied to ``collections.__builtins__`` gives ``exec``, which is then called."""
    return (_PROTO + _global("collections", "_itemgetter") + _text("exec") + _CALL1
            + _global("collections", "__builtins__") + _CALL1 + _text(PAYLOAD_CODE) + _CALL1 + _STOP)


def memo_names_payload() -> bytes:
    """Mallory's pickle whose ``STACK_GLOBAL`` takes ``builtins`` and ``exec`` from the memo,
    after pushing (and dropping) two allowlisted names for a scanner to read."""
    return (_PROTO + _text("builtins") + b"\x94" + _text("exec") + b"\x94" + b"00"
            + _text("collections") + _text("OrderedDict") + b"00"
            + b"h\x00h\x01\x93" + _text(PAYLOAD_CODE) + _CALL1 + _STOP)


#: Length of the HMAC-SHA256 tag that :func:`sign` puts in front of the data.
TAG_BYTES = hashlib.sha256().digest_size
#: The shortest key :func:`sign` and :func:`load_signed` accept: 32 bytes, as
#: ``secrets.token_bytes(32)`` makes.
MIN_KEY_BYTES = 32
#: What the application signs with its one key: the jobs its workers unpickle, and a cookie
#: that holds bytes the user chose (a signing oracle, as far as Mallory is concerned).
JOB_PURPOSE = "job-queue"
COOKIE_PURPOSE = "profile-cookie"


class BadSignature(ValueError):
    """Signed data whose tag does not match: altered, cut, signed with another key or for
    another purpose."""


def _tag(key: bytes, purpose: str, data: bytes) -> bytes:
    """HMAC-SHA256 under ``key`` over the purpose, its length first, then the data."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the key must be at least {MIN_KEY_BYTES} random bytes")
    label = purpose.encode("utf-8")
    return hmac.new(key, len(label).to_bytes(2, "big") + label + data, hashlib.sha256).digest()


def sign(data: bytes, key: bytes, *, purpose: str) -> bytes:
    """Prefix ``data`` with its HMAC-SHA256 under ``key``, bound to ``purpose``.

    The purpose (``"job-queue"``, ``"profile-cookie"``) is part of what the tag covers, so
    bytes signed for one use of the key are refused by every other use.
    """
    return _tag(key, purpose, data) + data


def verify_signed(blob: bytes, key: bytes, *, purpose: str) -> bytes:
    """The data inside ``blob`` if its tag is the one ``key`` gives for ``purpose`` (compared
    in constant time); :class:`BadSignature` otherwise."""
    tag, data = blob[:TAG_BYTES], blob[TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, purpose, data)):
        raise BadSignature("HMAC tag does not match: not signed with this application's key "
                           "for this purpose")
    return data


def load_signed(blob: bytes, key: bytes, *, purpose: str) -> object:
    """Unpickle ``blob`` only if its HMAC tag matches ``key`` and ``purpose``.

    For pickles that travel between processes of the same application, never for data from
    anyone who holds the key or can make the application sign what they send.

    Assumes: the key is at least 32 random bytes, held only by the application's own
    processes and out of reach of anything that handles untrusted input; each other use of
    the same key signs under its own purpose.
    Does not stop: a replay: a message once signed for this purpose loads again, however old
    (put a version or an expiry inside the data and check it after loading); and anyone who
    holds the key, or can get the application to sign bytes of their choosing for this
    purpose, runs code here.
    """
    return pickle.loads(verify_signed(blob, key, purpose=purpose))  # nosec B301 - only bytes whose HMAC tag was verified


def sign_first_try(data: bytes, key: bytes) -> bytes:
    """The first version of :func:`sign`: one HMAC over the data alone."""
    return hmac.new(key, data, hashlib.sha256).digest() + data


def load_signed_first_try(blob: bytes, key: bytes) -> object:
    """The first version of :func:`load_signed`: any bytes the key ever signed load.

    Kept to show what beats it: an application that uses one key for two things (its job
    queue, and a cookie holding bytes the user chose) signs Mallory's pickle for her.
    """
    tag, data = blob[:TAG_BYTES], blob[TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.new(key, data, hashlib.sha256).digest()):
        raise BadSignature("HMAC tag does not match: not signed with this application's key")
    return pickle.loads(data)  # nosec B301 - deliberately insecure: demonstration of PSB-PICKLE-LOADS


def load_signed_with_app_key(blob: bytes) -> object:
    """:func:`load_signed` for a job, with the application's key read from ``app.key``."""
    return load_signed(blob, Path("app.key").read_bytes(), purpose=JOB_PURPOSE)


def load_signed_first_try_with_app_key(blob: bytes) -> object:
    """:func:`load_signed_first_try` with the application's key read from ``app.key``."""
    return load_signed_first_try(blob, Path("app.key").read_bytes())


def signed_pickle_demo() -> list[str]:
    """What the job queue's signed loader does with the application's own message and with
    each of Mallory's tries; the last line is her cookie against the first version.

    Each message is loaded in a child interpreter whose working directory holds ``app.key``.
    """
    key = hashlib.sha256(b"demo only: a real key comes from secrets.token_bytes(32)").digest()
    guessed = hashlib.sha256(b"Mallory's guess").digest()
    job, payload = pickle.dumps({"job": 42}), pickle_payload()
    cases: dict[str, tuple[Callable[[bytes], object], bytes]] = {
        "the application's own signed message": (
            load_signed_with_app_key, sign(job, key, purpose=JOB_PURPOSE)),
        "the same message, cut short by one byte": (
            load_signed_with_app_key, sign(job, key, purpose=JOB_PURPOSE)[:-1]),
        "Mallory's payload, unsigned": (load_signed_with_app_key, payload),
        "Mallory's payload, tag from a guessed key": (
            load_signed_with_app_key, sign(payload, guessed, purpose=JOB_PURPOSE)),
        "Mallory's payload, signed by the application as her profile cookie": (
            load_signed_with_app_key, sign(payload, key, purpose=COOKIE_PURPOSE)),
        "the same cookie, against the first version (one tag, no purpose)": (
            load_signed_first_try_with_app_key, sign_first_try(payload, key)),
    }
    lines = []
    for label, (loader, blob) in cases.items():

        def build(tmp: Path, blob: bytes = blob) -> str:
            (tmp / "app.key").write_bytes(key)
            (tmp / "message.bin").write_bytes(blob)
            return "message.bin"

        _, observed = load_in_child(loader, build)
        lines.append(f"{label}: {observed}")
    return lines


#: What the child interpreter runs: import the loader by name, hand it the attacker's input
#: (a file's bytes, its text, its name, or an integer), and print what came back.
LOADER_SNIPPET = """\
import importlib, pathlib, sys
module_name, _, qualname = sys.argv[1].partition(":")
func = getattr(importlib.import_module(module_name), qualname)
arg = sys.argv[3]
if sys.argv[2] == "bytes":
    arg = pathlib.Path(arg).read_bytes()
elif sys.argv[2] == "int":
    arg = int(arg)
elif sys.argv[2] == "text":
    arg = pathlib.Path(arg).read_text(encoding="utf-8")
try:
    value = func(arg)
except Exception as exc:
    print(f"raised {type(exc).__name__}: {' '.join(str(exc).split())}"[:200])
else:
    print(f"returned {value!r}"[:200])
"""


def load_in_child(
    func: Callable[..., object],
    build: Callable[[Path], str],
    *,
    mode: str = "bytes",
) -> tuple[bool, str]:
    """Call ``func`` on attacker-supplied input in a child interpreter; did the payload run?

    ``build(tmp)`` writes the attacker's input into the private directory ``tmp`` and returns
    its file name; ``mode`` says whether ``func`` receives the file's bytes, its text, or its
    path. Returns whether the marker file appeared, and a short account of what happened.
    """
    with private_tmpdir() as tmp:
        name = build(tmp)
        done = run_python(
            LOADER_SNIPPET,
            cwd=tmp,
            args=[f"{func.__module__}:{func.__qualname__}", mode, name],
            timeout=15,
        )
        marker = tmp / MARKER
        ran = marker.is_file()
        said = last_line(done.stdout) or last_line(done.stderr) or "no output"
        if ran:
            ran_text = marker.read_text(encoding="utf-8")
            return True, f"payload ran in the loading process ({ran_text}); loader {said}"
        return False, f"no code ran; loader {said}"


#: :data:`LOADER_SNIPPET` with an alarm around the call and the printing of its result: the
#: kernel ends the child with SIGALRM once the call has run for ``sys.argv[4]`` seconds, so
#: the time the interpreter takes to start is not counted against the loader.
_CALL = "try:\n    value = func(arg)"
STALL_SNIPPET = LOADER_SNIPPET.replace(
    _CALL, "import signal\nsignal.setitimer(signal.ITIMER_REAL, float(sys.argv[4]))\n" + _CALL,
) + "signal.setitimer(signal.ITIMER_REAL, 0)\n"
if LOADER_SNIPPET.count(_CALL) != 1:
    raise RuntimeError("LOADER_SNIPPET changed: put the alarm of STALL_SNIPPET around the call")


def stalls_in_child(
    func: Callable[..., object],
    build: Callable[[Path], str],
    *,
    mode: str = "bytes",
    limit: float = 2.0,
) -> tuple[bool, str]:
    """Call ``func`` on attacker-supplied input in a child, and print what it returned, with
    ``limit`` seconds for both; did the call stall past the limit? Returns that and a short
    account.

    ``build`` and ``mode`` are as for :func:`load_in_child`. The limit counts from the call,
    not from the start of the interpreter (:data:`STALL_SNIPPET`); the child also runs under
    the sandbox's CPU and memory limits and is killed if it is still there ten seconds later.
    """
    import signal

    with private_tmpdir() as tmp:
        name = build(tmp)
        start = time.perf_counter()
        done = run_python(
            STALL_SNIPPET,
            cwd=tmp,
            args=[f"{func.__module__}:{func.__qualname__}", mode, name, str(limit)],
            timeout=limit + 10,
        )
        elapsed = time.perf_counter() - start
    if done.timed_out or done.returncode == -signal.SIGALRM:
        return True, f"still running when the {limit:g} s limit stopped it"
    said = last_line(done.stdout) or last_line(done.stderr) or "no output"
    return False, f"loader {said}, {elapsed:.2f} s in all"


def json_lookalikes() -> dict[str, bytes]:
    """Mallory's best tries in JSON: documents that spell a call to ``exec(PAYLOAD_CODE)`` the
    way object-building formats do (jsonpickle's ``py/reduce``, pickle's reduce protocol).
    A loader that builds objects from such keys would run them; ``json.loads`` returns data."""
    return {
        "JSON in jsonpickle's spelling": json.dumps({"py/reduce": [
            {"py/function": "builtins.exec"}, {"py/tuple": [PAYLOAD_CODE]}]}).encode(),
        "JSON in pickle's reduce spelling": json.dumps({"__reduce__": ["exec", [PAYLOAD_CODE]]}).encode(),
    }


def file_writer(name: str, data: bytes) -> Callable[[Path], str]:
    """A ``build`` for :func:`load_in_child` that writes ``data`` as ``name``."""
    def build(tmp: Path) -> str:
        (tmp / name).write_bytes(data)
        return name

    return build


def attack_with(func: Callable[..., object], builds: dict[str, Callable[[Path], str]],
                mode: str = "bytes") -> Outcome:
    """Each of Mallory's payloads, in a fresh child; the attack succeeds if any one ran."""
    ran_any = False
    parts = []
    for label, build in builds.items():
        ran, observed = load_in_child(func, build, mode=mode)
        ran_any = ran_any or ran
        parts.append(f"{label}: {observed}")
    return Outcome(attack_succeeded=ran_any, observed="; ".join(parts))


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory sends a pickle that creates a file when loaded, and the same call in JSON."""
    builds = {"pickle": file_writer("message.pickle", pickle_payload())}
    builds.update({label: file_writer("message.json", doc) for label, doc in json_lookalikes().items()})
    return attack_with(func, builds)


def attack_stdlib_gadget(func: Callable[..., object]) -> Outcome:
    """Mallory reads the denylist and calls what it does not name: ``timeit.timeit`` and
    ``cProfile.run``, which compile and run the string they are given."""
    return attack_with(func, {label: file_writer("message.pickle", data)
                              for label, data in stdlib_gadget_payloads().items()})


def attack_allowed_module_imports(func: Callable[..., object]) -> Outcome:
    """Mallory names nothing but ``collections``, and reaches ``exec`` through what that
    module imported."""
    return attack_with(func, {"pickle naming only collections":
                              file_writer("message.pickle", allowed_module_payload())})


def attack_memo_names(func: Callable[..., object]) -> Outcome:
    """Mallory shows a scanner two allowlisted names and hands ``STACK_GLOBAL`` two others,
    fetched from the memo."""
    return attack_with(func, {"pickle with memoised names":
                              file_writer("message.pickle", memo_names_payload())})


RISK = register(
    Risk(
        id="PSB-PICKLE-LOADS",
        title="Unpickling untrusted bytes runs code",
        summary="pickle.loads calls any callable the data names: a pickle from an attacker is "
        "a program run with your privileges.",
        cwe=502,
        bandit=("B301",),
        modules=("pickle",),
        page="practices/deserialization",
        insecure=load_insecure,
        secure=load_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("timeit.timeit and cProfile.run, past an Unpickler that denies exec, "
                          "eval and os", "variant", attack_stdlib_gadget,
                          beats=load_denylist_first_try),
            AdaptedAttack("exec reached through collections' own imports, past an Unpickler "
                          "that allows whole modules", "variant", attack_allowed_module_imports,
                          beats=load_module_allowlist_first_try),
            AdaptedAttack("STACK_GLOBAL fed from the memo, past a scanner that reads the last "
                          "two strings", "variant", attack_memo_names,
                          beats=load_scanned_first_try),
        ),
    )
)
