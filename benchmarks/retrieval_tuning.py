"""Grid over the BM25 fusion settings, re-ranked in memory: the tuning log's main rows.

Run from the repository root, after ``retrieval_quality.py`` has filled the databases:

    python benchmarks/retrieval_tuning.py [--k1 0.9] [--b 0.75] [--doc-b 0.5]
        [--doc-weight 0.5,1] [--title-weight 0.25,0.5] [--idf chunk|document] [--json]

Each list is comma-separated; every combination is scored. The index arrays are rebuilt from
the chunk and document terms of ``benchmarks/out/<corpus>.db`` with the backend's own
``_encode``/``_weights``, and each question is ranked as ``evaluate()`` ranks it (chunks to a
depth of 1,000; documents and passages in order of first appearance), so the shipped settings
give exactly ``retrieval_quality.py``'s figures (checked first, on every run). Reported: the
target metrics on dev, and scifact nDCG@10 on its 809 training claims as well.

``--idf document`` gives the chunk and title fields the document field's idf (BM25F-style
shared statistics) instead of idf over chunks.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from common import DATA_DIR, OUT_DIR, iter_jsonl, print_table, questions_path
from essor.evaluation.metrics import aggregate, per_question
from essor.evaluation.retrieval import CHUNK_DEPTH, RANK_DEPTH
from essor.knowledge.analysis import analyse, query_terms
from essor.knowledge.index.bm25 import _encode, _Field, _weights
from essor.knowledge.search import MAX_LIMIT
from essor.settings import Settings

CORPORA = ("cdtn-travail-fr", "conditionalqa-govuk", "scifact")
# evaluate() asks for CHUNK_DEPTH chunks and search caps that at MAX_LIMIT: the same cut (and
# the same argpartition before the sort) orders tied chunks as the backend does.
DEPTH = min(CHUNK_DEPTH, MAX_LIMIT)
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Point:
    k1: float
    b: float
    doc_b: float
    doc_weight: float
    title_weight: float
    idf: str = "chunk"


class Corpus:
    """One benchmark database's terms, questions and an index built for one Point."""

    def __init__(self, name: str) -> None:
        self.name = name
        db = OUT_DIR / f"{name}.db"
        if not db.exists():
            raise SystemExit(f"{db} is missing: run benchmarks/retrieval_quality.py first")
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.chunks = con.execute(
            "SELECT c.id, c.document_id, c.terms, s.external_id, s.ordinal FROM chunk c "
            "JOIN section s ON s.id = c.section_id ORDER BY c.id"
        ).fetchall()
        self.docs = con.execute(
            "SELECT d.id, d.external_id, d.title, v.terms, d.language FROM document d "
            "JOIN document_version v ON v.id = d.current_version_id ORDER BY d.id"
        ).fetchall()
        con.close()
        position = {d[0]: i for i, d in enumerate(self.docs)}
        self.chunk_doc = np.asarray([position[c[1]] for c in self.chunks], dtype=np.int64)
        self.doc_refs = [d[1] for d in self.docs]
        self.passage_refs = [
            c[3] or f"{self.doc_refs[position[c[1]]]}#section-{c[4]}" for c in self.chunks
        ]
        self.title_terms = [" ".join(analyse(d[2] or "", d[4])) for d in self.docs]
        self.questions = {"dev": list(iter_jsonl(questions_path(name)))}
        train = DATA_DIR / name / "questions-train.jsonl"
        if train.is_file():
            self.questions["train"] = list(iter_jsonl(train))
        self._terms: dict[str, list[str]] = {}
        self._built: Point | None = None

    def build(self, p: Point) -> None:
        key = Point(p.k1, p.b, p.doc_b, 0.0, 0.0, p.idf)
        if self._built == key:
            return
        vocab: dict[str, int] = {}
        c_terms, c_len = _encode([c[2] for c in self.chunks], vocab)
        d_terms, d_len = _encode([d[3] for d in self.docs], vocab)
        t_terms, t_len = _encode(self.title_terms, vocab)
        self.vocab = vocab
        self.docs_f = _weights(d_terms, d_len, len(vocab), p.k1, p.doc_b)
        self.chunks_f = _weights(c_terms, c_len, len(vocab), p.k1, p.b)
        self.titles_f = _weights(t_terms, t_len, len(vocab), p.k1, p.b)
        if p.idf == "document":
            doc_idf = _idf(self.docs_f)
            self.chunks_f = _reweight(self.chunks_f, _idf(self.chunks_f), doc_idf)
            self.titles_f = _reweight(self.titles_f, _idf(self.titles_f), doc_idf)
        self._built = key

    def terms(self, text: str) -> list[str]:
        found = self._terms.get(text)
        if found is None:
            found = self._terms[text] = query_terms(text)
        return found

    def scores(self, terms: list[str], p: Point) -> Floats:
        counts = Counter(terms)
        ids = [(self.vocab[t], float(n)) for t, n in counts.items() if t in self.vocab]
        doc = self.docs_f.scores(ids)
        if p.title_weight:
            doc = doc + p.title_weight * self.titles_f.scores(ids)
        return self.chunks_f.scores(ids) + p.doc_weight * doc[self.chunk_doc]

    def evaluate(self, p: Point, split: str) -> dict[str, dict[str, float | int]]:
        self.build(p)
        doc_rows, passage_rows = [], []
        for q in self.questions[split]:
            s = self.scores(self.terms(str(q["question"])), p)
            found = np.flatnonzero(s > 0)
            if len(found) > DEPTH:
                found = found[np.argpartition(-s[found], DEPTH - 1)[:DEPTH]]
            order = found[np.argsort(-s[found], kind="stable")]
            docs: dict[str, None] = {}  # insertion-ordered sets
            passages: dict[str, None] = {}
            for i in order.tolist():
                for refs, ref in ((docs, self.doc_refs[self.chunk_doc[i]]),
                                  (passages, self.passage_refs[i])):  # fmt: skip
                    if len(refs) < RANK_DEPTH:
                        refs.setdefault(ref)
            if q.get("relevant_doc_ids"):
                doc_rows.append(per_question(list(docs), set(q["relevant_doc_ids"])))
            if q.get("relevant_passage_ids"):
                passage_rows.append(per_question(list(passages), set(q["relevant_passage_ids"])))
        out = {"doc": aggregate(doc_rows)}
        if passage_rows:
            out["passage"] = aggregate(passage_rows)
        return out


