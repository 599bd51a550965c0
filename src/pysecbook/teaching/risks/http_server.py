"""``http.server`` serving a project directory: dotfiles included.

``SimpleHTTPRequestHandler`` serves every file under its directory and lists directories.
Started in a project folder ("just to share the build"), it hands out ``.env``, ``.git/``
and anything else that sits there. The documentation says so: ``http.server`` is not
recommended for production, it implements only basic security checks.
Book page: ``book/practices/network``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pysecbook.lab.child import private_tmpdir
from pysecbook.lab.loopback import serve_http
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

HandlerFactory = Callable[..., http.server.BaseHTTPRequestHandler]

#: What a project directory typically holds next to the files meant to be shared.
SECRET = "DATABASE_PASSWORD=hunter2-demo"  # nosec B105 - a made-up secret for the demonstration
#: Files that a build left inside ``public`` by mistake, which the allowlist must keep back.
DEPLOY_SCRIPT = "DEPLOY_KEY = 'deploy-key-demo'"
HIDDEN_NOTE = "staging password: swordfish-demo"
PROJECT_FILES = {
    "public/index.html": "<h1>Build output</h1>\n",
    "public/style.css": "h1 { color: teal; }\n",
    "public/deploy.py": DEPLOY_SCRIPT + "\n",
    "public/.env": HIDDEN_NOTE + "\n",
    ".env": SECRET + "\n",
    ".git/config": "[remote \"origin\"]\n\turl = https://example.invalid/app.git\n",
    "app.py": "print('the application source')\n",
}
#: What no request may return from any handler that claims to be safe.
LEAKS = (SECRET, DEPLOY_SCRIPT, HIDDEN_NOTE)


def make_handler_insecure(directory: str) -> HandlerFactory:
    """Serve ``directory`` (the project folder) with the standard library's file handler."""
    return functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)


class FirstTryHandler(http.server.SimpleHTTPRequestHandler):
    """A first fix, as it is often written: decode the path, check it, hand it on.

    Kept to show the adapted attacks beating it: the check reads one decoding of the path,
    and ``translate_path`` then splits the decoded string at ``?`` and ``#`` and decodes it a
    second time, so the file opened is not the file checked.
    """

    ALLOWED_SUFFIXES = frozenset({".html", ".css", ".js", ".png", ".svg", ".txt"})

    def send_head(self) -> Any:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if path.endswith("/"):
            parts.append("index.html")
        if any(p.startswith(".") for p in parts) or Path(parts[-1] if parts else "").suffix \
                not in self.ALLOWED_SUFFIXES:
            self.send_error(404, "Not found")
            return None
        self.path = "/" + "/".join(parts)
        return super().send_head()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "Not found")
        return None


def make_handler_first_try(directory: str) -> HandlerFactory:
    """The first fix: ``public`` only, checked on a decoded copy of the request path."""
    return functools.partial(FirstTryHandler, directory=str(Path(directory) / "public"))


class AllowlistHandler(http.server.SimpleHTTPRequestHandler):
    """Serve only allowlisted regular files inside the directory: no dot-path, no listing.

    The check is made on the path the handler will open, not on the request string:
    :meth:`translate_path` is the one place the standard handler maps a request to a file,
    and this class decides there, on the result, after links are resolved.
    """

    ALLOWED_SUFFIXES = frozenset({".html", ".css", ".js", ".png", ".svg", ".txt"})

    def translate_path(self, path: str) -> str:
        """The resolved file this request opens, or ``""`` when it may not be served."""
        root = Path(self.directory).resolve()
        candidate = Path(super().translate_path(path))
        try:
            if candidate.is_dir():
                candidate = candidate / "index.html"
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):  # missing, a link loop, a NUL byte
            return ""
        if not real.is_relative_to(root) or not real.is_file():
            return ""
        named = candidate.relative_to(self.directory).parts
        if any(part.startswith(".") for part in (*named, *real.relative_to(root).parts)):
            return ""
        if real.suffix not in self.ALLOWED_SUFFIXES:
            return ""
        return str(real)

    def send_head(self) -> Any:
        if not self.translate_path(self.path):
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "Not found")
        return None


def make_handler_secure(directory: str) -> HandlerFactory:
    """Serve only the ``public`` subdirectory, and only allowlisted files in it.

    Assumes: nobody untrusted can write into ``public`` while the server runs; what is in
    it, and where its links lead, was put there by the people who publish it.
    Does not stop: a link swapped in between the check and the open (the file is opened by
    its resolved path, so only a race against the check can change it); a secret saved in
    ``public`` under an allowed name (``notes.txt``); the slow-request and connection-flood
    attacks that ``http.server`` has no defence against. Use a production web server for
    anything that faces a network.
    """
    return functools.partial(AllowlistHandler, directory=str(Path(directory) / "public"))


