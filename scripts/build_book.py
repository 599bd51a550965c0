"""``make book``: execute the book's pages in parallel, then build it strictly with Sphinx.

Usage: ``python scripts/build_book.py [SOURCE] [--path-output DIR] [--jobs N]``
(SOURCE defaults to the repository; the site goes to ``DIR/_build/html``, as with
``jupyter-book build SOURCE --path-output DIR -W -n --keep-going``).

1. **Execute.** Every page of ``_toc.yml`` that is a notebook is read with myst-nb's own
   reader and configuration (so its jupyter-cache key is the one myst-nb computes); the pages
   the cache has no match for are executed in parallel, one kernel per page and ``--jobs``
   at a time (default: the usable cores), the longest first, and their outputs cached in
   ``DIR/_build/.jupyter_cache``. Only this process writes the cache. A page that fails is
   reported with its cell and traceback, every failing page at once, and the build stops
   with exit code 1 before Sphinx starts.
2. **Build.** Jupyter Book's own ``build_sphinx``, with exactly the configuration
   ``jupyter-book build -W -n --keep-going`` derives from ``_config.yml`` (still the one
   source; no ``conf.py``), plus Sphinx's parallel read and write (``-j JOBS``). Sphinx
   finds every page in the cache and only reads; should a page be missed, myst-nb executes
   it as before (``execute_notebooks: cache``, ``raise_on_error``), so the build stays
   strict either way.

Why not execute the pages in Sphinx's parallel read: its readers get the pages in chunks of
about 14, in reading order, so a chunk holding the slow pages runs on long after the others,
and every reader would write the sqlite cache. (Out of the box Sphinx refuses to read in
parallel at all: ``sphinx_multitoc_numbering``, which sphinx-external-toc loads, does not
declare itself parallel-safe, and the warning fails the strict build; it is safe, and
``_ext/pysecbook_sphinx.py`` says so.)
Why not jupyter-cache's ``local-parallel`` executor: ``Pool.map`` hands out pages in chunks
of five in table-of-contents order, and each worker writes the sqlite cache itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sitetools import toc_pages  # scripts/, beside this file

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.perf_counter()


@dataclasses.dataclass
class Page:
    path: Path                 # absolute path of the source file
    rel: str                   # path relative to the book's source folder
    notebook: Any              # nbformat.NotebookNode, as myst-nb reads it
    last_seconds: float = 0.0  # its last execution time in the cache (0: never)


@dataclasses.dataclass
class Executed:
    rel: str
    seconds: float
    notebook: Any = None
    error: str | None = None   # the cell's traceback when the page failed


def toc_files(source: Path) -> list[Path]:
    """The source file of every page in ``SOURCE/_toc.yml``, in reading order."""
    files = []
    for name in toc_pages(source):
        for suffix in ("", ".md", ".ipynb"):
            if (source / f"{name}{suffix}").is_file():
                files.append(source / f"{name}{suffix}")
                break
    return files


def final_config(source: Path) -> dict[str, Any]:
    """The Sphinx configuration ``jupyter-book build -n`` derives from ``_config.yml``."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=source / "_config.yml", cli_config=cli_overrides(source),
                                 sourcedir=source, use_external_toc=True)
    return config


def cli_overrides(source: Path) -> dict[str, Any]:
    """What ``jupyter-book build SOURCE -n`` adds to the configuration (jupyter_book/cli)."""
    return {"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False,
            "nitpicky": True}


def parser_configs(config: dict[str, Any]) -> tuple[Any, Any]:
    """myst-parser's and myst-nb's configurations, as their Sphinx extensions build them."""
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig

    md = {f.name: config[f"myst_{f.name}"] for f in dataclasses.fields(MdParserConfig)
          if f"myst_{f.name}" in config}
    if "enable_extensions" in md:
        md["enable_extensions"] = set(md["enable_extensions"])
    nb = {f.name: config[f"nb_{f.name}"] for f in dataclasses.fields(NbParserConfig)
          if f"nb_{f.name}" in config and not f.metadata.get("sphinx_exclude")}
    return MdParserConfig(**md), NbParserConfig(**nb)


