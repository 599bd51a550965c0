"""The one builder of sdists and wheels, well-formed and hostile, for the pages, tests and bench.

Every builder writes only into the directory it is given (a temporary directory) and
returns the path it created. Archives are built with :mod:`tarfile` and :mod:`zipfile`
directly, member by member, with fixed times and modes, so the same arguments always give
the same bytes (a changed hash means changed contents); hostile ones produce what a careful
archiver never would. None of them is ever extracted: :func:`pysecbook.checker.scan.open_target`
reads them in memory and reports each hostile member.

A wheel is a zip archive with a ``NAME-VERSION.dist-info`` folder: ``METADATA``, ``WHEEL``
and a ``RECORD`` that lists every file with its SHA-256, as an installer verifies it.
:func:`make_wheel` writes any files; :func:`build_wheel` a wheel of one module, as the
supply-chain pages install it.

Book pages: ``book/checklist``, ``book/culture/supply-chain``, ``book/culture/maintainers``.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import stat
import tarfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = ["SAMPLE_FILES", "UNSCANNABLE_SOURCES", "build_wheel", "make_hostile_tar",
           "make_hostile_zip", "make_sdist", "make_truncated_sdist", "make_wheel",
           "make_zip_sdist", "record_hash"]

#: A tiny, harmless project used by the builders below.
SAMPLE_FILES: Mapping[str, bytes] = {
    "pyproject.toml": b'[project]\nname = "demo"\nversion = "1.0"\n',
    "demo/__init__.py": b'"""A harmless demo package."""\n\n__version__ = "1.0"\n',
    "demo/core.py": b"def add(a: int, b: int) -> int:\n    return a + b\n",
}

#: Source files that cannot be scanned, each with the reason the scanner gives (a substring).
UNSCANNABLE_SOURCES: Mapping[str, tuple[bytes, str]] = {
    "latin1.py": ("x = 'caf\u00e9'\n".encode("latin-1"), "not valid UTF-8"),
    "nul.py": (b"x = 1\x00\n", "NUL bytes"),
    "broken.py": (b"def f(:\n    pass\n", "syntax error"),
    "py2.py": (b'print "hello"\n', "Python 2"),
    "deep.py": (b"x = " + b"-" * 100_000 + b"1\n", "nested too deeply"),
    "deep_sum.py": (b"x = 1" + b" + 1" * 100_000 + b"\n", "nested too deeply"),
}

_MTIME = 1_700_000_000


def _tarinfo(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = kind
    info.mtime = _MTIME
    info.mode = 0o644
    return info


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, time.gmtime(_MTIME)[:6])
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@contextlib.contextmanager
def _tar_writer(path: Path, compression: str = "gz") -> Iterator[tarfile.TarFile]:
    """A tar archive being written to ``path``; gzip's header carries a fixed time, not now."""
    if compression != "gz":
        with tarfile.open(path, f"w:{compression}") as tar:
            yield tar
        return
    with open(path, "wb") as raw, \
            gzip.GzipFile(filename=str(path), mode="wb", fileobj=raw, mtime=_MTIME) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        yield tar


def make_sdist(dest: Path, files: Mapping[str, bytes] = SAMPLE_FILES, *,
               name: str = "demo-1.0", compression: str = "gz") -> Path:
    """A well-formed sdist ``name.tar.<compression>`` with ``files`` under ``name/``."""
    suffix = {"gz": "tar.gz", "bz2": "tar.bz2", "xz": "tar.xz"}[compression]
    path = Path(dest) / f"{name}.{suffix}"
    with _tar_writer(path, compression) as tar:
        for rel, data in files.items():
            tar.addfile(_tarinfo(f"{name}/{rel}", len(data)), io.BytesIO(data))
    return path


def make_zip_sdist(dest: Path, files: Mapping[str, bytes] = SAMPLE_FILES, *,
                   name: str = "demo-1.0") -> Path:
    """A well-formed sdist as a ``.zip`` with a single top-level directory."""
    path = Path(dest) / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(_zipinfo(f"{name}/{rel}"), data)
    return path


