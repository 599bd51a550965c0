"""Build the book once per test session, into a temporary directory, and serve it locally.

Tests that need the built site use the ``built_site`` fixture (see conftest.py) and carry
``@pytest.mark.xdist_group("site")`` so that under ``pytest -n`` they all run on one worker,
which builds once.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

JB = str(Path(sys.executable).with_name("jupyter-book"))
STRICT = ["-W", "-n", "--keep-going"]


def build(source: Path, output: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``jupyter-book build SOURCE --path-output OUTPUT -W -n --keep-going``."""
    return subprocess.run(
        [JB, "build", str(source), "--path-output", str(output), *STRICT],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=source,
    )


@dataclass(frozen=True)
class Site:
    returncode: int
    log: str
    html: Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under a path prefix, as a project site is published, with its 404 page."""

    prefix = "/"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_site__")
        return super().translate_path("/" + path[len(self.prefix):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def base_path() -> str:
    """The path part of the configured base URL (``/pysecbook/``), where the site is served."""
    import yaml
    from urllib.parse import urlparse

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "_config.yml").read_text())
    path = urlparse(config["html"].get("baseurl") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (an ephemeral port) under the configured base path.

    Yields the site's URL without a trailing slash, e.g. ``http://127.0.0.1:PORT/pysecbook``.
    """
    prefix = base_path()
    handler_class = type("Handler", (_Handler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix.rstrip('/')}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
