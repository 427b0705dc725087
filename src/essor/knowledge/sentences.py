"""Sentence spans with character offsets, for chunking and for quoting in answers."""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (optionally closed by quotes/brackets) followed by space, or at a
# line break. Abbreviations like "art." or "p." are rare enough in the corpora to accept the
# occasional split; a missed split only makes a quote longer.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'»”)\]]*\s+(?=[\"'«“(\[]?[A-ZÀ-Ý0-9])|\n+")
_ABBREVIATIONS = re.compile(r"(?:\b(?:art|p|cf|ex|etc|M|Mme|Dr|St|no|n°|e\.g|i\.e|vs|al))\.$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-empty sentence spans of ``text[start:end]``, trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.group(0).strip() == "" and "\n" not in match.group(0):
            before = text[cursor : match.start()]
            if _ABBREVIATIONS.search(before):
                continue
        _append_trimmed(text, cursor, match.start(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))
