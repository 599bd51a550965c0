"""Secrets written in source code ship with the code.

A token assigned to a variable in a module is a constant of its compiled code: it is in the
``.py`` file, in the ``.pyc`` under ``__pycache__``, in every wheel and image built from them.
Anyone who gets a copy of the package, not of the server, reads it back. Encoding it
(base64, hex, a reversed string) changes nothing. A token the deployment provides at run time
is not in the package at all.

Where the deployment puts it still matters. A token in an environment variable is copied into
every child process and printed by every environment dump (a debug page, a crash report, a
helper tool that logs its settings); a fallback value for a missing variable puts a token back
into the code; an empty variable is an empty token. The secure loader reads the token from a
file the deployment names (``APP_TOKEN_FILE``, as systemd credentials and container secrets
provide), and refuses to start without a real token.
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
import re
import secrets
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

from pysecbook.lab.child import last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The variable a deployment sets to the token itself (read by the first tries).
ENVIRONMENT_VARIABLE = "APP_TOKEN"
#: The variable a deployment sets to the path of a file holding the token (read by the
#: secure loader), as systemd's credentials and container secrets provide one.
TOKEN_FILE_VARIABLE = "APP_TOKEN_FILE"  # nosec B105 - the name of a variable, not a secret
#: The shortest token the secure loader accepts: 16 characters (a 128-bit hex token is 32).
MIN_TOKEN_LENGTH = 16


def load_api_token_insecure() -> str:
    """Return the API token: written in the source."""
    api_token = "psb-live-4f9c2e7a1b8d6035"  # nosec B105 - deliberately insecure: demonstration of PSB-SECRET-HARDCODED
    return api_token


def load_api_token_obfuscated() -> str:
    """Return the API token: written in the source, base64-encoded so it does not 'show'."""
    encoded = "cHNiLWxpdmUtNGY5YzJlN2ExYjhkNjAzNQ=="
    return base64.b64decode(encoded).decode()


def load_api_token_secure() -> str:
    """Return the API token: read from the file named by ``APP_TOKEN_FILE``.

    The environment holds only a path, so a child process or an environment dump gets no
    secret. A missing variable or file raises (``KeyError``, ``OSError``), and so does a
    token shorter than :data:`MIN_TOKEN_LENGTH` (``ValueError``): the service does not start
    rather than run with no token or an empty one.

    Assumes: the deployment writes the file (systemd's ``LoadCredential=``, a Docker or
    Kubernetes secret) where only the service's account can read it, and keeps it out of
    images, repositories and backups; and the token is random (``secrets.token_hex(16)`` or
    longer).
    Does not stop: code running as the service's account, which reads the file as the
    service does; a token that the program itself logs or puts in an error message; and a
    copy left in the environment by a deployment that sets ``APP_TOKEN`` as well.
    """
    with open(os.environ[TOKEN_FILE_VARIABLE], encoding="utf-8") as file:
        token = file.read().strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"{TOKEN_FILE_VARIABLE} holds no usable token "
                         f"({len(token)} characters, at least {MIN_TOKEN_LENGTH} needed)")
    return token


def load_api_token_from_environment() -> str:
    """Return the API token: read from the ``APP_TOKEN`` environment variable.

    Out of the code, but in the process environment: kept to show an environment dump and
    an empty variable beating it.
    """
    return os.environ["APP_TOKEN"]


def load_api_token_first_try() -> str:
    """Return the API token from ``APP_TOKEN``, with a development token when it is unset.

    Kept to show the fallback at work: a deployment that forgets the variable runs with the
    token written here, which ships in the ``.pyc`` like any other constant.
    """
    return os.environ.get("APP_TOKEN", "psb-dev-7c1e55a0b94f2d68")


#: Where each loader's deployment puts the token: ``file`` for the secure loader, the
#: environment variable for the others.
TOKEN_SOURCES: dict[Callable[[], str], str] = {load_api_token_secure: "file"}


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


@dataclass(frozen=True)
class ServerRun:
    """One run of the server child: whether it started, and the candidates it accepted."""

    started: bool
    accepted: list[str]
    output: str = ""


def _deployment(loader: Callable[[], str], directory: Path, token: str | None) -> dict[str, str]:
    """The environment the deployment gives the server: the token where ``loader`` reads it
    (a file for the secure loader, ``APP_TOKEN`` for the others), or nothing when ``token`` is
    None (a deployment that forgot it)."""
    if token is None:
        return {}
    if TOKEN_SOURCES.get(loader) == "file":
        path = directory / "app_token"
        path.write_text(token + "\n", encoding="utf-8")
        path.chmod(0o600)
        return {TOKEN_FILE_VARIABLE: str(path)}
    return {ENVIRONMENT_VARIABLE: token}


_SERVER = """\
import json, sys
from pysecbook.teaching.risks.hardcoded_secrets import request_allowed
ref, candidates = sys.argv[1], json.loads(sys.argv[2])
print(json.dumps([c for c in candidates if request_allowed(ref, c)]))
"""


def run_server(loader: Callable[[], str], candidates: list[str], token: str | None) -> ServerRun:
    """Present each candidate to a server process deployed with ``token`` (see
    :func:`_deployment`); a server whose loader raises does not start and accepts nothing."""
    ref = f"{loader.__module__}:{loader.__qualname__}"
    with private_tmpdir() as tmp:
        done = run_python(_SERVER, cwd=tmp, args=[ref, json.dumps(candidates)],
                          env=_deployment(loader, tmp, token))
    if not done.ok:
        return ServerRun(False, [], last_line(done.stderr))
    return ServerRun(True, json.loads(last_line(done.stdout)))


def try_tokens_on_server(loader: Callable[[], str], candidates: list[str]) -> list[str]:
    """Present each candidate to a server process deployed with its own random token.

    The server runs in a child interpreter, and the deployment gives it a fresh token where
    its loader reads it: the secret the attacker's copy of the package does not contain.
    """
    run = run_server(loader, candidates, secrets.token_hex(16))
    if not run.started:
        raise RuntimeError(f"server failed: {run.output}")
    return run.accepted


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


def attack_missing_variable(func: Callable[[], str]) -> Outcome:
    """A deployment forgets to provide the token. Read the strings out of the shipped
    bytecode as before, and try each one, and an empty token, on that server."""
    with private_tmpdir() as tmp:
        candidates = [*strings_in_bytecode(ship_bytecode(func, tmp)), ""]
    run = run_server(func, candidates, None)
    if not run.started:
        return Outcome(False, f"without its token the server did not start ({run.output}); "
                              "nothing accepted")
    return Outcome(bool(run.accepted),
                   f"the server started without a token; accepted: "
                   f"{', '.join(map(repr, run.accepted)) or 'none'}")


_DUMP = """\
import json, os, subprocess, sys
from pysecbook.teaching.risks.hardcoded_secrets import request_allowed
ref = sys.argv[1]
request_allowed(ref, "")  # the service starts and loads its token
helper = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.environ.items()))"],
                        capture_output=True, text=True, timeout=10, check=False)