@contextlib.contextmanager
def serving(make_handler: Callable[[str], HandlerFactory],
            links: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """A throw-away project directory served on 127.0.0.1 by ``make_handler``'s handler.

    ``links`` adds symbolic links (name -> target, both relative to the project directory).
    The server's request log (written to stderr by ``http.server``) is discarded.
    """
    with private_tmpdir() as root:
        for rel, text in PROJECT_FILES.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for rel, target in (links or {}).items():
            (root / rel).symlink_to(root / target)
        with contextlib.redirect_stderr(io.StringIO()), \
                serve_http(make_handler(str(root)), name="http-server") as address:
            yield address.host, address.port


def get(host: str, port: int, path: str) -> tuple[int, str]:
    """GET ``path`` from the local server; return status and body (with a timeout).

    ``path`` goes on the request line exactly as given, not re-encoded.
    """
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


#: What the attacker asks for.
PROBES = ("/", "/.env", "/.git/config", "/app.py", "/index.html")


def probe(make_handler: Callable[[str], HandlerFactory],
          paths: tuple[str, ...] = PROBES,
          links: dict[str, str] | None = None) -> dict[str, tuple[int, str]]:
    """Request each of ``paths`` from a server built by ``make_handler``."""
    import http.client

    results = {}
    with serving(make_handler, links) as (host, port):
        for path in paths:
            try:
                results[path] = get(host, port, path)
            except (http.client.HTTPException, OSError) as exc:  # the handler died on it
                results[path] = (0, f"no answer: {type(exc).__name__}")
    return results


def _leak_outcome(results: dict[str, tuple[int, str]]) -> Outcome:
    """Did any answer carry one of :data:`LEAKS`? Name the request that got it."""
    for path, (status, body) in results.items():
        leaked = next((secret for secret in LEAKS if secret in body), None)
        if leaked:
            return Outcome(True, f"GET {path} returned {status} with {leaked!r}")
    summary = ", ".join(f"{p} -> {s}" for p, (s, _) in results.items())
    return Outcome(False, f"nothing leaked ({summary})")


def attack(impl: Callable[..., object]) -> Outcome:
    """Someone who can reach the port asks for ``/.env``."""
    results = probe(impl, ("/.env", "/.git/config", "/"))  # type: ignore[arg-type]
    status, body = results["/.env"]
    leaked = SECRET in body
    summary = ", ".join(f"{p} -> {s}" for p, (s, _) in results.items())
    if leaked:
        return Outcome(True, f"GET /.env returned {status} with {SECRET!r} ({summary})")
    return Outcome(False, f"GET /.env returned {status}, no secret ({summary})")


#: Requests whose decoded form passes a check on the decoded string, while the handler's own
#: ``translate_path`` (split at ``?``/``#``, decoded again) opens another file.
SPLIT_PROBES = ("/deploy.py%3f.txt", "/deploy.py%23.css", "/%252eenv%3f.txt", "/.env%3F.html")
#: Other spellings of a dot-path: encoded dots, doubled slashes, ``..`` and ``.`` segments,
#: a backslash, a NUL byte, a trailing slash.
SPELLING_PROBES = ("/%2eenv", "/.%65nv", "//.env", "/./.env", "/x/../.env", "/%2e%2e/.env",
                   "/..%2f.env", "/%5c.env", "/.env%00.txt", "/.env/", "/deploy.py/")


def attack_split_at_query(impl: Callable[..., object]) -> Outcome:
    """Percent-encode the ``?`` or ``#`` the handler will split at, so the checked name ends in
    ``.txt`` and the opened one in ``.py`` (or is a dotfile)."""
    return _leak_outcome(probe(impl, SPLIT_PROBES))  # type: ignore[arg-type]


def attack_other_spellings(impl: Callable[..., object]) -> Outcome:
    """Ask for ``public/.env`` and ``public/deploy.py`` in every other spelling of the path."""
    return _leak_outcome(probe(impl, SPELLING_PROBES))  # type: ignore[arg-type]


def attack_link_in_public(impl: Callable[..., object]) -> Outcome:
    """A link with an allowed name inside ``public`` (left by a build step, or unpacked from an
    archive) that points at the project's ``.env``."""
    return _leak_outcome(probe(impl, ("/notes.txt", "/css/"),  # type: ignore[arg-type]
                               links={"public/notes.txt": ".env", "public/css": "."}))


register(
    Risk(
        id="PSB-HTTPSERVER-DOTFILES",
        title="http.server serving a project directory",
        summary="SimpleHTTPRequestHandler serves and lists everything under its directory, "
        ".env and .git included; serve only a public directory and an allowlist of files.",
        cwe=552,
        bandit=(),
        no_static_rule="serving a directory is what http.server is for; what the directory "
                       "holds is not in the code.",
        modules=("http.server",),
        page="practices/network",
        insecure=make_handler_insecure,
        secure=make_handler_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a percent-encoded '?' or '#' the handler splits at after the check",
                          "encoding", attack_split_at_query, beats=make_handler_first_try),
            AdaptedAttack("encoded dots, doubled slashes, '..', a backslash, a NUL byte, a "
                          "trailing slash", "encoding", attack_other_spellings),
            AdaptedAttack("a link with an allowed name inside public/ pointing at .env",
                          "links-races", attack_link_in_public, beats=make_handler_first_try),
        ),
    )
)
