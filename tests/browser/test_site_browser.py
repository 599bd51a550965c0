"""The site as readers meet it, in Debian's Chromium driven by Playwright.

On every page: no console error, no page error, no request to any host but the local server,
and no serious or critical axe-core violation in light or in dark mode. The search finds a
known term; the light/dark switch works. Chromium is never downloaded: the tests use
/usr/bin/chromium. Without it they skip on a developer machine and fail in CI (CI=true).
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import ROOT
from site_build import CHROMIUM, CHROMIUM_FLAGS, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("site")]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SKIP_PAGES = {"genindex.html"}


def _require(path: Path | str, what: str, how: str) -> None:
    if Path(path).exists():
        return
    message = f"{what} not found at {path}; {how}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (in CI a missing browser fails the run)")
    pytest.skip(f"{message} to enable the browser tests")


@pytest.fixture(scope="module")
def site_url(built_site) -> Iterator[str]:  # type: ignore[no-untyped-def]
    assert built_site.returncode == 0, built_site.log[-3000:]
    with serve(built_site.html) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    _require(CHROMIUM, "Chromium", "install it with 'sudo apt-get install chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


def pages_of(html: Path) -> list[str]:
    """Every reader-facing page of the built site, relative to its root."""
    found = []
    for page in sorted(html.rglob("*.html")):
        rel = page.relative_to(html).as_posix()
        if rel.startswith(("_static/", "_sources/")) or rel in SKIP_PAGES:
            continue
        if 'http-equiv="refresh"' in page.read_text(encoding="utf-8", errors="replace")[:2000].lower():
            continue  # a redirect stub, checked by test_redirects_resolve
        found.append(rel)
    return found


def open_page(browser, url: str, mode: str = "light"):  # type: ignore[no-untyped-def]
    """Open ``url`` in a fresh context in ``mode``; return the page and what went wrong."""
    host = urlparse(url).netloc
    context = browser.new_context(color_scheme=mode, viewport={"width": 1280, "height": 900})
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    problems: list[str] = []

    def on_route(route):  # type: ignore[no-untyped-def]
        target = urlparse(route.request.url)
        if target.scheme in ("data", "blob") or target.netloc == host:
            route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    context.route("**/*", on_route)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(150)
    return context, page, problems


async def _sweep(url: str, rels: list[str], mode: str, browser) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every page in ``mode``, one after another in one browser context (so the theme's
    files come from its cache, as for a reader going from page to page)."""
    host = urlparse(url).netloc
    context = await browser.new_context(color_scheme=mode, viewport={"width": 1280, "height": 900})
    await context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    problems: list[str] = []

    async def on_route(route):  # type: ignore[no-untyped-def]
        target = urlparse(route.request.url)
        if target.scheme in ("data", "blob") or target.netloc == host:
            await route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            await route.abort()

    await context.route("**/*", on_route)
    page = await context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    axe = AXE.read_text(encoding="utf-8")
    failures: dict[str, list[str]] = {}
    for rel in rels:
        problems.clear()
        await page.goto(f"{url}/{rel}", wait_until="load")
        await page.wait_for_timeout(150)
        actual = await page.evaluate("document.documentElement.dataset.theme")
        if actual != mode:
            problems.append(f"theme is {actual!r}, expected {mode!r}")
        await page.add_script_tag(content=axe)
        result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        problems.extend(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical"))
        if problems:
            failures[f"{rel} [{mode}]"] = list(problems)
    await context.close()
    return failures


def _sweep_both_modes(url: str, rels: list[str]) -> dict[str, list[str]]:
    """Light and dark side by side, one browser, two contexts (async, so both cores work)."""
    import asyncio

    from playwright.async_api import async_playwright

    async def main() -> dict[str, list[str]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                              headless=True)
            try:
                light, dark = await asyncio.gather(_sweep(url, rels, "light", browser),
                                                   _sweep(url, rels, "dark", browser))
            finally:
                await browser.close()
        return {**light, **dark}

    # Its own thread and event loop: the module's sync Playwright owns this thread's loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_every_page_clean_and_accessible_in_both_modes(site_url, built_site) -> None:  # type: ignore[no-untyped-def]
    _require(CHROMIUM, "Chromium", "install it with 'sudo apt-get install chromium'")
    _require(AXE, "axe-core", "run 'npm ci' (make test does it)")
    pages = pages_of(built_site.html)
    assert len(pages) >= 5
    failures = _sweep_both_modes(site_url, pages)
    assert not failures, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in failures.items())


