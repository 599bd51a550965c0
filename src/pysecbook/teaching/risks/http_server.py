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
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.sandbox import private_tmpdir

HandlerFactory = Callable[..., http.server.BaseHTTPRequestHandler]

#: What a project directory typically holds next to the files meant to be shared.
SECRET = "DATABASE_PASSWORD=hunter2-demo"  # nosec B105 - a made-up secret for the demonstration
PROJECT_FILES = {
    "public/index.html": "<h1>Build output</h1>\n",
    "public/style.css": "h1 { color: teal; }\n",
    ".env": SECRET + "\n",
    ".git/config": "[remote \"origin\"]\n\turl = https://example.invalid/app.git\n",
    "app.py": "print('the application source')\n",
}


def make_handler_insecure(directory: str) -> HandlerFactory:
    """Serve ``directory`` (the project folder) with the standard library's file handler."""
    return functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)


class AllowlistHandler(http.server.SimpleHTTPRequestHandler):
    """Serve only files with an allowed extension, never a dot-path, never a listing."""

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


def make_handler_secure(directory: str) -> HandlerFactory:
    """Serve only the ``public`` subdirectory, and only allowlisted files in it."""
    return functools.partial(AllowlistHandler, directory=str(Path(directory) / "public"))


@contextlib.contextmanager
def serving(make_handler: Callable[[str], HandlerFactory]) -> Iterator[tuple[str, int]]:
    """A throw-away project directory served on 127.0.0.1 by ``make_handler``'s handler.

    The server's request log (written to stderr by ``http.server``) is discarded.
    """
    with private_tmpdir() as root:
        for rel, text in PROJECT_FILES.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        handler = make_handler(str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="http-server", daemon=True)
        with contextlib.redirect_stderr(io.StringIO()):
            thread.start()
            try:
                yield server.server_address[0], server.server_address[1]  # type: ignore[misc]
            finally:
                server.shutdown()
                server.server_close()
                thread.join(5)


def get(host: str, port: int, path: str) -> tuple[int, str]:
    """GET ``path`` from the local server; return status and body (with a timeout)."""
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


#: What the attacker asks for.
PROBES = ("/", "/.env", "/.git/config", "/app.py", "/index.html")


def probe(make_handler: Callable[[str], HandlerFactory],
          paths: tuple[str, ...] = PROBES) -> dict[str, tuple[int, str]]:
    """Request each of ``paths`` from a server built by ``make_handler``."""
    with serving(make_handler) as (host, port):
        return {path: get(host, port, path) for path in paths}


def attack(impl: Callable[..., object]) -> Outcome:
    """Someone who can reach the port asks for ``/.env``."""
    results = probe(impl, ("/.env", "/.git/config", "/"))  # type: ignore[arg-type]
    status, body = results["/.env"]
    leaked = SECRET in body
    summary = ", ".join(f"{p} -> {s}" for p, (s, _) in results.items())
    if leaked:
        return Outcome(True, f"GET /.env returned {status} with {SECRET!r} ({summary})")
    return Outcome(False, f"GET /.env returned {status}, no secret ({summary})")


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
    )
)
