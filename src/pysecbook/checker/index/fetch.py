"""Download a distribution file: streamed, size-limited, and verified before anything reads it.

A file is written to a temporary name in the cache while its SHA-256 is computed; only when
the digest equals the one the index (or the lock file) gave does it move to its place,
``<cache>/sha256/<ab>/<digest>/<filename>``. So a file in the cache is always the file of
that digest, and a file that does not match is never handed to the checker. A cached file
is hashed again before each use. The default cache is the user cache directory
(``platformdirs``); ``--cache-dir`` and the tests name another. Book page:
``book/checklist/before-install``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import platformdirs
import requests

from pysecbook.checker.index.simple import IndexUnavailable, Settings, chunks, open_stream

__all__ = ["FetchError", "HashMismatch", "default_cache", "fetch", "safe_filename", "sha256_file"]

_HEX = re.compile(r"^[0-9a-f]{64}$")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,250}$")


class FetchError(IndexUnavailable):
    """A file could not be fetched (network, size limit, offline and not cached)."""


class HashMismatch(FetchError):
    """The bytes received are not the file the index promised: never read, never kept."""


def default_cache() -> Path:
    """The user cache directory of pysecbook, where fetched files are kept by hash."""
    return Path(platformdirs.user_cache_dir("pysecbook", appauthor=False)) / "index"


def safe_filename(name: str) -> str:
    """``name`` if it is a plain file name (no directory, no control character); else raise."""
    if not _SAFE.match(name) or name in (".", ".."):
        raise FetchError(f"refused the file name {name[:80]!r}: not a plain distribution file name")
    return name


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()


def _place(cache: Path, sha256: str, filename: str) -> Path:
    return cache / "sha256" / sha256[:2] / sha256 / filename


def cached(cache: Path, sha256: str, filename: str) -> Path | None:
    """The cached copy of this file, if there is one and it still has this digest."""
    path = _place(cache, sha256, safe_filename(filename))
    if path.is_file() and not path.is_symlink():
        if sha256_file(path) == sha256:
            return path
        path.unlink()  # damaged or tampered with: fetch it again
    return None


def fetch(http: requests.Session | None, url: str, filename: str, sha256: str, *,
          cache: Path, settings: Settings, offline: bool = False) -> Path:
    """The verified local copy of ``filename`` (digest ``sha256``), from the cache or ``url``.

    Raises :class:`HashMismatch` when the bytes differ from ``sha256``, :class:`FetchError`
    when the file is over ``settings.max_file`` bytes, the transfer fails, or ``offline`` is
    set and the cache does not have it.
    """
    sha256 = sha256.lower()
    if not _HEX.match(sha256):
        raise FetchError(f"{filename}: the index gives no usable SHA-256 for it")
    hit = cached(cache, sha256, filename)
    if hit is not None:
        return hit
    if offline:
        raise FetchError(f"{filename}: not in the cache, and --offline forbids fetching it")
    if http is None:
        raise FetchError(f"{filename}: no HTTP session")
    dest = _place(cache, sha256, filename)
    dest.parent.mkdir(parents=True, exist_ok=True)
    r = open_stream(http, url, settings)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in chunks(r, url, settings.max_file, settings):
                    h.update(chunk)
                    out.write(chunk)
            except IndexUnavailable as exc:
                raise FetchError(str(exc)) from None
        got = h.hexdigest()
        if got != sha256:
            raise HashMismatch(f"{filename}: SHA-256 {got} received, the index promised {sha256}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
