"""Training text in Markdown, rendered safely: raw HTML is escaped, images are not rendered
(nothing is fetched from elsewhere) and links keep only http(s) and mailto addresses."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def _validate_link(url: str) -> bool:
    return bool(_SAFE_LINK.match(url.strip()))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.disable("image")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


_MD = _parser()


def render_markdown(text: str) -> Markup:
    """HTML for ``text``; safe to insert as is (the parser escapes everything it does not
    produce itself)."""
    return Markup(_MD.render(text or ""))
