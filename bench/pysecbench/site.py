"""The site's weight and Lighthouse scores, from the book part's clean build if it ran.

Cold load in a fresh Playwright context (cache disabled, Debian's Chromium) from a local
server on 127.0.0.1 that compresses text as the publishing hosts do; Lighthouse's desktop
preset against the same server.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from pysecbench import Part, book, register
from pysecbench.common import BENCH, ROOT, fmt_bytes, not_measured, run, target

HOME_PAGE = "book/index.html"
CHAPTER_PAGE = "book/practices/deserialization.html"
LIMITS = {"chapter_kb": 600.0, "lh_performance": 95, "lh_other": 100}


def _page_weight(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context()  # fresh: empty cache, no cookies
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    assets = []
    for request in finished:
        sizes = request.sizes()
        response = request.response()
        body = b""
        with contextlib.suppress(Exception):
            body = response.body() if response else b""
        assets.append({
            "url": request.url.split("?")[0].split("/", 3)[-1],
            "type": request.resource_type,
            "status": response.status if response else None,
            "bytes": sizes["responseBodySize"] + max(sizes["responseHeadersSize"], 0),
            "body_bytes": sizes["responseBodySize"],
            "gzip_bytes": len(gzip.compress(body, 6)) if body else 0,
            "uncompressed_bytes": len(body),
        })
    context.close()
    assets.sort(key=lambda a: a["bytes"], reverse=True)
    return {"requests": len(assets), "bytes": sum(a["bytes"] for a in assets),
            "gzip_bytes": sum(a["gzip_bytes"] for a in assets),
            "uncompressed_bytes": sum(a["uncompressed_bytes"] for a in assets),
            "largest": assets[:8]}


def _details(audit: dict[str, Any]) -> str:
    """The first items of a failing Lighthouse audit, shortened: what it actually saw."""
    items = (audit.get("details") or {}).get("items") or []
    seen = []
    for item in items[:3]:
        text = item.get("description") or item.get("url") or (item.get("node") or {}).get(
            "snippet") or item.get("source") or ""
        seen.append(" ".join(str(text).split())[:160])
    return " | ".join(s for s in seen if s)


def _lighthouse(url: str, workdir: Path) -> dict[str, Any]:
    exe = BENCH / "node_modules" / ".bin" / "lighthouse"
    if not exe.exists():
        return {"error": "Lighthouse is not installed (run `npm ci` in bench/)"}
    sys.path.insert(0, str(ROOT / "scripts"))
    from sitetools import CHROMIUM, CHROMIUM_FLAGS

    profile = tempfile.mkdtemp(prefix="lh-profile-", dir=workdir)
    report = workdir / f"lh-{abs(hash(url))}.json"
    flags = " ".join(["--headless=new", *CHROMIUM_FLAGS, f"--user-data-dir={profile}"])
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    proc = run([str(exe), url, "--preset=desktop", "--output=json", f"--output-path={report}",
                "--quiet", f"--chrome-flags={flags}"], cwd=BENCH, env=env, timeout=300)
    if proc.returncode != 0 or not report.is_file():
        return {"error": f"lighthouse exited {proc.returncode}: "
                         + " ".join(proc.stderr.strip().splitlines()[-3:])}
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {k: (round(v["score"] * 100) if v.get("score") is not None else None)
              for k, v in data["categories"].items()}
    failing = []
    for key, cat in data["categories"].items():
        for ref in cat["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.append({"category": key, "id": ref["id"], "title": audit["title"],
                                "score": audit["score"], "weight": ref["weight"],
                                "value": audit.get("displayValue", "") or _details(audit)})
    opportunities = []
    for audit in data["audits"].values():
        details = audit.get("details") or {}
        saving = details.get("overallSavingsMs") or 0
        if details.get("type") == "opportunity" and saving > 0:
            opportunities.append({"id": audit["id"], "title": audit["title"],
                                  "savings_ms": round(saving),
                                  "items": [str(i.get("url", "")).split("?")[0].split("/", 3)[-1]
                                            for i in details.get("items", [])[:5]]})
    opportunities.sort(key=lambda o: o["savings_ms"], reverse=True)
    metrics = {k: data["audits"][k].get("displayValue") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "cumulative-layout-shift", "speed-index") if k in data["audits"]}
    return {"scores": scores, "failing": failing, "metrics": metrics,
            "opportunities": opportunities[:5],
            "version": data.get("lighthouseVersion")}


def run_site(args: Any, workdir: Path) -> dict[str, Any]:
    html = book.html_dir(workdir)
    if not (html / "index.html").is_file():
        html = ROOT / "_build" / "html"
        if not (html / "index.html").is_file():
            return {"skipped": "no built site (run `make book`, or the book part of the bench)"}
    sys.path.insert(0, str(ROOT / "scripts"))
    from sitetools import chromium, serve

    pages = []
    with serve(html, compress=True) as base, chromium() as browser:
        for rel in (HOME_PAGE, CHAPTER_PAGE):
            if not (html / rel).is_file():
                pages.append({"page": rel, "requests": 0, "bytes": None, "gzip_bytes": None,
                              "largest": [], "lighthouse": {"error": "page not in the site"}})
                continue
            weight = _page_weight(browser, f"{base}/{rel}")
            pages.append({"page": rel, **weight, "lighthouse": _lighthouse(f"{base}/{rel}",
                                                                          workdir)})
    return {"site": str(html), "pages": pages, "description": (
        "Cold load (fresh Playwright context, cache disabled, Debian's Chromium) from the site "
        "built by the clean build above, served by scripts/sitetools.py on 127.0.0.1 with gzip "
        "compression of text files, as GitHub Pages and Read the Docs serve the book. Bytes "
        "transferred: the sum of response bodies (as sent, compressed) and headers of every "
        "request; 'uncompressed': the decoded bodies, what an uncompressing server such as "
        "`python -m http.server` would send. Lighthouse desktop preset against the same local "
        "server.")}



def _kb(value: float | None) -> float | None:
    return None if value is None else value / 1000


def _why_site(p: dict[str, Any]) -> dict[str, str]:
    why: dict[str, str] = {}
    if p["page"] == CHAPTER_PAGE and p.get("largest"):
        top = ", ".join(f"{a['url']} {fmt_bytes(a['bytes'])}" for a in p["largest"][:4])
        why["weight"] = (f"{p['requests']} requests; largest: {top}. Served compressed, as "
                         f"the publishing hosts do; uncompressed the page is "
                         f"{fmt_bytes(p.get('uncompressed_bytes') or 0)}.")
    lh = p.get("lighthouse") or {}
    for cat in ("performance", "accessibility", "best-practices", "seo"):
        fails = [f for f in lh.get("failing", []) if f["category"] == cat]
        if fails:
            why[cat] = "; ".join(f"`{f['id']}` ({f['title']}{': ' + f['value'] if f['value'] else ''})"
                                 for f in fails[:5])
            if cat == "performance" and lh.get("opportunities"):
                o = lh["opportunities"][0]
                why[cat] += (f". Largest estimated saving: `{o['id']}`, {o['savings_ms']} ms ("
                             f"{', '.join(o['items'][:3])}). Lighthouse's desktop preset "
                             f"simulates a throttled network.")
        elif lh.get("error"):
            why[cat] = lh["error"]
    return why


def site_targets(site: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    pages = {p["page"]: p for p in site.get("pages", [])}
    chapter = pages.get(CHAPTER_PAGE, {})
    out = [target(f"cold load of {CHAPTER_PAGE}", _kb(chapter.get("bytes")), LIMITS["chapter_kb"],
                  "max", "KB", _why_site(chapter).get("weight", "") if chapter else "")]
    for rel in (HOME_PAGE, CHAPTER_PAGE):
        page = pages.get(rel) or {}
        why = _why_site(page) if page else {}
        scores = (page.get("lighthouse") or {}).get("scores", {})
        for cat, label in (("performance", "performance"), ("accessibility", "accessibility"),
                           ("best-practices", "best practices"), ("seo", "SEO")):
            limit = LIMITS["lh_performance"] if cat == "performance" else LIMITS["lh_other"]
            out.append(target(f"Lighthouse {label}, {rel}", scores.get(cat), limit, "min", "",
                              why.get(cat, "")))
    return out


def render_site(site: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if not site or site.get("skipped"):
        return [not_measured(site), ""]
    out = [site["description"], "",
           "| Page | Requests | Bytes transferred | Uncompressed | Lighthouse perf | "
           "a11y | best practices | SEO |", "|---|---|---|---|---|---|---|---|"]
    for p in site["pages"]:
        sc = (p.get("lighthouse") or {}).get("scores", {})

        def s(k: str, sc: dict[str, Any] = sc) -> str:
            v = sc.get(k)
            return "not measured" if v is None else str(v)

        out.append(f"| {p['page']} | {p['requests']} | {fmt_bytes(p['bytes'])} | "
                   f"{fmt_bytes(p.get('uncompressed_bytes') or p['bytes'])} | {s('performance')} | "
                   f"{s('accessibility')} | {s('best-practices')} | {s('seo')} |")
    out.append("")
    for p in site["pages"]:
        out += [f"Largest assets of {p['page']}:", "",
                "| Asset | Type | Bytes transferred | Uncompressed |", "|---|---|---|---|"]
        out += [f"| {a['url']} | {a['type']} | {fmt_bytes(a['bytes'])} | "
                f"{fmt_bytes(a.get('uncompressed_bytes') or a['bytes'])} |" for a in p["largest"]]
        out.append("")
        lh = p.get("lighthouse") or {}
        if lh.get("error"):
            out += [f"Lighthouse on {p['page']}: {lh['error']}", ""]
        elif lh.get("failing"):
            out += [f"Lighthouse audits below full marks on {p['page']}:", ""]
            out += [f"- {f['category']}: `{f['id']}` ({f['title']}), score {f['score']}"
                    + (f": {f['value']}" if f.get("value") else "") for f in lh["failing"]]
            out.append("")
        if lh.get("opportunities"):
            out += [f"Lighthouse's estimated savings on {p['page']}:", ""]
            out += [f"- `{o['id']}` ({o['title']}): {o['savings_ms']} ms"
                    + (f"; {', '.join(o['items'])}" if o["items"] else "")
                    for o in lh["opportunities"]]
            out.append("")
    return out


PART = register(Part("site", "The site", run_site, render_site, site_targets, order=30,
                     help="page weight and Lighthouse, on the book part's build"))
