"""Local Sphinx extension of the Python security book.

- ``{risk} ID``: a risk's card (id, CWE, the static rules that flag it, modules, source
  file) and its insecure code, secure code and attack in tabs, included from ``src/`` so the
  code shown is the code tested.
- ``{risk-catalogue}``: the reference table of every risk, generated from the registry.
- ``{adapted-catalogue}``: every risk's adapted attacks, counted by family.
- ``{detection-catalogue}``: every detection of the project's own (``PSB101``...), with its
  code, the samples it is tested on, and the risks it flags, generated from the registry.
- ``{pyscg-table}``: every rule of the OpenSSF Secure Coding Guide for Python, mapped to the
  book's risks (``pysecbook.teaching.pyscg``).
- Theme fixes: inline scripts registered twice by Jupyter Book on Sphinx 7.4 are emitted once.
- Every executed page is offered as a notebook (``.ipynb``, with its outputs) in the page's
  download menu: the copy myst-nb executed for the build, from ``_build/jupyter_execute``.
- One base URL (``html.baseurl``, or ``PYSECBOOK_BASE_URL``) for sitemap, OpenGraph and 404.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse
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


def _flagged_by(risk: Any) -> str:
    """The static rules that flag a risk's insecure code, or why there is none (MyST)."""
    rules = [f"Bandit `{b}`" for b in risk.bandit]
    rules += [f"pysecbook {{ref}}`{d} <{detection_label(d)}>`" for d in risk.detections]
    if rules:
        return ", ".join(rules)
    return f"no static rule can tell: {risk.no_static_rule}"


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _md_escape(text: str) -> str:
    return _MD_PUNCTUATION.sub(r"\\\1", text)


def md_text(text: str) -> str:
    """``text`` as literal MyST inline text: every ASCII punctuation escaped, on one line."""
    return _md_escape(" ".join(str(text).split()))


_RST_LITERAL = re.compile(r"``(.+?)``")


def md_docstring_text(text: str) -> str:
    """A docstring paragraph as MyST: its reStructuredText literals (````x````) as inline code,
    everything else as literal text (:func:`md_text`)."""
    out, last = [], 0
    flat = " ".join(str(text).split())
    for match in _RST_LITERAL.finditer(flat):
        out.append(_md_escape(flat[last:match.start()]))
        code = match.group(1)
        fence = "``" if "`" in code else "`"
        out.append(f"{fence} {code} {fence}" if fence == "``" else f"`{code}`")
        last = match.end()
    out.append(_md_escape(flat[last:]))
    return "".join(out)


def _adapted_lines(risk: Any, directive: SphinxDirective) -> list[str]:
    """The Attack tab's list of adapted attacks, each run now against the secure version.

    An attack that beats the secure version fails the build: the card would otherwise say
    "held" about code that does not hold.
    """
    if not risk.adapted:
        return ["", f"**Adapted attacks:** none. {md_text(risk.no_adapted)}"]
    reason = risk.unavailable()
    results = None if reason else risk.try_adapted()
    broken = [r.name for r in results or () if not r.held]
    if broken:
        raise directive.error(f"risk {risk.id}: adapted attack(s) beat the secure version: "
                              + "; ".join(broken))
    lines = [
        "",
        f"**Tried against the secure version** ({len(risk.adapted)} adapted attacks, run when "
        "this page was built):",
        "",
        ":::{list-table}",
        ":header-rows: 1",
        ":class: adapted-attacks",
        ":widths: 2 5 5",
        "",
        "* - Family",
        "  - What the attacker tries next",
        "  - Against the secure version",
    ]
    for i, attack in enumerate(risk.adapted):
        if results is None:
            outcome = f"not run on this machine: {md_text(reason)}"
        else:
            outcome = f"**held**: {md_text(results[i].outcome.observed)}"
        lines += [f"* - {attack.family}", f"  - {md_text(attack.name)}", f"  - {outcome}"]
    lines += [":::", ""]
    for attack in risk.adapted:
        src = _source_path(attack.run)
        lines += [
            f":::{{dropdown}} Code: {md_text(attack.name)}",
            f"```{{literalinclude}} /{src}",
            f":pyobject: {attack.run.__qualname__}",
            ":language: python",
            f":caption: {src}",
            "```",
        ]
        if attack.beats is not None:
            beaten = _source_path(attack.beats)
            lines += [
                "",
                f"It is shown beating a first fix, `{attack.beats.__qualname__}`, kept in the "
                "library for that purpose:",
                "",
                f"```{{literalinclude}} /{beaten}",
                f":pyobject: {attack.beats.__qualname__}",
                ":language: python",
                f":caption: {beaten}",
                "```",
            ]
        lines.append(":::")
    return lines


