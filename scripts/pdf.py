"""``make pdf``: the checklist chapter and the whole book as PDF, through headless Chromium.

No LaTeX: each page of the built site is printed with the book's print stylesheet, in the
order of _toc.yml, and the pages are joined with pypdf. Writes _build/pdf/checklist.pdf and
_build/pdf/book.pdf.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter

from sitetools import ROOT, built_site, chromium, serve, toc_pages

OUT = ROOT / "_build" / "pdf"


def print_pages(browser, url: str, pages: list[str]) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter()
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    for doc in pages:
        page.goto(f"{url}/{doc}.html", wait_until="load")
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=False, display_header_footer=True,
                       header_template="<span></span>",
                       footer_template="<div style='font-size:8px;width:100%;text-align:center'>"
                                       "<span class='title'></span> · <span class='pageNumber'></span></div>",
                       margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"})
        writer.append(io.BytesIO(pdf))
    context.close()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> int:
    html = built_site()
    if html is None:
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    pages = toc_pages()
    checklist = [p for p in pages if p.startswith("book/checklist/")]
    with serve(html) as url, chromium() as browser:
        for name, docs in (("checklist", checklist), ("book", pages)):
            target = OUT / f"{name}.pdf"
            target.write_bytes(print_pages(browser, url, docs))
            print(f"{target.relative_to(ROOT)}: {len(docs)} pages of the site")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
