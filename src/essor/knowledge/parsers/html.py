"""HTML: visible text only, block elements on their own lines, sections from h1-h6.

Only text nodes are read, so attributes (``onclick``, ``href``...) never reach the text; whole
subtrees that are not content (scripts, styles, navigation, page chrome) are skipped. The walk
is iterative so a deeply nested hostile page cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from essor.knowledge.parsers.base import ParsedDocument
from essor.knowledge.parsers.text import OutlineBuilder, decode_text

_DROP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "math",
        "nav",
        "header",
        "footer",
        "head",
        "object",
        "embed",
        "canvas",
        "-comment",
    }
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Paragraph-level: separated by a blank line. Line-level: on their own line within a block.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figure",
        "form",
        "hr",
        "main",
        "ol",
        "p",
        "section",
        "table",
        "ul",
    }
)
_LINES = frozenset(
    {"br", "caption", "dd", "dt", "figcaption", "legend", "li", "option", "summary", "tr"}
)
_CELLS = frozenset({"td", "th"})
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I
)


def parse_html(data: bytes, stem: str) -> ParsedDocument:
    declared = _META_CHARSET.search(data[:4096])
    html = decode_text(data, declared=declared.group(1).decode("ascii") if declared else None)
    tree = LexborHTMLParser(html)
    walker = _Walker()
    if tree.root is not None:
        walker.walk(tree.root)
    text, sections = walker.builder.build()
    title_node = tree.css_first("title")
    page_title = " ".join(title_node.text(deep=True).split()) if title_node is not None else ""
    title = page_title or walker.builder.first_h1 or stem
    return ParsedDocument(title=title, text=text, sections=sections, format="html")


class _Walker:
    def __init__(self) -> None:
        self.builder = OutlineBuilder()
        self._line: list[str] = []
        self._block: list[str] = []
        self._heading: list[str] | None = None
        self._pre: list[str] | None = None
        self._pre_depth = 0

    def walk(self, root: Any) -> None:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            tag: str = node.tag or ""
            if leaving:
                self._leave(tag)
                continue
            if tag == "-text":
                self._text(node.text_content or "")
                continue
            if tag in _DROP or _hidden(node):
                continue
            self._enter(tag)
            stack.append((node, True))
            children = list(node.iter(include_text=True))
            stack.extend((child, False) for child in reversed(children))
        self._end_block()

    def _text(self, text: str) -> None:
        if self._pre is not None:
            self._pre.append(text)
        elif self._heading is not None:
            self._heading.append(text)
        else:
            self._line.append(text)

    def _enter(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth += 1
            if self._pre is None:
                self._end_block()
                self._pre = []
        elif tag in _HEADINGS and self._heading is None and self._pre is None:
            self._end_block()
            self._heading = []
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in _LINES:
            self._end_line()
        elif tag in _CELLS:
            self._line.append(" ")

    def _leave(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth -= 1
            if self._pre_depth == 0 and self._pre is not None:
                lines = "".join(self._pre).split("\n")
                self.builder.add_block("\n".join(line.rstrip() for line in lines))
                self._pre = None
        elif tag in _HEADINGS and self._heading is not None:
            self.builder.add_heading(_HEADINGS[tag], "".join(self._heading))
            self._heading = None
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in _LINES:
            self._end_line()

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).split())
        self._line.clear()
        if line:
            self._block.append(line)

    def _end_block(self) -> None:
        self._end_line()
        if self._block:
            self.builder.add_block("\n".join(self._block))
            self._block.clear()


def _hidden(node: Any) -> bool:
    attributes = node.attributes
    if not attributes:
        return False
    return "hidden" in attributes or attributes.get("aria-hidden") == "true"
