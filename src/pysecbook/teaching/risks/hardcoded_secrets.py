"""Secrets written in source code ship with the code.

A token assigned to a variable in a module is a constant of its compiled code: it is in the
``.py`` file, in the ``.pyc`` under ``__pycache__``, in every wheel and image built from them.
Anyone who gets a copy of the package, not of the server, reads it back. Encoding it
(base64, hex, a reversed string) changes nothing. A token read from the environment (or from
a file outside the package) at run time is not in the package at all.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import importlib
import inspect
import json
import marshal
import os
import py_compile
import secrets
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import last_line, private_tmpdir, run_python

#: The variable a deployment sets; the secure loader reads it (by this name).
ENVIRONMENT_VARIABLE = "APP_TOKEN"


def load_api_token_insecure() -> str:
    """Return the API token: written in the source."""
    api_token = "psb-live-4f9c2e7a1b8d6035"  # nosec B105 - deliberately insecure: demonstration of PSB-SECRET-HARDCODED
    return api_token


def load_api_token_obfuscated() -> str:
    """Return the API token: written in the source, base64-encoded so it does not 'show'."""
    encoded = "cHNiLWxpdmUtNGY5YzJlN2ExYjhkNjAzNQ=="
    return base64.b64decode(encoded).decode()


def load_api_token_secure() -> str:
    """Return the API token: read from the environment the deployment provides."""
    return os.environ["APP_TOKEN"]


def request_allowed(loader_ref: str, presented: str) -> bool:
    """The server's check: does ``presented`` equal the token the loader returns?

    ``loader_ref`` is ``module:function``, so that a child interpreter can import it.
    """
    module_name, _, name = loader_ref.partition(":")
    loader = getattr(importlib.import_module(module_name), name)
    return hmac.compare_digest(presented.encode(), loader().encode())


def ship_bytecode(func: Callable[..., object], directory: Path) -> Path:
    """Ship ``func`` as a package would: a module ``settings`` compiled to ``.pyc``, no ``.py``.

    The module holds only ``func``'s source (and the imports it needs), so that each loader
    is attacked on its own. Returns the path of the ``.pyc`` under ``__pycache__``.
    """
    header = "import base64\nimport os\n\n"
    source = directory / "settings.py"
    source.write_text(header + textwrap.dedent(inspect.getsource(func)), encoding="utf-8")
    pyc = Path(py_compile.compile(str(source), doraise=True))
    source.unlink()
    return pyc


def _constants(code: CodeType) -> Iterator[object]:
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _constants(const)
        else:
            yield const


def strings_in_bytecode(pyc: Path) -> list[str]:
    """The token-like string constants of a ``.pyc``, and what they decode to from base64 or hex.

    A ``.pyc`` is a 16-byte header followed by a marshalled code object. Token-like means at
    least 8 characters and no spaces (which leaves out docstrings and messages).
    """
    code = marshal.loads(pyc.read_bytes()[16:])  # nosec B302 - the book's own compiled file, read to show what it contains
    found: list[str] = []
    for const in _constants(code):
        if not isinstance(const, str) or len(const) < 8 or any(c.isspace() for c in const):
            continue
        found.append(const)
        for decode in (base64.b64decode, bytes.fromhex):
            try:
                found.append(decode(const).decode("ascii"))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                pass
    return found


def try_tokens_on_server(loader: Callable[[], str], candidates: list[str]) -> list[str]:
    """Present each candidate to a server process whose environment holds its own token.

    The server runs in a child interpreter with ``APP_TOKEN`` set to a fresh random value:
    the deployment's secret, which the attacker's copy of the package does not contain.
    """
    code = (
        "import json, sys\n"
        "from pysecbook.teaching.risks.hardcoded_secrets import request_allowed\n"
        "ref, candidates = sys.argv[1], json.loads(sys.argv[2])\n"
        "print(json.dumps([c for c in candidates if request_allowed(ref, c)]))\n"
    )
    ref = f"{loader.__module__}:{loader.__qualname__}"
    with private_tmpdir() as tmp:
        done = run_python(
            code,
            cwd=tmp,
            args=[ref, json.dumps(candidates)],
            env={ENVIRONMENT_VARIABLE: secrets.token_hex(16)},
        )
    if not done.ok:
        raise RuntimeError(f"server failed: {last_line(done.stderr)}")
    accepted: list[str] = json.loads(last_line(done.stdout))
    return accepted


def attack(func: Callable[[], str]) -> Outcome:
    """Read the strings out of the shipped bytecode, then try each one on the server."""
    with private_tmpdir() as tmp:
        candidates = strings_in_bytecode(ship_bytecode(func, tmp))
    accepted = try_tokens_on_server(func, candidates)
    return Outcome(
        attack_succeeded=bool(accepted),
        observed=(
            f"{len(candidates)} token-like string(s) read from the .pyc ({', '.join(map(repr, candidates)) or 'none'}); "
            f"accepted by the server: {', '.join(map(repr, accepted)) or 'none'}"
        ),
    )


RISK = register(
    Risk(
        id="PSB-SECRET-HARDCODED",
        title="Secrets written in the source code",
        summary=(
            "A token in the source is a constant of the compiled code: anyone with the "
            "package's .py or .pyc files reads it; load it from the environment at run time."
        ),
        cwe=798,
        bandit=("B105",),
        modules=("os", "base64"),
        page="practices/sensitive-data",
        insecure=load_api_token_insecure,
        secure=load_api_token_secure,
        attack=attack,
    )
)
