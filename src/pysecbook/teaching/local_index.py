"""A package index on 127.0.0.1, for the "Before pip install" page and the tests.

:func:`serve` starts an HTTP server on the loopback interface that answers the Simple
Repository API for one or more named indexes: JSON (PEP 691) when the client asks for it,
HTML (PEP 503) otherwise, with PEP 700 upload times, PEP 592 yanks and PEP 740 provenance
links. Each index can also misbehave on purpose: answer HTTP 500, never answer (until it is
released, or the server stops), or speak HTML only. The server (the lab's
:func:`~pysecbook.lab.loopback.serve_http`) stops when the ``with`` block ends, and by itself
after ``lifetime`` seconds. :func:`demo_indexes` builds the distributions the page checks, from
the book's two sample projects: nothing in them is ever built, installed or run (the
suspicious one only echoes a word, and its domains end in ``.invalid``).
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import http.server
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from pysecbook.lab.builders import make_sdist, make_wheel
from pysecbook.lab.loopback import serve_http

__all__ = ["ServedFile", "ServedIndex", "demo_indexes", "demo_lock", "serve"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class ServedFile:
    """One distribution file an index lists."""

    path: Path
    upload_time: datetime
    yanked: bool | str = False  # True, or the reason
    requires_python: str | None = None
    #: List a SHA-256 that is not the file's: the index promises one file and serves another.
    wrong_hash: bool = False
    provenance: Mapping[str, Any] | None = None

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return hashlib.sha256(digest.encode()).hexdigest() if self.wrong_hash else digest


@dataclass
class ServedIndex:
    """One index: its projects and how it behaves (``ok``, ``error``, ``slow``, ``html``).

    A ``slow`` index holds every request until ``release`` is set (the server sets it when it
    stops): a client with a read timeout gives up first, whatever the machine's load, and no
    clock decides who wins.
    """

    projects: dict[str, list[ServedFile]] = field(default_factory=dict)
    mode: str = "ok"
    release: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)


def _page(index: ServedIndex, name: str, as_json: bool, base: str) -> tuple[bytes, str]:
    """The project page; ``base`` is this index's absolute address (PEP 740 wants an absolute
    provenance URL)."""
    files = index.projects[name]
    if as_json:
        entries = []
        for i, f in enumerate(files):
            entry: dict[str, Any] = {
                "filename": f.path.name, "url": f"../../files/{name}/{i}/{f.path.name}",
                "hashes": {"sha256": f.sha256}, "requires-python": f.requires_python,
                "yanked": f.yanked, "size": f.path.stat().st_size,
                "upload-time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
            if f.provenance is not None:
                entry["provenance"] = f"{base}/provenance/{name}/{i}/"
            entries.append(entry)
        body = {"meta": {"api-version": "1.1"}, "name": name, "files": entries,
                "versions": sorted({_version(f.path.name) for f in files}, key=Version)}
        return json.dumps(body).encode(), JSON_TYPE
    links = []
    for i, f in enumerate(files):
        attrs = ""
        if f.requires_python:
            attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
        if f.yanked:
            reason = f.yanked if isinstance(f.yanked, str) else ""
            attrs += f' data-yanked="{html.escape(reason)}"'
        href = f"../../files/{name}/{i}/{f.path.name}#sha256={f.sha256}"
        links.append(f'<a href="{html.escape(href)}"{attrs}>{html.escape(f.path.name)}</a><br>')
    text = ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
            "</head><body>\n" + "\n".join(links) + "\n</body></html>\n")
    return text.encode(), "text/html; charset=utf-8"


def _version(filename: str) -> str:
    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[1])
    return str(parse_sdist_filename(filename)[1])


def _handler(indexes: Mapping[str, ServedIndex]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            parts = [unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
            index = indexes.get(parts[0]) if parts else None
            if index is None:
                return self._send(404, b"no such index", "text/plain")
            if index.mode == "error":
                return self._send(500, b"internal error (on purpose)", "text/plain")
            if index.mode == "slow":
                index.release.wait()
            kind, rest = (parts[1], parts[2:]) if len(parts) > 1 else ("", [])
            if kind == "simple" and len(rest) == 1 and rest[0] in index.projects:
                as_json = JSON_TYPE in self.headers.get("Accept", "") and index.mode != "html"
                base = f"http://{self.headers.get('Host', '127.0.0.1')}/{parts[0]}"
                body, ctype = _page(index, rest[0], as_json, base)
                return self._send(200, body, ctype)
            if kind in ("files", "provenance") and len(rest) >= 2 and rest[0] in index.projects:
                files = index.projects[rest[0]]
                n = int(rest[1]) if rest[1].isdigit() else -1
                if 0 <= n < len(files):
                    f = files[n]
                    if kind == "files":
                        return self._send(200, f.path.read_bytes(), "application/octet-stream")
                    if f.provenance is not None:
                        return self._send(200, json.dumps(f.provenance).encode(), "application/json")
            return self._send(404, b"not found", "text/plain")

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serve(indexes: Mapping[str, ServedIndex], *, lifetime: float = 600.0) -> Iterator[dict[str, str]]:
    """Serve ``indexes`` on 127.0.0.1; yields each index's Simple API URL by name.

    The server binds the loopback interface only and stops when the block ends, or by itself
    after ``lifetime`` seconds, whichever comes first; then every ``slow`` index is released
    (and held again by the next :func:`serve`).
    """
    def release() -> None:
        for index in indexes.values():
            index.release.set()

    for index in indexes.values():
        index.release.clear()
    with serve_http(_handler(indexes), lifetime=lifetime, name="local-index",
                    on_stop=release) as address:
        yield {name: f"{address.url}/{name}/simple/" for name in indexes}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _samples_root() -> Path:
    return Path(__file__).resolve().parents[3] / "samples"


def demo_indexes(workdir: Path, now: datetime) -> dict[str, ServedIndex]:
    """The indexes the page (and the tests) check against, built into ``workdir``.

    ``main``: ``tidy-notes`` (the well-kept sample: releases 1.1.0 and 1.2.0, an sdist and a
    wheel each), ``snoopy`` (the suspicious sample: install-time code, a ``.pth`` file, first
    uploaded days ago), ``old-parser`` (2.0.0 yanked with a reason, 2.0.1 fine),
    ``fast-hash`` (the index lists a SHA-256 its file does not have) and ``acme-utils``.
    ``internal``: ``acme-internal``, found nowhere else, and ``acme-utils`` again, shadowing
    the name. ``broken`` answers HTTP 500; ``slow`` holds every request until the server
    stops. Upload times are counted back from ``now``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    samples = _samples_root()
    well = _tree(samples / "well-kept")
    licence, ci = well["LICENSE"], well[".github/workflows/ci.yml"]
    tidy_code = {k.removeprefix("src/"): v for k, v in well.items() if k.startswith("src/")}

    def days(n: float) -> datetime:
        return now - timedelta(days=n)

    def tidy(version: str, age: float) -> list[ServedFile]:
        out = workdir / f"tidy-notes-{version}"
        out.mkdir(exist_ok=True)
        files = {**well, "pyproject.toml": well["pyproject.toml"].replace(b'"1.2.0"', f'"{version}"'.encode())}
        sdist = make_sdist(out, files, name=f"tidy_notes-{version}")
        wheel = make_wheel(out, tidy_code, name="tidy_notes", version=version,
                           metadata="Summary: Keep short notes in a plain text file.\n"
                                    "License-Expression: MIT\nRequires-Python: >=3.10\n",
                           dist_info={"licenses/LICENSE": licence})
        return [ServedFile(sdist, days(age), requires_python=">=3.10"),
                ServedFile(wheel, days(age) + timedelta(seconds=30), requires_python=">=3.10")]

    def small(name: str, version: str, source: str) -> Path:
        out = workdir / f"{name}-{version}"
        out.mkdir(exist_ok=True)
        files = {"pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n'
                                  'license = "MIT"\n'.encode(),
                 "LICENSE": licence, ".github/workflows/ci.yml": ci,
                 f"{name.replace('-', '_')}.py": source.encode()}
        return make_sdist(out, files, name=f"{name.replace('-', '_')}-{version}")

    snoopy_dir = workdir / "snoopy-0.0.1"
    snoopy_dir.mkdir(exist_ok=True)
    snoopy = make_sdist(snoopy_dir, _tree(samples / "suspicious"), name="snoopy-0.0.1")
    main = ServedIndex({
        "tidy-notes": tidy("1.1.0", 400) + tidy("1.2.0", 40),
        "snoopy": [ServedFile(snoopy, days(6))],
        "old-parser": [
            ServedFile(small("old-parser", "2.0.0", "VERSION = '2.0.0'\n"), days(300),
                       yanked="2.0.0 reads dates in the wrong time zone; use 2.0.1"),
            ServedFile(small("old-parser", "2.0.1", "VERSION = '2.0.1'\n"), days(290)),
        ],
        "fast-hash": [ServedFile(small("fast-hash", "1.0.0", "VERSION = '1.0.0'\n"), days(200),
                                 wrong_hash=True)],
        "acme-utils": [ServedFile(small("acme-utils", "1.0.0", "ORIGIN = 'public'\n"), days(500))],
    })
    internal = ServedIndex({
        "acme-internal": [ServedFile(small("acme-internal", "0.4.0", "ORIGIN = 'internal'\n"),
                                     days(100))],
        "acme-utils": [ServedFile(small("acme-utils", "9.0.0", "ORIGIN = 'internal'\n"), days(50))],
    })
    return {"main": main, "internal": internal, "broken": ServedIndex(mode="error"),
            "slow": ServedIndex({"tidy-notes": main.projects["tidy-notes"]}, mode="slow")}


def demo_lock(path: Path, index: ServedIndex, pins: Mapping[str, str]) -> Path:
    """A requirements file pinning ``pins`` (name -> version) with the hashes ``index`` lists,
    as ``pip-compile --generate-hashes`` would write it; returns ``path``."""
    lines = []
    for name, version in pins.items():
        hashes = [f.sha256 for f in index.projects[canonicalize_name(name)]
                  if f"-{version}" in f.path.name]
        lines.append(f"{name}=={version} \\")
        lines += [f"    --hash=sha256:{h} \\" for h in hashes[:-1]]
        lines.append(f"    --hash=sha256:{hashes[-1]}" if hashes else "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
