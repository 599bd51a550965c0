"""A tampered ``.pyc`` runs instead of its source.

When Python imports ``greet.py`` it first looks for ``__pycache__/greet.cpython-311.pyc``. A
default (timestamp) ``.pyc`` is trusted if the source's modification time and size recorded
in its 16-byte header match the source file: both are public, so anyone who can write the
cache can make a header that matches and put any code behind it. A checked-hash ``.pyc``
records a hash of the source instead and catches a cache built from different source, but
the validation mode is chosen by the ``.pyc`` file's own header, so a forged timestamp
``.pyc`` is accepted in its place. An unchecked-hash ``.pyc`` is not compared with its source
at all. The launch that defends is one that never reads the shared cache: ``-X
pycache_prefix=DIR`` makes Python use a cache tree of its own.

The first fix (kept as :func:`run_app_first_try`) used a cache directory of its own, but a
fixed one, reused from run to run: whoever creates or can write that directory first is
back to writing the cache. The secure version makes a fresh private directory per run.
Book page: ``book/fundamentals/execution-model``.
"""

from __future__ import annotations

import importlib.util
import marshal
import py_compile
from dataclasses import dataclass
from pathlib import Path

from pysecbook.lab.child import Completed, last_line, private_tmpdir, run_python
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The module as its author wrote it, and the program that uses it.
SOURCE = 'MESSAGE = "hello from the source"\n'
MAIN = "import greet\nprint(greet.MESSAGE)\n"

#: What the attacker compiles and hides in the cache.
EVIL_SOURCE = (
    "from pathlib import Path\n"
    "Path(__file__).with_name('marker.txt').write_text('tampered bytecode ran')\n"
    'MESSAGE = "hello from the ATTACKER"\n'
)

MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
    "unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
}


def run_app_insecure(app_dir: str) -> Completed:
    """Run ``python main.py``: imports read the ``.pyc`` files in ``__pycache__``."""
    return run_python(cwd=Path(app_dir), args=["main.py"])


#: The first fix's cache directory, beside the application and kept between runs.
SHARED_CACHE = "pycache-shared"


def run_app_first_try(app_dir: str) -> Completed:
    """A first fix: ``-X pycache_prefix`` set to one cache directory, reused between runs.

    Kept to show the adapted attacks beating it: a fixed cache directory is only as safe as
    the people who can create or write it, and someone else may have created it first.
    """
    cache = Path(app_dir).parent / SHARED_CACHE
    return run_python(cwd=Path(app_dir), args=["main.py"], flags=["-X", f"pycache_prefix={cache}"])


def run_app_secure(app_dir: str) -> Completed:
    """Run with ``-X pycache_prefix`` set to a fresh private cache: ``__pycache__`` is never read.

    Assumes: the attacker can write the cache (``__pycache__``, a shared cache directory) but
    not the application's own source files or the directory that holds them.
    Does not stop: an attacker who can write the source directory, who can edit ``greet.py``
    or put a ``greet.pyc`` where no ``greet.py`` is left (a source-less ``.pyc`` beside the
    module is loaded without a cache); and the cost of the defence, since every start
    compiles every module it imports again, standard library included.
    """
    with private_tmpdir(prefix="pysecbook-pycache-") as cache:
        return run_python(cwd=Path(app_dir), args=["main.py"], flags=["-X", f"pycache_prefix={cache}"])


def build_app(app: Path, mode: str = "timestamp") -> Path:
    """Write the module and program to ``app``; compile the module's cache in ``mode``."""
    app.mkdir(parents=True, exist_ok=True)
    source = app / "greet.py"
    source.write_text(SOURCE, encoding="utf-8")
    (app / "main.py").write_text(MAIN, encoding="utf-8")
    cfile = Path(importlib.util.cache_from_source(str(source)))
    py_compile.compile(str(source), cfile=str(cfile), doraise=True, invalidation_mode=MODES[mode])
    return cfile


def pyc_header(cfile: Path) -> dict[str, object]:
    """Decode the 16-byte header of a ``.pyc`` (PEP 552)."""
    data = cfile.read_bytes()[:16]
    flags = int.from_bytes(data[4:8], "little")
    header: dict[str, object] = {"magic ok": data[:4] == importlib.util.MAGIC_NUMBER}
    if flags & 1:
        header.update(mode="checked-hash" if flags & 2 else "unchecked-hash", source_hash=data[8:16].hex())
    else:
        header.update(
            mode="timestamp",
            source_mtime=int.from_bytes(data[8:12], "little"),
            source_size=int.from_bytes(data[12:16], "little"),
        )
    return header


def _evil_code() -> bytes:
    return marshal.dumps(compile(EVIL_SOURCE, "greet.py", "exec"))


def forge_timestamp_pyc(source: Path, cfile: Path) -> None:
    """Write the attacker's code behind a timestamp header copied from the source's ``stat``."""
    st = source.stat()
    header = (
        importlib.util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    )
    cfile.write_bytes(header + _evil_code())


