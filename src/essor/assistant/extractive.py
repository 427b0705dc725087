"""The extractive composer: quote the sentences that best cover the question, and cite them.

A sentence's coverage is the share of the question's weight (terms weighted by rarity) that
it contains. Weak coverage everywhere means the sources do not answer: say so, never guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from essor.knowledge.analysis import analyse, fold
from essor.knowledge.search import Passage
from essor.knowledge.sentences import sentence_spans

MAX_PER_PASSAGE = 2
MIN_SENTENCE_CHARS = 30
MIN_SENTENCE_WORDS = 5


@dataclass(frozen=True)
class Candidate:
    passage_index: int
    start: int  # offsets inside the passage text
    end: int
    text: str
    coverage: float
    score: float


def coverage(terms: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in terms) / total


def candidates(passages: list[Passage], weights: dict[str, float]) -> list[Candidate]:
    out: list[Candidate] = []
    for i, p in enumerate(passages):
        # Earlier passages ranked higher; a mild decay keeps a perfect sentence further down
        # in contention without letting it jump the queue for free.
        rank_factor = 1.0 / (1.0 + 0.15 * i)
        for a, b in sentence_spans(p.text):
            text = p.text[a:b]
            if not _quotable(text):
                continue
            terms = set(analyse(text, p.language))
            if p.section:
                # A sentence under a heading inherits the heading's words ("Congé maternité").
                terms |= set(analyse(p.section, p.language))
            cov = coverage(terms, weights)
            if cov > 0:
                out.append(Candidate(i, a, b, text, cov, cov * rank_factor))
    out.sort(key=lambda c: -c.score)
    return out


def _quotable(sentence: str) -> bool:
    """Headings, questions and lead-ins ("You qualify if:") state nothing on their own."""
    stripped = sentence.rstrip()
    return (
        len(stripped) >= MIN_SENTENCE_CHARS
        and len(stripped.split()) >= MIN_SENTENCE_WORDS
        and not stripped.endswith(("?", ":"))
    )


def select_sentences(cands: list[Candidate], max_sentences: int) -> list[Candidate]:
    chosen: list[Candidate] = []
    per_passage: dict[int, int] = {}
    seen_texts: set[str] = set()
    best = cands[0].score if cands else 0.0
    for c in cands:
        if len(chosen) >= max_sentences:
            break
        if c.score < best * 0.5:
            break  # the rest adds words, not evidence
        key = fold(" ".join(c.text.split()))
        if key in seen_texts or per_passage.get(c.passage_index, 0) >= MAX_PER_PASSAGE:
            continue
        seen_texts.add(key)
        per_passage[c.passage_index] = per_passage.get(c.passage_index, 0) + 1
        chosen.append(c)
    # Quote in reading order within a passage, passages in rank order.
    chosen.sort(key=lambda c: (c.passage_index, c.start))
    return chosen
