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
import json
import pickle  # nosec B403 - the module demonstrates why unpickling untrusted data is unsafe
from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

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
    """Load a message that arrived as JSON: data only, no callables, no classes."""
    return json.loads(data)


#: Length of the HMAC-SHA256 tag that :func:`sign` puts in front of the data.
TAG_BYTES = hashlib.sha256().digest_size


class BadSignature(ValueError):
    """Signed data whose tag does not match: altered, or signed with another key."""


def sign(data: bytes, key: bytes) -> bytes:
    """Prefix ``data`` with its HMAC-SHA256 under ``key``."""
    return hmac.new(key, data, hashlib.sha256).digest() + data


def load_signed(blob: bytes, key: bytes) -> object:
    """Unpickle ``blob`` only if its HMAC tag, checked in constant time, matches ``key``.

    For pickles that travel between processes of the same application, never for data from
    anyone who holds the key or can make the application sign what they send.
    """
    tag, data = blob[:TAG_BYTES], blob[TAG_BYTES:]
    expected = hmac.new(key, data, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise BadSignature("HMAC tag does not match: not signed with this application's key")
    return pickle.loads(data)  # nosec B301 - only bytes whose HMAC tag was verified above


def load_signed_with_app_key(blob: bytes) -> object:
    """:func:`load_signed` with the application's key, read from ``app.key`` (mode 0o600)."""
    return load_signed(blob, Path("app.key").read_bytes())


def signed_pickle_demo() -> list[str]:
    """An application's own signed pickle loads; Mallory's payload, bare or with a tag made
    with a key she guessed, is refused before it reaches ``pickle.loads``.

    The loading happens in a child interpreter whose working directory holds ``app.key``.
    """
    key = hashlib.sha256(b"demo only: a real key comes from secrets.token_bytes(32)").digest()
    cases = {
        "the application's own signed message": sign(pickle.dumps({"job": 42}), key),
        "Mallory's payload, unsigned": pickle_payload(),
        "Mallory's payload, tag from a guessed key": sign(pickle_payload(), b"guessed key"),
    }
    lines = []
    for label, blob in cases.items():

        def build(tmp: Path, blob: bytes = blob) -> str:
            (tmp / "app.key").write_bytes(key)
            (tmp / "message.bin").write_bytes(blob)
            return "message.bin"

        _, observed = load_in_child(load_signed_with_app_key, build)
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
            return True, f"payload ran in the loading process ({marker.read_text()}); loader {said}"
        return False, f"no code ran; loader {said}"


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
    )
)