def test_the_sweep_reports_what_it_finds(tmp_path: Path) -> None:
    """The sweep above can fail: a page with a console error, a foreign request and an image
    without a name is reported, in both modes (served from its own directory)."""
    _require(CHROMIUM, "Chromium", "install it with 'sudo apt-get install chromium'")
    _require(AXE, "axe-core", "run 'npm ci' (make test does it)")
    (tmp_path / "_sweep_probe.html").write_text('<!DOCTYPE html><html lang="en"><head><title>probe</title></head><body>'
                   '<main><h1>probe</h1><input type="image" src="/missing.png">'
                   '<script>console.error("boom")</script>'
                   '<img src="https://cdn.example.invalid/x.png" alt="x"></main></body></html>')
    with serve(tmp_path) as url:
        failures = _sweep_both_modes(url, ["_sweep_probe.html"])
    assert set(failures) == {"_sweep_probe.html [light]", "_sweep_probe.html [dark]"}
    found = " ".join(failures["_sweep_probe.html [light]"])
    assert "console error: boom" in found and "cdn.example.invalid" in found
    assert "input-image-alt" in found


def test_search_finds_a_term_from_a_chapter(browser, site_url) -> None:  # type: ignore[no-untyped-def]
    """As a reader does it: Ctrl+K on a chapter page, type a term, Enter, read the results.

    The search index loads only on search.html, so this also shows the search field of every
    other page still works without it.
    """
    context, page, problems = open_page(browser, f"{site_url}/book/practices/index.html")
    page.keyboard.press("Control+k")
    page.wait_for_timeout(200)
    page.keyboard.type("PYTHONOPTIMIZE")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?**", timeout=15000)
    page.wait_for_selector("#search-results li", timeout=15000)
    links = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
    context.close()
    assert any("security-model/asserts.html" in href for href in links), links
    assert not problems, problems


def test_theme_switch_toggles_light_and_dark(browser, site_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = open_page(browser, f"{site_url}/book/security-model/asserts.html")
    seen = []
    shots = []
    for i in range(3):
        seen.append(page.evaluate("document.documentElement.dataset.theme"))
        shot = tmp_path / f"mode-{i}.png"
        page.screenshot(path=str(shot))
        shots.append(shot.read_bytes())
        page.click("button.theme-switch-button")
        page.wait_for_timeout(100)
    context.close()
    assert {"light", "dark"} <= set(seen), seen
    background = [page_bg for page_bg in shots]
    assert len(set(background)) >= 2, "light and dark mode render identically"
    assert not problems, problems


def test_unknown_page_gets_the_404_page_with_its_styles(browser, site_url) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = open_page(browser, f"{site_url}/no/such/page.html")
    title = page.title()
    styled = page.evaluate("getComputedStyle(document.body).fontFamily")
    context.close()
    assert "Page not found" in title
    assert "serif" in styled.lower() or "sans" in styled.lower(), styled
    assert not [p for p in problems if "404" not in p], problems


def test_chromium_binary_is_debians() -> None:
    """The tests never use a browser downloaded by Playwright."""
    _require(CHROMIUM, "Chromium", "install it with 'sudo apt-get install chromium'")
    resolved = shutil.which(CHROMIUM) or CHROMIUM
    assert not resolved.startswith(str(Path.home() / ".cache" / "ms-playwright"))
