// The book's own scripts: print preparation, and keyboard access to scrollable areas.
// Before printing, open every dropdown and label every tab, so nothing is hidden on paper.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  document.querySelectorAll(".sd-tab-set > .sd-tab-content").forEach((content) => {
    const label = content.previousElementSibling;
    if (label && label.tagName === "LABEL") content.dataset.printLabel = label.textContent.trim();
  });
});

// Scrollable code and output areas must be reachable from the keyboard (WCAG 2.1.1).
window.addEventListener("load", () => {
  document.querySelectorAll(".bd-article pre, .bd-article .cell_output, .bd-article .output").forEach((el) => {
    if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) el.tabIndex = 0;
  });
});
