"""Jinja2 without autoescaping writes a user's markup into the page as markup.

``jinja2.Environment()`` does not escape by default (``autoescape=False``): a comment
containing ``<script>`` is emitted as a script element. With ``autoescape=True`` (or
``select_autoescape()`` for ``.html`` templates), ``<`` becomes ``&lt;`` and the comment is
shown as text. Bandit rule B701 flags the first.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import jinja2

from pysecbook.teaching.risks import Outcome, Risk, register

#: The page fragment that shows a visitor's comment.
COMMENT_TEMPLATE = "<article class='comment'><p>{{ comment }}</p></article>"

#: What the attacker posts as a comment (it runs in the browser of whoever reads the page).
ATTACK_COMMENT = "Nice post!<script>alert(document.cookie)</script>"


def render_comment_insecure(comment: str) -> str:
    """Render a visitor's comment into HTML; the environment does not escape."""
    env = jinja2.Environment(autoescape=False)  # nosec B701 - deliberately insecure: demonstration of PSB-JINJA-AUTOESCAPE
    return env.from_string(COMMENT_TEMPLATE).render(comment=comment)


def render_comment_secure(comment: str) -> str:
    """Render a visitor's comment into HTML; the environment escapes every value."""
    env = jinja2.Environment(autoescape=True)
    return env.from_string(COMMENT_TEMPLATE).render(comment=comment)


#: A comment whose author may use some formatting, and an attacker's version of one.
RICH_COMMENTS = (
    "Thanks, <b>very</b> useful: see <a href='https://docs.python.org/3/'>the docs</a>.",
    "<img src=x onerror=alert(1)>Nice <a href='javascript:alert(1)'>post</a><script>steal()</script>",
)


def sanitize_comment_html(comment: str) -> str:
    """Keep the formatting a comment may use (bold, italics, links, paragraphs) and drop the
    rest, with nh3 (the Ammonia sanitiser), then render it as markup that is already safe."""
    import markupsafe
    import nh3

    clean = nh3.clean(comment, tags={"b", "i", "em", "strong", "a", "p", "br"},
                      attributes={"a": {"href"}}, url_schemes={"https", "mailto"})
    env = jinja2.Environment(autoescape=True)
    return env.from_string(COMMENT_TEMPLATE).render(comment=markupsafe.Markup(clean))  # nosec B704 - nh3 output: markup already sanitised to an allowlist


def attack(func: object) -> Outcome:
    """Post a comment with a script element: is it in the HTML as a live element?"""
    html = func(ATTACK_COMMENT)  # type: ignore[operator]
    if "<script>" in str(html):
        return Outcome(True, f"rendered HTML contains the script element: {html}")
    return Outcome(False, f"rendered HTML shows the comment as text: {html}")


RISK = register(
    Risk(
        id="PSB-JINJA-AUTOESCAPE",
        title="Jinja2 with autoescaping off",
        summary="Environment() does not escape by default: a user's <script> lands in the "
        "page as a script (cross-site scripting).",
        cwe=79,
        bandit=("B701",),
        modules=("jinja2",),
        page="practices/code-injection",
        insecure=render_comment_insecure,
        secure=render_comment_secure,
        attack=attack,
    )
)
