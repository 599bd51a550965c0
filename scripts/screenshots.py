"""``make screenshots``: the home page and the checklist page as readers see them.

Desktop (1280 px) and phone (390 px) widths, light and dark mode, from the built site served on
127.0.0.1, in Debian's Chromium. Writes PNGs to _build/screenshots/.
"""

from __future__ import annotations

from sitetools import ROOT, built_site, chromium, serve

PAGES = {"home": "book/index.html", "checklist": "book/checklist/index.html"}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
OUT = ROOT / "_build" / "screenshots"


def main() -> int:
    html = built_site()
    if html is None:
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with serve(html) as url, chromium() as browser:
        for name, path in PAGES.items():
            for width_name, (width, height) in WIDTHS.items():
                for mode in ("light", "dark"):
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  color_scheme=mode, device_scale_factor=1)
                    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
                    page = context.new_page()
                    page.goto(f"{url}/{path}", wait_until="load")
                    target = OUT / f"{name}-{width_name}-{mode}.png"
                    page.screenshot(path=str(target), full_page=False)
                    context.close()
                    print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
