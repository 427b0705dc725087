"""Strip from generated text everything that could point outside the answer.

Answers are rendered as escaped text, so none of this could run or load in a page; it is
removed anyway because an API client may render markdown, and because a URL a document
smuggled into the model's reply must not reach a person in any form.
"""

from __future__ import annotations

import re

# Markdown images and links: ![alt](target) and [text](target); keep a link's visible text.
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
# Reference-style definitions ("[1]: http://...") and reference links ("[text][ref]").
_MD_REF_DEF = re.compile(r"^\s*\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE)
_MD_REF_LINK = re.compile(r"\[([^\]\n]*[^\]\d\s,][^\]\n]*)\]\[[^\]\n]*\]")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_AUTOLINK = re.compile(r"<[a-zA-Z][a-zA-Z0-9+.-]*:[^<>\s]*>")
# Anything shaped like an address: a scheme, "www.", a protocol-relative "//host", a mailto,
# or a data: URI.
_URL = re.compile(
    r"(?:\b[a-zA-Z][a-zA-Z0-9+.-]*://|\bwww\.|(?<![\w:])//(?=[\w-]+\.)|\bmailto:|\bdata:)"
    r"[^\s<>\"'`)\]]*",
    re.IGNORECASE,
)
_CODE_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
# A JSON object (a "tool call" a document asked for, say): text between braces that holds a
# quoted key. Prose sentences do not contain that shape.
_JSON_OBJECT = re.compile(r"\{[^{}]*\"[^\"]*\"\s*:[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
_INLINE_CODE = re.compile(r"`+")
_EMPHASIS = re.compile(r"(\*\*|__|~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_SPACES = re.compile(r"[ \t]+")


def sanitize(text: str) -> str:
    """``text`` without links, images, URLs, HTML, code blocks or JSON objects."""
    text = _CODE_FENCE.sub(" ", text)
    text = _HTML_COMMENT.sub(" ", text)
    text = _AUTOLINK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _MD_IMAGE.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_DEF.sub(" ", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    # Objects nest: strip innermost first until none is left.
    previous = None
    while previous != text:
        previous = text
        text = _JSON_OBJECT.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _INLINE_CODE.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _HEADING.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