#: The timestamp of every wheel member (a zip stores local date and time, no zone).
WHEEL_DATE = (2024, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    """``sha256=...`` as a wheel's RECORD writes a file's digest (urlsafe base64, no padding)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode('ascii')}"


def make_wheel(dest: Path, files: Mapping[str, bytes] | None = None, *,
               name: str = "demo", version: str = "1.0", metadata: str = "",
               dist_info: Mapping[str, bytes] | None = None) -> Path:
    """A wheel ``NAME-VERSION-py3-none-any.whl``: the package files at the top level plus a
    dist-info whose RECORD lists them all with their digests.

    ``name`` is written as given in ``METADATA`` and normalised (``acme_utils``) in the file
    and folder names. ``metadata`` adds header lines to ``METADATA``
    (``License-Expression: MIT\n``); ``dist_info`` adds files under the dist-info directory
    (``licenses/LICENSE``). The archive is byte-for-byte reproducible.
    """
    if files is None:
        files = {k: v for k, v in SAMPLE_FILES.items() if k.startswith("demo/")}
    dist = canonicalize_name(name).replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    members = dict(files)
    members[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{metadata}").encode("utf-8")
    members.update({f"{info}/{rel}": data for rel, data in (dist_info or {}).items()})
    members[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: pysecbook\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    record = "".join(f"{rel},{record_hash(data)},{len(data)}\n" for rel, data in members.items())
    members[f"{info}/RECORD"] = f"{record}{info}/RECORD,,\n".encode("utf-8")
    Path(dest).mkdir(parents=True, exist_ok=True)
    path = Path(dest) / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in members.items():
            member = zipfile.ZipInfo(rel, date_time=WHEEL_DATE)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, data)
    return path


def build_wheel(directory: Path, name: str, version: str, module_source: str,
                *, summary: str = "A demonstration package") -> Path:
    """Write ``NAME-VERSION-py3-none-any.whl`` into ``directory``, holding one module.

    The module is importable as ``name`` with dashes turned into underscores.
    """
    module = canonicalize_name(name).replace("-", "_")
    return make_wheel(directory, {f"{module}.py": module_source.encode("utf-8")}, name=name,
                      version=version, metadata=f"Summary: {summary}\n")


def make_hostile_tar(dest: Path, kind: str, *, name: str = "demo-1.0") -> Path:
    """An sdist with one hostile member next to a harmless file.

    ``kind``: ``traversal`` (``../`` in a name), ``absolute`` (``/etc/...``), ``symlink``,
    ``hardlink``, ``device`` (a character device), ``fifo``, ``nested`` (an archive inside),
    ``bomb`` (a 64 MiB member of zeros, a few tens of KiB compressed).
    """
    path = Path(dest) / f"{name}-{kind}.tar.gz"
    ok = SAMPLE_FILES["demo/core.py"]
    with _tar_writer(path) as tar:
        tar.addfile(_tarinfo(f"{name}/demo/core.py", len(ok)), io.BytesIO(ok))
        payload = b"print('pwned')\n"
        if kind == "traversal":
            tar.addfile(_tarinfo(f"{name}/../../evil.py", len(payload)), io.BytesIO(payload))
        elif kind == "absolute":
            tar.addfile(_tarinfo("/usr/lib/evil.py", len(payload)), io.BytesIO(payload))
        elif kind in ("symlink", "hardlink"):
            info = _tarinfo(f"{name}/demo/link.py", 0,
                            tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE)
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        elif kind in ("device", "fifo"):
            info = _tarinfo(f"{name}/demo/dev", 0,
                            tarfile.CHRTYPE if kind == "device" else tarfile.FIFOTYPE)
            info.devmajor, info.devminor = 1, 3
            tar.addfile(info)
        elif kind == "nested":
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w") as zf:
                zf.writestr(_zipinfo("hidden.py"), payload)
            data = inner.getvalue()
            tar.addfile(_tarinfo(f"{name}/vendor/inner.zip", len(data)), io.BytesIO(data))
        elif kind == "bomb":
            size = 64 * 2**20
            tar.addfile(_tarinfo(f"{name}/zeros.py", size), _Zeros(size))
        else:
            raise ValueError(f"unknown hostile tar kind {kind!r}")
    return path


def make_hostile_zip(dest: Path, kind: str, *, name: str = "demo-1.0") -> Path:
    """A ``.zip`` sdist with one hostile member: ``traversal``, ``symlink`` or ``bomb``."""
    path = Path(dest) / f"{name}-{kind}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_zipinfo(f"{name}/demo/core.py"), SAMPLE_FILES["demo/core.py"])
        if kind == "traversal":
            zf.writestr(_zipinfo(f"{name}/../../evil.py"), b"print('pwned')\n")
        elif kind == "symlink":
            info = zipfile.ZipInfo(f"{name}/demo/link.py", time.gmtime(_MTIME)[:6])
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, b"/etc/passwd")
        elif kind == "bomb":
            with zf.open(_zipinfo(f"{name}/zeros.py"), "w") as member:
                chunk = bytes(2**20)
                for _ in range(64):
                    member.write(chunk)
        else:
            raise ValueError(f"unknown hostile zip kind {kind!r}")
    return path


def make_truncated_sdist(dest: Path) -> Path:
    """A well-formed sdist with its last bytes cut off (a corrupted download)."""
    # Hash digests do not compress: the cut falls inside big.py, after the small files.
    big = b"".join(b"h%d = '%s'\n" % (i, hashlib.sha256(b"%d" % i).hexdigest().encode())
                   for i in range(5_000))
    whole = make_sdist(dest, {**SAMPLE_FILES, "demo/big.py": big}, name="cut-1.0")
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 2])
    return whole


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, produced on demand (a bomb is built without holding it in memory)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n