def _contract_rows(risk: Any) -> list[str]:
    terms = risk.contract
    return [
        "* - Secure version assumes",
        f"  - {md_docstring_text(terms.assumes) or '–'}",
        "* - It does not stop",
        f"  - {md_docstring_text(terms.does_not_stop) or '–'}",
    ]


def detection_label(detection_id: str) -> str:
    """The label of a detection's entry in the detection reference."""
    return f"reference-detections-{detection_id.lower()}"


class RiskDirective(_MystDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.teaching.risks import get

        try:
            risk = get(self.arguments[0])
        except KeyError:
            raise self.error(f"unknown risk id {self.arguments[0]!r}") from None
        srcdir = Path(self.env.srcdir)
        files = {_source_path(risk.insecure), _source_path(risk.secure), _source_path(risk.attack),
                 *(_source_path(a.run) for a in risk.adapted),
                 *(_source_path(a.beats) for a in risk.adapted if a.beats is not None)}
        for rel in files:
            if not (srcdir / rel).is_file():
                raise self.error(f"risk {risk.id}: source file {rel} not found")
            self.env.note_dependency(str(srcdir / rel))
        src = _source_path(risk.insecure)
        modules = ", ".join(f"`{m}`" for m in risk.modules)
        lines = [
            "::::{list-table}",
            ":class: risk-card",
            ":widths: 1 4",
            "",
            "* - Risk id",
            f"  - `{risk.id}`",
            "* - Weakness",
            f"  - [CWE-{risk.cwe}]({risk.cwe_url})",
            "* - Flagged by",
            f"  - {_flagged_by(risk)}",
            "* - Modules",
            f"  - {modules}",
            "* - Source",
            f"  - [`{src}`]({REPO_URL}/blob/main/{src}) (`{risk.insecure_ref}`, `{risk.secure_ref}`)",
            *_contract_rows(risk),
            "* - Replay",
            f"  - `pysecbook demo {risk.id}`",
            "::::",
            "",
            ":::::{tab-set}",
            "::::{tab-item} Insecure",
            ":sync: insecure",
            f"```{{literalinclude}} /{_source_path(risk.insecure)}",
            f":pyobject: {risk.insecure.__qualname__}",
            ":language: python",
            f":caption: {_source_path(risk.insecure)}",
            "```",
            "::::",
            "::::{tab-item} Secure",
            ":sync: secure",
            f"```{{literalinclude}} /{_source_path(risk.secure)}",
            f":pyobject: {risk.secure.__qualname__}",
            ":language: python",
            f":caption: {_source_path(risk.secure)}",
            "```",
            "::::",
            "::::{tab-item} Attack",
            ":sync: attack",
            f"```{{literalinclude}} /{_source_path(risk.attack)}",
            f":pyobject: {risk.attack.__qualname__}",
            ":language: python",
            f":caption: {_source_path(risk.attack)}",
            "```",
            *_adapted_lines(risk, self),
            "::::",
            ":::::",
        ]
        return self.render("\n".join(lines))


class RiskCatalogueDirective(_MystDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.teaching.risks import all_risks

        risks = all_risks()
        srcdir = Path(self.env.srcdir)
        for path in sorted((srcdir / "src" / "pysecbook" / "teaching" / "risks").glob("*.py")):
            self.env.note_dependency(str(path))
        lines = [
            "::::{list-table}",
            ":header-rows: 1",
            ":class: risk-catalogue",
            "",
            "* - Id",
            "  - Risk",
            "  - CWE",
            "  - Flagged by",
            "  - Modules",
        ]
        for r in risks:
            lines += [
                f"* - `{r.id}`",
                f"  - {{doc}}`{r.title} </book/{r.page}>`",
                f"  - [CWE-{r.cwe}]({r.cwe_url})",
                f"  - {', '.join(r.static_rules) or '–'}",
                f"  - {', '.join(f'`{m}`' for m in r.modules)}",
            ]
        lines.append("::::")
        return self.render("\n".join(lines))


class AdaptedCatalogueDirective(_MystDirective):
    """Every risk's adapted attacks, counted by family, generated from the registry."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.teaching.risks import FAMILIES, all_risks

        risks = all_risks()
        srcdir = Path(self.env.srcdir)
        for path in sorted((srcdir / "src" / "pysecbook" / "teaching" / "risks").glob("*.py")):
            self.env.note_dependency(str(path))
        total = sum(len(r.adapted) for r in risks)
        per_family = {f: sum(a.family == f for r in risks for a in r.adapted) for f in FAMILIES}
        lines = [
            f"{total} adapted attacks against the secure versions of {len(risks)} risks "
            f"({total / len(risks):.1f} per risk); "
            f"{sum(1 for r in risks if not r.adapted)} risk(s) have none, and say why.",
            "",
            "::::{list-table}",
            ":header-rows: 1",
            ":class: adapted-families",
            ":widths: 2 1 6",
            "",
            "* - Family",
            "  - Attacks",
            "  - What it covers",
        ]
        for family, text in FAMILIES.items():
            lines += [f"* - {family}", f"  - {per_family[family]}", f"  - {md_text(text)}"]
        lines += [
            "::::",
            "",
            "::::{list-table}",
            ":header-rows: 1",
            ":class: adapted-catalogue",
            ":widths: 3 1 5",
            "",
            "* - Risk",
            "  - Adapted",
            "  - Families",
        ]
        for r in risks:
            families = sorted({a.family for a in r.adapted})
            lines += [
                f"* - {{doc}}`{r.id} </book/{r.page}>`",
                f"  - {len(r.adapted)}",
                f"  - {', '.join(families) if families else 'none: ' + md_text(r.no_adapted)}",
            ]
        lines.append("::::")
        return self.render("\n".join(lines))


class DetectionCatalogueDirective(_MystDirective):
    """Every detection of the project's own: what it flags, its code, its samples."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.checker.detections import all_detections
        from pysecbook.teaching.risks import all_risks

        risks = all_risks()
        srcdir = Path(self.env.srcdir)
        lines: list[str] = []
        for detection in all_detections():
            plugin = detection.plugin
            src = _source_path(plugin)
            self.env.note_dependency(str(srcdir / src))
            flagged = [r for r in risks if detection.id in r.detections]
            risk_links = ", ".join(f"{{doc}}`{r.id} </book/{r.page}>`" for r in flagged) or "–"
            lines += [
                f"({detection_label(detection.id)})=",
                f"```{{rubric}} {detection.id}: {detection.title}",
                "```",
                "",
                "::::{list-table}",
                ":class: risk-card",
                ":widths: 1 4",
                "",
                "* - Family",
                f"  - {detection.family}",
                "* - Severity, confidence",
                f"  - {detection.severity}, {detection.confidence}",
                "* - Weakness",
                f"  - [CWE-{detection.cwe}]({detection.cwe_url})",
                "* - Flags the insecure code of",
                f"  - {risk_links}",
                "* - Bandit plugin",
                f"  - `{plugin.__name__}` in [`{src}`]({REPO_URL}/blob/main/{src})",
                "* - Fix",
                f"  - {detection.fix}",
                "::::",
                "",
                f"```{{literalinclude}} /{src}",
                f":pyobject: {plugin.__qualname__}",
                ":language: python",
                "```",
                "",
                f":::{{dropdown}} Tested on: {len(detection.flags)} sample(s) it flags, "
                f"{len(detection.passes)} near miss(es) it passes",
            ]
            for kind, samples in (("flags", detection.flags), ("passes", detection.passes)):
                for sample in samples:
                    lines += [f"*{kind}:*", "", "```python", sample.rstrip("\n"), "```", ""]
            lines += [":::", ""]
        return self.render("\n".join(lines))


class PyscgTableDirective(_MystDirective):
    """Every rule of the OpenSSF Secure Coding Guide for Python, and the book's risks for it."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from pysecbook.teaching import pyscg
        from pysecbook.teaching.risks import get

        self.env.note_dependency(str(Path(self.env.srcdir) / _source_path(pyscg.by_family)))
        without = [r.id for r in pyscg.RULES if not r.risks]
        named = {risk for r in pyscg.RULES for risk in r.risks}
        lines = [
            f"{len(pyscg.RULES)} rules in {len(pyscg.FAMILIES)} families, read from the guide's "
            f"index at commit [`{pyscg.SOURCE_COMMIT[:12]}`]({pyscg.SOURCE_URL}/readme.md); "
            f"{len(pyscg.RULES) - len(without)} have at least one risk in this book "
            f"({len(named)} risks in all), "
            f"{len(without)} {'has' if len(without) == 1 else 'have'} none"
            f"{': ' + ', '.join(without) if without else ''}.",
            "",
        ]
        for family, rules in pyscg.by_family().items():
            lines += [
                f"```{{rubric}} {family}",
                "```",
                "",
                "::::{list-table}",
                ":header-rows: 1",
                ":class: pyscg-table",
                ":widths: 2 5 2 4 5",
                "",
                "* - Rule",
                "  - Title",
                "  - CWE",
                "  - Risks in this book",
                "  - Note",
            ]
            for rule in rules:
                try:
                    risks = [get(r) for r in rule.risks]
                except KeyError as exc:
                    raise self.error(f"{rule.id} names an unknown risk: {exc}") from None
                links = ", ".join(f"{{doc}}`{r.id} </book/{r.page}>`" for r in risks) or "none"
                cwes = ", ".join(f"[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)"
                                 for c in rule.cwes)
                lines += [
                    f"* - [{rule.id}]({rule.url})",
                    f"  - {rule.title}",
                    f"  - {cwes}",
                    f"  - {links}",
                    f"  - {rule.note or '–'}",
                ]
            lines += ["::::", ""]
        return self.render("\n".join(lines))


_SUMMARY = '<summary><span class="toctree-toggle" role="presentation">'
_SUMMARY_LABELLED = ('<summary aria-label="Show or hide the pages of this section">'
                     '<span class="toctree-toggle" role="presentation">')


def _fix_page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:
    """Browser-side fixes of the default theme, applied to every page.

    - Jupyter Book 1 on Sphinx 7.4 registers some inline scripts twice, and the page then
      throws "Identifier 'THEBE_JS_URL' has already been declared": keep one of each.
    - Thebe (live code through Binder) is off, so its scripts, which name a CDN, are dropped.
    - The sidebar's expand/collapse <summary> elements hold only an icon; give them a name.
    """
    scripts = context.get("script_files")
    if scripts:
        seen: set[tuple[str, str]] = set()
        unique = []
        for js in scripts:
            body = str(js.attributes.get("body", ""))
            key = (str(js.filename), body)
            if key in seen or "THEBE_JS_URL" in body or "sphinx-thebe" in str(js.filename):
                continue
            seen.add(key)
            unique.append(js)
        scripts[:] = unique
    styles = context.get("css_files")
    if styles:
        styles[:] = [css for css in styles if "sphinx-thebe" not in str(css.filename)]
    toctree = context.get("generate_toctree_html")
    if toctree and not getattr(toctree, "_pysecbook", False):
        def labelled(*args: Any, **kwargs: Any) -> str:
            return str(toctree(*args, **kwargs)).replace(_SUMMARY, _SUMMARY_LABELLED)

        labelled._pysecbook = True  # type: ignore[attr-defined]
        context["generate_toctree_html"] = labelled


def _offer_notebook(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    """Put the executed notebook of ``pagename`` in ``_sources`` and in the download menu.

    myst-nb writes each executed page to ``<outdir>/../jupyter_execute/<page>.ipynb``; the
    theme lists ``context["ipynb_source"]`` in its download menu, but copies the notebook
    only when a launch service (Binder, Colab, ...) is configured, and this book has none.
    Runs before the theme builds its header buttons (priority 501).
    """
    if context.get("ipynb_source") or not context.get("page_source_suffix"):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _complete_executed_notebook(app: Sphinx, doctree: Any) -> None:
    """Give ``jupyter_execute/<page>.ipynb`` the outputs its page was rendered with.

    myst-nb writes that file from the notebook as it read it, not from the copy its cache
    merged the outputs into (myst_nb/sphinx_.py writes ``notebook``, not
    ``nb_client.notebook``): a page found in the execution cache got a notebook with no
    outputs, and so did its download. Every page is found there since scripts/build_book.py
    executes them before Sphinx reads (before, a prose edit did it to the edited page). The
    outputs come back from the same cache, matched the same way.
    """
    path = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
    if not path.is_file():
        return
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    if not code or all(c.get("execution_count") is not None for c in code):
        return
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        _, merged = cache.merge_match_into_notebook(notebook)
    except KeyError:  # not cached: myst-nb executed it in place, and wrote it complete
        return
    path.write_text(nbformat.writes(merged), encoding="utf-8")


def _derive_urls(app: Sphinx, config: Any) -> None:
    """One base URL drives the sitemap, canonical links, OpenGraph and the 404 page."""
    base = os.environ.get("PYSECBOOK_BASE_URL") or config.html_baseurl or ""
    if base and not base.endswith("/"):
        base += "/"
    config.html_baseurl = base
    if base:
        config.ogp_site_url = base
        config.notfound_urls_prefix = urlparse(base).path or "/"


#: Extensions that are parallel-safe but do not say so, and what they do. Sphinx assumes an
#: undeclared extension is unsafe, warns (an error under -W) and reads serially.
_UNDECLARED_PARALLEL_SAFE = {
    # Loaded by sphinx-external-toc. Its setup() patches TocTreeCollector.assign_section_numbers
    # (run once, in the main process, after every page is read) and logs at builder-inited;
    # it keeps no state per document and adds no read or write handler.
    "sphinx_multitoc_numbering",
}


def _declare_parallel_safe(app: Sphinx) -> None:
    for name in _UNDECLARED_PARALLEL_SAFE:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = ext.parallel_write_safe = True


def setup(app: Sphinx) -> dict[str, Any]:
    # This extension keeps no state of its own between documents (each {risk} card is made
    # from the registry, dependencies go through env.note_dependency, which Sphinx merges
    # from parallel readers), so it is parallel-safe; see _UNDECLARED_PARALLEL_SAFE.
    _declare_parallel_safe(app)
    app.connect("config-inited", _derive_urls)
    app.add_directive("risk", RiskDirective)
    app.add_directive("risk-catalogue", RiskCatalogueDirective)
    app.add_directive("detection-catalogue", DetectionCatalogueDirective)
    app.add_directive("adapted-catalogue", AdaptedCatalogueDirective)
    app.add_directive("pyscg-table", PyscgTableDirective)
    app.connect("html-page-context", _fix_page_context, priority=900)
    app.connect("html-page-context", _offer_notebook, priority=500)
    app.connect("doctree-read", _complete_executed_notebook)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
