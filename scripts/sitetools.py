"""Serving the built site and driving Debian's Chromium: shared by the browser tests and by the
``make screenshots``, ``make pdf`` and ``make bench`` scripts. Never downloads a browser."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def base_path() -> str:
    """The path part of the configured base URL (``/pysecbook/``), where the site is served."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    path = urlparse(config["html"].get("baseurl") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page in ROOT/_toc.yml, in reading order, as paths without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return found


#: Types a static host such as GitHub Pages sends gzip-compressed.
_COMPRESSIBLE = (".html", ".css", ".js", ".svg", ".json", ".xml", ".txt", ".map")


def built_site() -> Path | None:
    """``_build/html`` if ``make book`` has built it, else ``None`` (after saying so)."""
    html = ROOT / "_build" / "html"
    if (html / "index.html").is_file():
        return html
    import sys

    print("No built site: run 'make book' first.", file=sys.stderr)
    return None


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under a path prefix, as a project site is published, with its 404 page.

    With ``compress``, text files are sent gzip-compressed to clients that accept it, as
    GitHub Pages and Read the Docs do.
    """

    prefix = "/"
    compress = False

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path.split("?", 1)[0]))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and accepts and path.suffix in _COMPRESSIBLE and path.is_file()):
            return super().send_head()
        import gzip
        import io

        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

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


@contextlib.contextmanager
def serve(directory: Path, *, compress: bool = False) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (an ephemeral port) under the configured base path.

    Yields the site's URL without a trailing slash, e.g. ``http://127.0.0.1:PORT/pysecbook``.
    The server stops when the block ends. ``compress`` gzips text files, as the hosts the
    book is published on do.
    """
    from pysecbook.lab.loopback import serve_http  # the one loopback server

    prefix = base_path()
    handler_class = type("Handler", (_Handler,), {"prefix": prefix, "compress": compress})
    handler = functools.partial(handler_class, directory=str(directory))
    with serve_http(handler, name="site") as address:
        yield f"{address.url}{prefix.rstrip('/')}"


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's headless Chromium under Playwright."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
