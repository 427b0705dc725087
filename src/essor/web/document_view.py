"""A document's text cut into headed blocks, with a cited passage marked for the page.

Headings are rebuilt from section paths rather than from the raw text, so a page is the same
whatever the source format was; the text between sections is only headings, which this rebuilds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from essor.knowledge.queries import DocumentInfo, SectionInfo

MAX_HEADING_LEVEL = 6


@dataclass(frozen=True)
class Piece:
    text: str
    marked: bool = False
    anchor: bool = False  # the first marked piece carries the id the link scrolls to


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass
class Block:
    anchor: str
    headings: list[Heading] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)


def highlight_range(start: int | None, end: int | None, length: int) -> tuple[int, int] | None:
    """A valid ``[start, end)`` inside the text, or None (stale or hand-edited links)."""
    if start is None or end is None or not (0 <= start < end <= length):
        return None
    return start, end


def _pieces(text: str, a: int, b: int, mark: tuple[int, int] | None, anchored: bool) -> list[Piece]:
    if mark is None or mark[1] <= a or mark[0] >= b:
        return [Piece(text[a:b])]
    lo, hi = max(a, mark[0]), min(b, mark[1])
    out = [Piece(text[a:lo])] if lo > a else []
    out.append(Piece(text[lo:hi], marked=True, anchor=not anchored))
    if hi < b:
        out.append(Piece(text[hi:b]))
    return out


def _new_headings(prev: tuple[str, ...], section: SectionInfo, title: str) -> list[Heading]:
    path = section.path or ((section.title,) if section.title else ())
    common = 0
    while common < min(len(prev), len(path)) and prev[common] == path[common]:
        common += 1
    headings = []
    for depth in range(common, len(path)):
        if depth == 0 and path[0] == title:
            continue  # the document title is already the page's h1
        headings.append(Heading(min(MAX_HEADING_LEVEL, max(2, depth + 1)), path[depth]))
    return headings


def document_blocks(doc: DocumentInfo, mark: tuple[int, int] | None) -> list[Block]:
    if not doc.sections:
        return [Block("section-0", pieces=_pieces(doc.text, 0, len(doc.text), mark, False))]
    blocks: list[Block] = []
    prev: tuple[str, ...] = ()
    anchored = False
    for section in doc.sections:
        pieces = _pieces(doc.text, section.start, section.end, mark, anchored)
        anchored = anchored or any(p.anchor for p in pieces)
        headings = _new_headings(prev, section, doc.title)
        blocks.append(Block(f"section-{section.ordinal}", headings, pieces))
        prev = section.path
    return blocks
