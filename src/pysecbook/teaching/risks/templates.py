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
