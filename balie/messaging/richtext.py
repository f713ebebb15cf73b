"""Rich text of messages: bold, italic, underline, lists, paragraphs, line breaks and links
(http, https, mailto) survive; everything else is removed on the server, before it is stored.

    clean("<p onclick=x>Hoi <script>alert(1)</script><a href='javascript:x'>hier</a></p>")
    == '<p>Hoi <a rel="noopener noreferrer nofollow">hier</a></p>'
"""

from __future__ import annotations

import html
import re

import nh3

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z]")
_DIV = re.compile(r"<(/?)div\b", re.IGNORECASE)

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a"}
ATTRIBUTES = {"a": {"href"}}
SCHEMES = {"http", "https", "mailto"}


def clean(body: str) -> str:
    """The body as safe HTML: only TAGS, links only with an allowed scheme, and a plain-text body
    (no tags at all) kept as paragraphs and line breaks."""
    body = (body or "").strip()
    if body and not _TAG.search(body):  # typed without the editor: paragraphs from blank lines
        paragraphs = [part.strip() for part in body.replace("\r\n", "\n").split("\n\n") if part.strip()]
        body = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)
    body = _DIV.sub(r"<\1p", body)  # an editor's lines (div) are paragraphs
    return nh3.clean(
        body,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def plain(body_html: str) -> str:
    """The text of sanitised HTML, for search, notifications and the e-mail."""
    text = nh3.clean(body_html.replace("</p>", "</p>\n").replace("<br>", "\n"), tags=set())
    return html.unescape(" ".join(line.strip() for line in text.splitlines() if line.strip()))