def naive_pyc(app: Path, cfile: Path, mode: str) -> None:
    """Compile the attacker's source in ``mode`` and drop its ``.pyc`` in the cache as is."""
    evil = app.parent / "evil_greet.py"
    evil.write_text(EVIL_SOURCE, encoding="utf-8")
    py_compile.compile(str(evil), cfile=str(cfile), doraise=True, invalidation_mode=MODES[mode])


def attack(func: object) -> Outcome:
    """Forge a timestamp ``.pyc`` matching ``greet.py``'s mtime and size; run the program."""
    with private_tmpdir() as tmp:
        app = tmp / "app"
        cfile = build_app(app)
        forge_timestamp_pyc(app / "greet.py", cfile)
        done = func(str(app))  # type: ignore[operator]
        ran = (app / "marker.txt").is_file()
    what = "the forged bytecode ran" if ran else "the source was compiled and ran"
    return Outcome(attack_succeeded=ran, observed=f"printed {last_line(done.stdout)!r}; {what}")


def prefixed_cache(cache_root: Path, source: Path) -> Path:
    """Where ``-X pycache_prefix=cache_root`` looks for the bytecode of ``source``: the
    source's absolute directory mirrored under the root, without ``__pycache__``."""
    folder = source.resolve().parent
    name = Path(importlib.util.cache_from_source(str(source))).name
    return cache_root / folder.relative_to(folder.anchor) / name


def attack_shared_cache(func: object) -> Outcome:
    """The application uses a cache directory of its own, always the same one: the attacker
    creates it before the first run and puts a forged ``.pyc`` where Python will look."""
    with private_tmpdir() as tmp:
        app = tmp / "app"
        build_app(app)
        source = app / "greet.py"
        cfile = prefixed_cache(tmp / SHARED_CACHE, source)
        cfile.parent.mkdir(parents=True)
        forge_timestamp_pyc(source, cfile)
        done = func(str(app))  # type: ignore[operator]
        ran = (app / "marker.txt").is_file()
    what = "the forged bytecode in the cache directory ran" if ran else "the source was compiled and ran"
    return Outcome(attack_succeeded=ran, observed=f"printed {last_line(done.stdout)!r}; {what}")


def attack_unchecked_hash(func: object) -> Outcome:
    """No forging at all: the attacker compiles their own ``greet.py`` as an unchecked-hash
    ``.pyc``, which Python never compares with the source."""
    with private_tmpdir() as tmp:
        app = tmp / "app"
        cfile = build_app(app)
        naive_pyc(app, cfile, "unchecked-hash")
        done = func(str(app))  # type: ignore[operator]
        ran = (app / "marker.txt").is_file()
    what = "the unchecked .pyc ran" if ran else "the source was compiled and ran"
    return Outcome(attack_succeeded=ran, observed=f"printed {last_line(done.stdout)!r}; {what}")


@dataclass(frozen=True)
class Row:
    """One cache mode, one tampering, one launch: what the program printed."""

    cache: str
    tampering: str
    launch: str
    printed: str
    tampered_code_ran: bool


def run_app_checking_hashes(app_dir: str) -> Completed:
    """Run with ``--check-hash-based-pycs always``: every hash-based ``.pyc`` is checked
    against its source, unchecked ones included (a timestamp ``.pyc`` is unaffected)."""
    return run_python(cwd=Path(app_dir), args=["main.py"],
                      flags=["--check-hash-based-pycs", "always"])


#: The launches the tampering matrix compares.
LAUNCHES = (("python main.py", run_app_insecure),
            ("python --check-hash-based-pycs always main.py", run_app_checking_hashes),
            ("python -X pycache_prefix=... main.py", run_app_secure))


def tamper_matrix() -> list[Row]:
    """Each cache mode, against a naive and a forged ``.pyc``, with each launch."""
    rows = []
    for mode in MODES:
        for tampering in ("none", "naive .pyc from other source", "forged timestamp header"):
            for launch, runner in LAUNCHES:
                with private_tmpdir() as tmp:
                    app = tmp / "app"
                    cfile = build_app(app, mode)
                    if tampering.startswith("naive"):
                        naive_pyc(app, cfile, mode)
                    elif tampering.startswith("forged"):
                        forge_timestamp_pyc(app / "greet.py", cfile)
                    done = runner(str(app))
                    ran = (app / "marker.txt").is_file()
                rows.append(Row(mode, tampering, launch, last_line(done.stdout) or last_line(done.stderr), ran))
    return rows


RISK = register(
    Risk(
        id="PSB-PYC-TAMPER",
        title="A tampered .pyc runs instead of its source",
        summary="A .pyc whose header matches the source's mtime and size is loaded instead "
        "of the source, whatever code it holds; hash-checked caches do not stop a forger.",
        cwe=345,
        bandit=(),
        no_static_rule="the difference is where the child reads byte code from; who can write "
                       "__pycache__ is not in the code.",
        modules=("importlib", "py_compile"),
        page="fundamentals/execution-model",
        insecure=run_app_insecure,
        secure=run_app_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("a cache directory of the application's own, created first by the "
                          "attacker", "links-races", attack_shared_cache,
                          beats=run_app_first_try),
            AdaptedAttack("an unchecked-hash .pyc compiled from the attacker's source",
                          "variant", attack_unchecked_hash),
        ),
    )
)
