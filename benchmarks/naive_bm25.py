"""A deliberately naive BM25 baseline, to tell what Essor's analysis and two-field ranking add.

Lower-cased ``\\w+`` tokens, no stemming, no stop words, no accent folding; Lucene's BM25
(idf = ln(1 + (N - df + 0.5) / (df + 0.5)), no (k1 + 1) factor, which does not change the
order) with Anserini's defaults k1=0.9, b=0.4, as in the published "BM25 flat" baselines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from common import iter_jsonl
from essor.evaluation.metrics import aggregate, per_question

_TOKEN = re.compile(r"\w+", re.UNICODE)
RANK_DEPTH = 100  # as deep as the deepest metric (recall@100)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class NaiveBM25:
    """Term-major postings with precomputed weights: a query sums a few array slices."""

    def __init__(self, texts: Sequence[str], k1: float = 0.9, b: float = 0.4) -> None:
        self.size = len(texts)
        self.vocab: dict[str, int] = {}
        ids: list[int] = []
        lengths = np.empty(self.size, dtype=np.int64)
        for i, text in enumerate(texts):
            tokens = tokenize(text)
            lengths[i] = len(tokens)
            ids.extend(self.vocab.setdefault(t, len(self.vocab)) for t in tokens)
        n, n_terms = self.size, len(self.vocab)
        term_ids = np.asarray(ids, dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # Sorting (term, row) keys groups postings by term, rows ascending within a term.
        keys, tf = np.unique(term_ids * n + rows, return_counts=True)
        terms, rows_u = keys // n, keys % n
        df = np.bincount(terms, minlength=n_terms)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        avg = max(float(lengths.mean()), 1e-9) if n else 1.0
        norm = k1 * (1.0 - b + b * lengths[rows_u] / avg)
        self.data = idf[terms] * tf / (tf + norm)
        self.indices = rows_u
        self.indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=self.indptr[1:])

    def scores(self, query: str) -> npt.NDArray[np.float64]:
        scores = np.zeros(self.size)
        # Repeated query words count again, as Lucene's BooleanQuery of SHOULD clauses does.
        for token in tokenize(query):
            tid = self.vocab.get(token)
            if tid is None:
                continue
            s, e = self.indptr[tid], self.indptr[tid + 1]
            scores[self.indices[s:e]] += self.data[s:e]
        return scores

    def top(self, query: str, k: int = RANK_DEPTH) -> list[int]:
        scores = self.scores(query)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        return [int(i) for i in hits[np.argsort(-scores[hits], kind="stable")]]


def _units(corpus: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """(doc ids, doc texts, passage ids, passage texts) of a corpus JSONL."""
    doc_ids: list[str] = []
    doc_texts: list[str] = []
    passage_ids: list[str] = []
    passage_texts: list[str] = []
    for rec in iter_jsonl(corpus):
        title = rec.get("title") or ""
        doc_ids.append(rec["id"])
        doc_texts.append(f"{title}\n{rec.get('text') or ''}")
        passages = rec.get("passages") or []
        if not passages:
            # A document without passages is a single unit: it still competes at the passage
            # level (as its chunks do in Essor), though it can never be a relevant passage.
            passage_ids.append(rec["id"])
            passage_texts.append(doc_texts[-1])
        for p in passages:
            passage_ids.append(p["id"])
            passage_texts.append(f"{p.get('title') or ''}\n{p.get('text') or ''}")
    return doc_ids, doc_texts, passage_ids, passage_texts


def evaluate_naive(
    corpus: Path, questions: Sequence[dict[str, Any]], k1: float = 0.9, b: float = 0.4
) -> dict[str, dict[str, float | int]]:
    """Doc- and passage-level metrics, scored as ``essor.evaluation.retrieval.evaluate`` does.

    Same query field (``question``), same metric functions, same rule for which questions
    count at each level (those with relevant ids at that level).
    """
    doc_ids, doc_texts, passage_ids, passage_texts = _units(corpus)
    metrics: dict[str, dict[str, float | int]] = {}
    levels = (
        ("doc", "relevant_doc_ids", doc_ids, doc_texts),
        ("passage", "relevant_passage_ids", passage_ids, passage_texts),
    )
    for level, key, ids, texts in levels:
        asked = [q for q in questions if q.get(key)]
        if not asked:
            continue
        index = NaiveBM25(texts, k1=k1, b=b)
        rows = [
            per_question([ids[i] for i in index.top(str(q["question"]))], set(q[key]))
            for q in asked
        ]
        metrics[level] = aggregate(rows)
    return metrics