def _idf(f: _Field) -> Floats:
    df = np.diff(f.indptr)
    idf: Floats = np.log(1.0 + (f.size - df + 0.5) / (df + 0.5))
    return idf


def _reweight(f: _Field, old: Floats, new: Floats) -> _Field:
    """The same field with another idf: each entry is idf × a term-frequency part."""
    term_of_entry = np.repeat(np.arange(len(old)), np.diff(f.indptr))
    factor = np.divide(new, old, out=np.zeros_like(new), where=old > 0)[term_of_entry]
    return _Field(f.indptr, f.indices, (f.data * factor).astype(np.float32), f.size)


def row(corpora: dict[str, Corpus], p: Point) -> dict[str, Any]:
    out: dict[str, Any] = {"point": p.__dict__}
    for name, c in corpora.items():
        m = c.evaluate(p, "dev")
        if name == "cdtn-travail-fr":
            out["cdtn_hit10"], out["cdtn_mrr10"] = m["doc"]["hit_at_10"], m["doc"]["mrr_at_10"]
        elif name == "conditionalqa-govuk":
            out["cqa_passage_hit10"] = m["passage"]["hit_at_10"]
        else:
            out["scifact_dev_ndcg10"] = m["doc"]["ndcg_at_10"]
            out["scifact_train_ndcg10"] = c.evaluate(p, "train")["doc"]["ndcg_at_10"]
    return out


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=CORPORA, action="append", help="only this one")
    for flag, default in (("--k1", "0.9"), ("--b", "0.75"), ("--doc-b", "0.5"),
                          ("--doc-weight", "0.5"), ("--title-weight", "0.5")):  # fmt: skip
        parser.add_argument(flag, type=floats, default=floats(default), help="comma-separated")
    parser.add_argument("--idf", choices=("chunk", "document"), action="append")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    corpora = {name: Corpus(name) for name in args.corpus or CORPORA}

    # The shipped settings must reproduce evaluate()'s figures, or the grid means nothing.
    s = Settings()
    shipped = Point(s.bm25_k1, s.bm25_b, s.bm25_doc_b, s.doc_weight, s.title_weight)
    reference = row(corpora, shipped)
    points = [
        Point(*values)
        for values in itertools.product(
            args.k1, args.b, args.doc_b, args.doc_weight, args.title_weight, args.idf or ["chunk"]
        )
    ]
    rows = [reference] + [row(corpora, p) for p in points if p != shipped]
    if args.json:
        print(json.dumps({"shipped": reference, "rows": rows}, indent=2))
        return
    keys = [k for k in rows[0] if k != "point"]
    print_table(
        ["k1", "b", "doc_b", "doc_w", "title_w", "idf", *keys],
        [[*r["point"].values(), *(r[k] for k in keys)] for r in rows],
        digits=4,
    )
    print("(first row: the shipped settings; compare with retrieval_quality.py)")


if __name__ == "__main__":
    main()