print(json.dumps({"helper": helper.stdout, "crash report": repr(dict(os.environ))}))
"""


def attack_environment_dump(func: Callable[[], str]) -> Outcome:
    """The server starts a helper program, which prints its settings to a log, and a crash
    reporter sends ``os.environ`` with each error: read both, and try every token-like
    string in them on the server."""
    token = secrets.token_hex(16)
    ref = f"{func.__module__}:{func.__qualname__}"
    with private_tmpdir() as tmp:
        done = run_python(_DUMP, cwd=tmp, args=[ref], env=_deployment(func, tmp, token))
    if not done.ok:
        return Outcome(False, f"the server did not start: {last_line(done.stderr)}")
    dump = " ".join(json.loads(last_line(done.stdout)).values())
    candidates = sorted(set(re.findall(r"[A-Za-z0-9_.\-]{16,}", dump)))
    accepted = run_server(func, candidates, token).accepted
    names = sorted(set(re.findall(r"'(APP_[A-Z_]*)'", dump)))
    return Outcome(bool(accepted),
                   f"the dumps name {', '.join(names) or 'no APP_ variable'}; "
                   f"{len(candidates)} token-like strings tried; accepted: "
                   f"{', '.join(map(repr, accepted)) or 'none'}")


def attack_empty_token(func: Callable[[], str]) -> Outcome:
    """The deployment sets the token, but to nothing (an empty line in an env file, a secret
    never filled in): present an empty token."""
    run = run_server(func, ["", " "], "")
    if not run.started:
        return Outcome(False, f"with an empty token the server did not start ({run.output}); "
                              "nothing accepted")
    return Outcome(bool(run.accepted),
                   f"the server started with an empty token; accepted: "
                   f"{', '.join(map(repr, run.accepted)) or 'none'}")


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
        adapted=(
            AdaptedAttack("a deployment without the token, and a loader that falls back to one",
                          "variant", attack_missing_variable, beats=load_api_token_first_try),
            AdaptedAttack("an environment dump: a helper program's log and a crash report",
                          "context", attack_environment_dump,
                          beats=load_api_token_from_environment),
            AdaptedAttack("a token set to the empty string, and an empty token presented",
                          "type-confusion", attack_empty_token,
                          beats=load_api_token_from_environment),
        ),
    )
)
