"""Cut sections into chunks that fit an embedding window, at sentence boundaries.

Token counts are estimated for a WordPiece vocabulary (all-MiniLM-L6-v2's, English), erring
on the high side: a word costs one piece per three letters plus one if accented (French words
split into many pieces), a digit run one per two digits, each punctuation mark one. Calibrated
against the real tokenizer on the shared corpora; tests/knowledge/test_chunk_window.py checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from essor.knowledge.parsers.base import ParsedDocument
from essor.knowledge.sentences import sentence_spans

_PIECE = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_", re.UNICODE)
SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True)
class ChunkSpan:
    section_index: int
    start: int
    end: int


def estimate_tokens(text: str) -> int:
    total = 0
    for piece in _PIECE.findall(text):
        if piece.isdigit():
            total += -(-len(piece) // 2)
        elif len(piece) == 1 or not piece[0].isalnum():
            total += 1
        else:
            extra = 1 if not piece.isascii() else 0
            total += -(-len(piece) // 3) + extra
    return total


def chunk_document(doc: ParsedDocument, max_tokens: int = 256) -> list[ChunkSpan]:
    budget = max_tokens - SPECIAL_TOKENS
    chunks: list[ChunkSpan] = []
    for index, section in enumerate(doc.sections):
        chunks.extend(_chunk_section(doc.text, index, section.start, section.end, budget))
    return chunks


def _chunk_section(text: str, index: int, start: int, end: int, budget: int) -> list[ChunkSpan]:
    pieces: list[tuple[int, int, int]] = []  # (start, end, tokens) of sentences or their parts
    for a, b in sentence_spans(text, start, end):
        cost = estimate_tokens(text[a:b])
        if cost <= budget:
            pieces.append((a, b, cost))
        else:
            pieces.extend(_split_long(text, a, b, budget))
    out: list[ChunkSpan] = []
    cur_start = cur_end = -1
    cur_cost = 0
    for a, b, cost in pieces:
        if cur_start >= 0 and cur_cost + cost <= budget:
            cur_end, cur_cost = b, cur_cost + cost
            continue
        if cur_start >= 0:
            out.append(ChunkSpan(index, cur_start, cur_end))
        cur_start, cur_end, cur_cost = a, b, cost
    if cur_start >= 0:
        out.append(ChunkSpan(index, cur_start, cur_end))
    return out


def _split_long(text: str, a: int, b: int, budget: int) -> list[tuple[int, int, int]]:
    """A sentence longer than the window is cut at word boundaries."""
    parts: list[tuple[int, int, int]] = []
    part_start = prev_end = a
    cost = 0
    for m in re.finditer(r"\S+", text[a:b]):
        word_cost = estimate_tokens(m.group(0))
        w_start, w_end = a + m.start(), a + m.end()
        if cost + word_cost > budget and cost > 0:
            parts.append((part_start, prev_end, cost))
            part_start, cost = w_start, 0
        if word_cost > budget:
            # A single absurd "word" (base64, a URL wall): cut it by characters; a character
            # never costs more than one token, so `budget` characters always fit.
            step = budget
            for s in range(w_start, w_end, step):
                parts.append((s, min(s + step, w_end), estimate_tokens(text[s : s + step])))
            part_start, cost = w_end, 0
            prev_end = w_end
            continue
        cost += word_cost
        prev_end = w_end
    if cost > 0:
        parts.append((part_start, prev_end, cost))
    return parts