def notebook_pages(source: Path, config: dict[str, Any]) -> list[Page]:
    """The pages myst-nb treats as notebooks, read exactly as myst-nb reads them."""
    from myst_nb.core.read import create_nb_reader

    md_config, nb_config = parser_configs(config)
    pages = []
    for path in toc_files(source):
        text = path.read_text(encoding="utf-8")
        reader = create_nb_reader(str(path), md_config, nb_config, text)
        if reader is None:
            continue
        notebook = reader.read(text)
        if any(cell.cell_type == "code" for cell in notebook.cells):
            pages.append(Page(path, str(path.relative_to(source)), notebook))
    return pages


def _execute(page: Page, timeout: int | None, allow_errors: bool) -> Executed:
    """Run one page in a fresh kernel, in the page's folder (``run_in_temp: false``)."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(page.notebook, cwd=str(page.path.parent), timeout=timeout,
                                 allow_errors=allow_errors, meta_override=True)
    if result.err is not None:
        return Executed(page.rel, result.time,
                        error=f"{type(result.err).__name__}\n{result.exc_string}")
    return Executed(page.rel, result.time, notebook=result.nb)


#: In the cache's folder (deleting the cache deletes it): the SHA-256 of each page's file as
#: it was when its outputs were last found or put in the cache, and of the library.
MANIFEST = "build_book.json"
#: The manifest's entry for the pysecbook the pages' kernels import.
LIBRARY = "<pysecbook>"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_digest() -> str:
    """One SHA-256 over the files of the pysecbook package the kernels import (the editable
    install: ``src/pysecbook``). jupyter-cache keys a page by its own cells, so without this
    an edit to the library would leave every page showing what the old code printed."""
    import importlib.util

    spec = importlib.util.find_spec("pysecbook")
    roots = list(spec.submodule_search_locations or []) if spec else []
    h = hashlib.sha256()
    for root in map(Path, roots):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _state(source: Path, library: str) -> dict[str, str]:
    files = [source / "_toc.yml", source / "_config.yml", *toc_files(source)]
    return {LIBRARY: library, **{str(f.relative_to(source)): _digest(f) for f in files}}


def _known(cache_path: Path) -> dict[str, str]:
    try:
        known = json.loads((cache_path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def unchanged_since_cached(source: Path, cache_path: Path, library: str) -> bool:
    """True when the table of contents, every page it names and the library are byte for
    byte what they were when all the pages' outputs were last in the cache: then there is
    nothing to execute, and nothing to read, parse or look up (a no-change rebuild skips the
    notebook reader, the sqlite cache and their imports). Should the cache have lost a record
    since, Sphinx executes that page itself, strictly: only time is at stake, never the
    result."""
    return _known(cache_path) == _state(source, library)


def forget_if_library_changed(cache: Any, cache_path: Path, library: str) -> int:
    """Remove every cached page when the library differs from the one they last ran with:
    each page may print otherwise now. Returns how many were removed."""
    if _known(cache_path).get(LIBRARY, library) == library:
        return 0
    records = cache.list_cache_records()
    for record in records:
        cache.remove_cache(record.pk)
    return len(records)


def remember(source: Path, cache_path: Path, library: str) -> None:
    (cache_path / MANIFEST).write_text(json.dumps(_state(source, library), indent=0),
                                       encoding="utf-8")


def pre_execute(source: Path, build: Path, jobs: int) -> int:
    """Execute, in parallel, every page whose outputs the cache lacks. Returns the failures."""
    config = final_config(source)
    if config.get("nb_execution_mode") != "cache":
        print("build_book: execute_notebooks is not 'cache'; Sphinx executes the pages itself")
        return 0
    cache_path = Path(config.get("nb_execution_cache_path") or build / ".jupyter_cache")
    library = library_digest()
    if unchanged_since_cached(source, cache_path, library):
        print("build_book: no page changed since every page was in the cache", flush=True)
        return 0
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_path))
    if forgotten := forget_if_library_changed(cache, cache_path, library):
        print(f"build_book: pysecbook changed since the pages ran: {forgotten} cached "
              "page(s) to run again", flush=True)
    pages = notebook_pages(source, config)
    last = {r.uri: float(r.data.get("execution_seconds") or 0)
            for r in cache.list_cache_records()}
    stale = []
    for page in pages:
        try:
            cache.match_cache_notebook(page.notebook)
        except KeyError:
            page.last_seconds = last.get(str(page.path), 0.0)
            stale.append(page)
    if not stale:
        print(f"build_book: all {len(pages)} executable pages are in the cache", flush=True)
        remember(source, cache_path, library)
        cache._db.dispose()  # noqa: SLF001 - as below: no sqlite connection across a fork
        return 0
    # The longest first (by their last run; never-run pages by their number of cells), so
    # that no long page starts last while the other workers sit idle.
    stale.sort(key=lambda p: (p.last_seconds, len(p.notebook.cells)), reverse=True)
    workers = max(1, min(jobs, len(stale)))
    print(f"build_book: executing {len(stale)} of {len(pages)} executable pages, "
          f"{workers} at a time")
    timeout = config.get("nb_execution_timeout")
    allow_errors = bool(config.get("nb_execution_allow_errors"))
    failures: list[Executed] = []
    start = time.perf_counter()
    # fork: the workers start at once, with the imports above already done; no thread and no
    # sqlite connection is used in them.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(_execute, page, timeout, allow_errors): page for page in stale}
        for future in as_completed(futures):
            page = futures[future]
            done = future.result()
            if done.error is not None:
                failures.append(done)
                print(f"{page.path}: Executing notebook failed after {done.seconds:.2f} seconds",
                      flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(done.notebook, str(page.path),
                              data={"execution_seconds": done.seconds}),
                check_validity=False, overwrite=True)
            # The same words as myst-nb's log line, which `make bench` reads.
            print(f"{page.path}: Executed notebook in {done.seconds:.2f} seconds", flush=True)
    print(f"build_book: executed {len(stale)} page(s) in {time.perf_counter() - start:.1f} s "
          f"of wall time")
    for failed in failures:
        print(f"\nERROR: executing {failed.rel} failed: {failed.error}", file=sys.stderr)
    if not failures:
        remember(source, cache_path, library)
    # Sphinx forks its parallel readers next: no sqlite connection may cross a fork.
    if cache._db is not None:  # noqa: SLF001 - jupyter-cache opens its engine lazily
        cache._db.dispose()  # noqa: SLF001
    return len(failures)


def sphinx_build(source: Path, html: Path, jobs: int) -> int:
    """``jupyter-book build SOURCE -W -n --keep-going``'s Sphinx run, in this process, with
    Sphinx's parallel read and write (``-j JOBS``; Sphinx reads serially when five pages or
    fewer changed). ``_ext/pysecbook_sphinx.py`` declares the one extension that is
    parallel-safe without saying so."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(str(source), str(html), noconfig=True,
                          path_config=str(source / "_config.yml"),
                          confoverrides=cli_overrides(source), builder="html",
                          warningiserror=True, keep_going=True, jobs=jobs)
    return result if isinstance(result, int) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--path-output", type=Path, default=None,
                        help="the site goes to PATH_OUTPUT/_build/html (default: SOURCE)")
    parser.add_argument("--jobs", default=os.environ.get("BOOK_JOBS", "auto"),
                        help="pages executed at once (default: the usable cores; $BOOK_JOBS)")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    build = (args.path_output.resolve() if args.path_output else source) / "_build"
    jobs = len(os.sched_getaffinity(0)) if args.jobs == "auto" else int(args.jobs)
    os.chdir(source)
    failed = pre_execute(source, build, jobs)
    print(f"build_book: pages checked and executed {time.perf_counter() - STARTED:.2f} s after "
          f"the interpreter started; Sphinx next", flush=True)
    if failed:
        print(f"build_book: {failed} page(s) failed to execute (above); the book is not built",
              file=sys.stderr)
        return 1
    status = sphinx_build(source, build / "html", jobs)
    if status == 0:
        print(f"build_book: built {build / 'html' / 'index.html'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
