"""The whole book builds strictly, fails on a broken cell, and loads nothing from elsewhere."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT

from site_build import build

pytestmark = pytest.mark.book


@pytest.mark.xdist_group("site")
def test_book_builds_with_zero_warnings(built_site) -> None:  # type: ignore[no-untyped-def]
    assert built_site.returncode == 0, built_site.log[-5000:]
    assert "build succeeded" in built_site.log
    warnings = [line for line in built_site.log.splitlines()
                if re.search(r"\bWARNING\b", line) and "Kernel is running over TCP" not in line]
    assert not warnings, warnings
    assert (built_site.html / "index.html").is_file()
    assert not (built_site.html / "reports").exists(), "execution error reports were published"


@pytest.mark.xdist_group("site")
def test_pages_execute_in_parallel_before_sphinx_and_sphinx_only_reads(built_site) -> None:  # type: ignore[no-untyped-def]
    """scripts/build_book.py reads each page as myst-nb does, so the cache keys match: every
    executable page is executed once, before Sphinx starts, and Sphinx finds it cached."""
    log = built_site.log
    assert built_site.returncode == 0, log[-3000:]
    executed = re.findall(r"^(\S+\.md): Executed notebook in [\d.]+ seconds$", log, re.MULTILINE)
    cached = re.findall(r"(\S+\.md): Using cached notebook", log)
    assert len(executed) > 20 and len(set(executed)) == len(executed)
    assert sorted(cached) == sorted(executed)
    assert "Executing notebook using" not in log  # myst-nb's own execution, in Sphinx


# Attributes that make a browser fetch something, by tag.
_FETCHING = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "source": ("src", "srcset"),
    "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "object": ("data",),
    "track": ("src",), "input": ("src",),
}
_LINK_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "prefetch",
              "manifest", "apple-touch-icon", "dns-prefetch", "preconnect", "mask-icon"}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)


class _ResourceFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        names: tuple[str, ...] = _FETCHING.get(tag, ())
        if tag == "link" and _LINK_RELS & set((values.get("rel") or "").lower().split()):
            names = ("href",)
        for name in names:
            for url in re.split(r",\s*", values.get(name) or ""):
                if is_remote(url.strip().split(" ")[0]):
                    self.remote.append(f"<{tag} {name}={url}>")
        if values.get("style"):
            self.remote += _CSS_URL.findall(values["style"] or "")


def is_remote(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url, re.I))


def remote_resources(html_dir: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in html_dir.rglob("*.html"):
        finder = _ResourceFinder()
        text = page.read_text(encoding="utf-8", errors="replace")
        finder.feed(text)
        for style in re.findall(r"<style[^>]*>(.*?)</style>", text, re.S | re.I):
            finder.remote += _CSS_URL.findall(style)
        if finder.remote:
            found[str(page.relative_to(html_dir))] = finder.remote
    for sheet in html_dir.rglob("*.css"):
        urls = _CSS_URL.findall(sheet.read_text(encoding="utf-8", errors="replace"))
        if urls:
            found[str(sheet.relative_to(html_dir))] = urls
    return found


@pytest.mark.xdist_group("site")
def test_built_html_loads_nothing_from_another_host(built_site) -> None:  # type: ignore[no-untyped-def]
    assert built_site.returncode == 0
    html = built_site.html
    pages = list(html.rglob("*.html"))
    assert len(pages) > 3
    assert remote_resources(html) == {}


def test_resource_finder_catches_remote_loads(tmp_path: Path) -> None:
    """The check above can fail: a page with a CDN script and a remote font is caught."""
    (tmp_path / "a.html").write_text(
        '<html><head><script src="https://cdn.example/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/f.css">'
        '<a href="https://example.org/">a plain link is fine</a></head></html>')
    (tmp_path / "s.css").write_text("@font-face{src:url(https://fonts.example/a.woff2)}")
    found = remote_resources(tmp_path)
    assert len(found["a.html"]) == 2
    assert found["s.css"] == ["https://fonts.example/a.woff2"]


def _minimal_book(tmp: Path, cell: str) -> Path:
    """A copy of the book's configuration with one page holding ``cell``."""
    book = tmp / "book-copy"
    book.mkdir()
    for name in ("_config.yml", "_ext", "_static", "_templates"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, book / name)
        elif src.is_file():
            shutil.copy2(src, book / name)
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\nchapters:\n  - file: chapter\n")
    (book / "redirects.txt").write_text("# no redirects in this copy\n")
    (book / "chapter.md").write_text("(chapter)=\n# A chapter\n\nProse only.\n")
    (book / "page.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n  language: python\n---\n"
        "# A page\n\n```{code-cell} ipython3\n" + cell + "\n```\n"
    )
    return book


