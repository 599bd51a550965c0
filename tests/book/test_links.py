"""Stable links: every internal link and anchor resolves, redirects land on real pages, and
the sitemap, canonical links and OpenGraph metadata use the one configured base URL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # nosec B405 - parses the sitemap this build just wrote
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml

from conftest import ROOT
from site_build import base_path

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("site")]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(values[key] or "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")


def parse(page: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def test_every_internal_link_and_anchor_resolves(built_site) -> None:  # type: ignore[no-untyped-def]
    html = built_site.html
    pages = [p for p in html.rglob("*.html") if not p.relative_to(html).as_posix().startswith("_")]
    parsed = {p: parse(p) for p in pages}
    prefix = base_path()  # reads _config.yml: once, not once per link (4,000 of them)
    broken = []
    for page, info in parsed.items():
        for href in info.links:
            url, fragment = urldefrag(href)
            if urlparse(url).scheme or url.startswith("//") or href.startswith("mailto:"):
                continue
            if url.startswith(prefix):  # absolute links, as on the 404 page
                target = (html / unquote(url[len(prefix):])).resolve()
            else:
                target = (page.parent / unquote(url)).resolve() if url else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(html)} -> {href}")
                continue
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(html)} -> {href} (no anchor)")
    assert not broken, "\n".join(broken)


def test_redirects_resolve() -> None:
    lines = [line for line in (ROOT / "redirects.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        old, new = re.findall(r'"([^"]+)"', line)
        assert (ROOT / f"{new}.md").is_file(), f"redirect {old} -> {new}: target missing"
        assert not (ROOT / f"{old}.md").exists(), f"redirect {old} shadows an existing page"


def test_redirect_pages_point_at_existing_pages(built_site) -> None:  # type: ignore[no-untyped-def]
    for line in (ROOT / "redirects.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        old, new = re.findall(r'"([^"]+)"', line)
        stub = (built_site.html / f"{old}.html").read_text(encoding="utf-8")
        target = re.search(r'url=([^"]+)"', stub)
        assert target, stub[:500]
        assert (built_site.html / Path(old).parent / target.group(1)).resolve().is_file()


def test_sitemap_canonical_and_opengraph_use_the_base_url(built_site) -> None:  # type: ignore[no-untyped-def]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    base = config["html"]["baseurl"]
    assert base.startswith("https://") and base.endswith("/")
    tree = ET.parse(built_site.html / "sitemap.xml")  # nosec B314 - our own build output
    urls = [el.text or "" for el in tree.iter() if el.tag.endswith("loc")]
    assert urls and all(u.startswith(base) for u in urls), urls[:5]
    assert f"{base}book/security-model/asserts.html" in urls
    page = (built_site.html / "book" / "security-model" / "asserts.html").read_text()
    assert f'<link rel="canonical" href="{base}book/security-model/asserts.html"' in page
    assert f'<meta property="og:url" content="{base}book/security-model/asserts.html"' in page
    assert '<meta property="og:title"' in page


def test_404_page_uses_absolute_asset_urls(built_site) -> None:  # type: ignore[no-untyped-def]
    page = (built_site.html / "404.html").read_text()
    assert "Page not found" in page
    prefix = urlparse(yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]).path
    assert f'href="{prefix}_static/' in page


def first_content_line(text: str) -> str:
    """The first non-blank line after the YAML front matter."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1:]
    return next((line.strip() for line in lines if line.strip()), "")


def test_every_page_starts_with_an_explicit_label() -> None:
    missing = [str(p.relative_to(ROOT)) for p in (ROOT / "book").rglob("*.md")
               if not re.fullmatch(r"\([a-z0-9-]+\)=", first_content_line(p.read_text()))]
    assert not missing, missing
