"""Local Sphinx extension of the Python security book.

- ``{risk} ID``: a risk's card (id, CWE, Bandit ids, modules, source file) and its insecure
  and secure code in tabs, included from ``src/`` so the code shown is the code tested.
- ``{risk-catalogue}``: the reference table of every risk, generated from the registry.
- Theme fixes: inline scripts registered twice by Jupyter Book on Sphinx 7.4 are emitted once.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

REPO_URL = "https://github.com/pysecbook/pysecbook"


def _source_path(func: Any) -> str:
    """The function's file as a path under the repository root, e.g. ``src/pysecbook/x.py``."""
    module = inspect.getmodule(func)
    assert module is not None and module.__file__  # noqa: S101 - build-time invariant
    rel = module.__name__.replace(".", "/")
    return f"src/{rel}.py" if not module.__file__.endswith("__init__.py") else f"src/{rel}/__init__.py"


class _MystDirective(SphinxDirective):
    """A directive that writes MyST markdown and lets the parser turn it into nodes."""

    def render(self, text: str) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(text.splitlines(), source=self.get_source_info()[0]),
                                self.content_offset, container)
        return container.children


class RiskDirective(_MystDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.risks import get

        try:
            risk = get(self.arguments[0])
        except KeyError:
            raise self.error(f"unknown risk id {self.arguments[0]!r}") from None
        srcdir = Path(self.env.srcdir)
        files = {_source_path(risk.insecure), _source_path(risk.secure)}
        for rel in files:
            if not (srcdir / rel).is_file():
                raise self.error(f"risk {risk.id}: source file {rel} not found")
            self.env.note_dependency(str(srcdir / rel))
        src = _source_path(risk.insecure)
        bandit = ", ".join(f"`{b}`" for b in risk.bandit) or "none (Bandit has no rule for it)"
        modules = ", ".join(f"`{m}`" for m in risk.modules)
        lines = [
            f"::::{{list-table}}",
            ":class: risk-card",
            ":widths: 1 4",
            "",
            f"* - Risk id",
            f"  - `{risk.id}`",
            f"* - Weakness",
            f"  - [CWE-{risk.cwe}]({risk.cwe_url})",
            f"* - Bandit",
            f"  - {bandit}",
            f"* - Modules",
            f"  - {modules}",
            f"* - Source",
            f"  - [`{src}`]({REPO_URL}/blob/main/{src}) (`{risk.insecure_ref}`, `{risk.secure_ref}`)",
            f"* - Replay",
            f"  - `pysecbook demo {risk.id}`",
            "::::",
            "",
            "::::{tab-set}",
            ":::{tab-item} Insecure",
            ":sync: insecure",
            f"```{{literalinclude}} /{_source_path(risk.insecure)}",
            f":pyobject: {risk.insecure.__qualname__}",
            ":language: python",
            f":caption: {_source_path(risk.insecure)}",
            "```",
            ":::",
            ":::{tab-item} Secure",
            ":sync: secure",
            f"```{{literalinclude}} /{_source_path(risk.secure)}",
            f":pyobject: {risk.secure.__qualname__}",
            ":language: python",
            f":caption: {_source_path(risk.secure)}",
            "```",
            ":::",
            "::::",
        ]
        return self.render("\n".join(lines))


class RiskCatalogueDirective(_MystDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.risks import all_risks

        risks = all_risks()
        srcdir = Path(self.env.srcdir)
        for path in sorted((srcdir / "src" / "pysecbook" / "risks").glob("*.py")):
            self.env.note_dependency(str(path))
        lines = [
            "::::{list-table}",
            ":header-rows: 1",
            ":class: risk-catalogue",
            "",
            "* - Id",
            "  - Risk",
            "  - CWE",
            "  - Bandit",
            "  - Modules",
        ]
        for r in risks:
            lines += [
                f"* - `{r.id}`",
                f"  - {{doc}}`{r.title} </book/{r.page}>`",
                f"  - [CWE-{r.cwe}]({r.cwe_url})",
                f"  - {', '.join(r.bandit) or '–'}",
                f"  - {', '.join(f'`{m}`' for m in r.modules)}",
            ]
        lines.append("::::")
        return self.render("\n".join(lines))


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    """Jupyter Book 1 on Sphinx 7.4 registers some inline scripts twice; keep the first."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for js in scripts:
        key = (str(js.filename), str(js.attributes.get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("risk", RiskDirective)
    app.add_directive("risk-catalogue", RiskCatalogueDirective)
    app.connect("html-page-context", _dedupe_scripts, priority=1000)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