def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    book = _minimal_book(tmp_path, 'raise RuntimeError("this cell is broken")')
    done = build(book, tmp_path / "out", timeout=300)
    assert done.returncode != 0
    log = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # the traceback's colours
    assert "ERROR: executing page.md failed: CellExecutionError" in log  # the page
    assert 'raise RuntimeError("this cell is broken")' in log  # its cell, and the error
    assert "RuntimeError: this cell is broken" in log
    assert "1 page(s) failed to execute" in log


def test_the_same_copy_without_the_failure_builds(tmp_path: Path) -> None:
    book = _minimal_book(tmp_path, 'print("this cell works")')
    done = build(book, tmp_path / "out", timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


@pytest.mark.xdist_group("site")
def test_every_risk_card_shows_its_attack(built_site) -> None:  # type: ignore[no-untyped-def]
    """Each card has three tabs, Insecure, Secure and Attack, the last one the attack's source."""
    from pysecbook.teaching.risks import all_risks

    assert built_site.returncode == 0
    by_page: dict[str, list[str]] = {}
    for risk in all_risks():
        by_page.setdefault(risk.page, []).append(risk.attack.__name__)
    for page, attacks in by_page.items():
        html = (built_site.html / "book" / f"{page}.html").read_text(encoding="utf-8")
        labels = re.findall(r'<label[^>]*class="sd-tab-label"[^>]*>\s*([^<]+?)\s*</label>', html)
        assert labels.count("Attack") == len(attacks) == labels.count("Insecure"), (page, labels)
        for name in attacks:
            # Pygments puts the blank after "def" in a span of its own.
            assert re.search(rf'<span class="k">def</span>(?:<span class="w">\s*</span>|\s)'
                             rf'<span class="nf">{name}</span>', html), (page, name)


def _build_book_module():  # type: ignore[no-untyped-def]
    import importlib.util
    import sys

    from site_build import BUILD_BOOK

    spec = importlib.util.spec_from_file_location("build_book_under_test", BUILD_BOOK)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  # its dataclasses look it up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_a_library_change_runs_every_cached_page_again(tmp_path: Path) -> None:
    """Pages import pysecbook: jupyter-cache keys a page by its own cells, so after an edit
    to the library the build must not show what the old code printed."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    bb = _build_book_module()
    digest = bb.library_digest()
    assert len(digest) == 64 and digest == bb.library_digest()
    bb.remember(ROOT, tmp_path, digest)
    assert bb.unchanged_since_cached(ROOT, tmp_path, digest)
    assert not bb.unchanged_since_cached(ROOT, tmp_path, "0" * 64)

    cache = get_cache(str(tmp_path / "cache"))
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    page.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cache.cache_notebook_bundle(CacheBundleIn(page, str(tmp_path / "page.md")), check_validity=False)
    assert bb.forget_if_library_changed(cache, tmp_path, digest) == 0  # same library: kept
    assert len(cache.list_cache_records()) == 1
    assert bb.forget_if_library_changed(cache, tmp_path, "0" * 64) == 1
    assert cache.list_cache_records() == []
