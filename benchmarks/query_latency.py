"""Single-threaded query latency (cdtn-travail-fr by default): Essor beside bm25s.

Run from the repository root:

    python benchmarks/query_latency.py [--corpus NAME] [--queries 1000] [--warmup 100]
                                       [--rounds 3] [--json]

Reuses ``benchmarks/out/<corpus>.db`` (the retrieval-quality database), ingesting the corpus
there first when needed. The settings come from the environment as usual, so
``ESSOR_DENSE=true`` times the hybrid backend (on a database whose chunks were embedded). The
warm-up queries are not among the timed ones: a query-vector cache must not serve timed
queries that the warm-up already saw. bm25s indexes exactly Essor's chunk terms and gets exactly
Essor's analysed query terms, so both rank the same tokens; Essor scores two fields (chunk and
whole document) where bm25s scores one. ``search()`` runs as the operator (``SYSTEM``), whose
access check is the cheapest; a person's check adds one query per search.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import fields
from itertools import zip_longest
from typing import Any

import bm25s
from sqlalchemy import select
from sqlalchemy.orm import Session

from common import (
    CORPORA,
    OUT_DIR,
    corpus_path,
    iter_jsonl,
    latency_summary,
    machine,
    print_table,
    questions_path,
)
from essor.db import read_session
from essor.evaluation.retrieval import collection_name, settings_for
from essor.governance.access import SYSTEM
from essor.knowledge.actions import ingest_path
from essor.knowledge.analysis import query_terms
from essor.knowledge.index import IndexQuery, get_backend
from essor.knowledge.models import Chunk, Collection
from essor.knowledge.search import search, search_hits
from essor.migrate import upgrade
from essor.settings import Settings

CORPUS = "cdtn-travail-fr"  # the default: the one the speed targets are set on
LIMIT = 10
TARGET_RATIO = 0.3  # essor qps / bm25s qps
TARGET_P95_MS = 50.0


def load_queries(n: int, corpus: str = CORPUS) -> list[str]:
    """``n`` query strings: questions and variants, deduplicated, taken round-robin.

    Round-robin over the requests (every first phrasing, then every second one, ...) spreads
    the sample over all 117 requests instead of the first few with long variant lists.
    Corpora without variants but with training questions (scifact) add those.
    """
    records = list(iter_jsonl(questions_path(corpus)))
    train = questions_path(corpus).with_name("questions-train.jsonl")
    if train.is_file():
        records.extend(iter_jsonl(train))
    per_request = [
        [str(q["question"]), *(str(v) for v in q.get("variants") or [])] for q in records
    ]
    seen: set[str] = set()
    unique: list[str] = []
    for layer in zip_longest(*per_request):
        for text in layer:
            if text is not None and text not in seen:
                seen.add(text)
                unique.append(text)
    # Fewer unique phrasings than wanted: cycle through them again.
    return [unique[i % len(unique)] for i in range(n)]


def timed(fn: Callable[[str], object], queries: list[str], warmup: list[str]) -> dict[str, float]:
    for q in warmup:
        fn(q)
    lat: list[float] = []
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        fn(q)
        lat.append(time.perf_counter() - t)
    return latency_summary(lat, time.perf_counter() - started)


def median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median throughput (its own percentiles, not a blend of rounds)."""
    return sorted(rounds, key=lambda r: r["qps"])[len(rounds) // 2]


def build_bm25s(session: Session, collection_id: int, k1: float, b: float) -> bm25s.BM25:
    """bm25s over the same chunk rows Essor ranks, with the same (already analysed) tokens."""
    terms = session.scalars(
        select(Chunk.terms).where(Chunk.collection_id == collection_id).order_by(Chunk.id)
    ).all()
    retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
    retriever.index([t.split() for t in terms], show_progress=False)
    return retriever


def measure(n_queries: int, warmup: int, rounds: int, corpus: str = CORPUS) -> dict[str, Any]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    settings = settings_for(OUT_DIR / f"{corpus}.db", Settings())
    upgrade(settings)
    name = collection_name(corpus_path(corpus))  # the collection evaluate() uses
    started = time.perf_counter()
    ingest = ingest_path(corpus_path(corpus), name, prune=True, settings=settings)
    ingest_s = time.perf_counter() - started
    # Warm-up first, then the timed queries (distinct from the warm-up ones while the corpus
    # has enough distinct phrasings).
    sample = load_queries(warmup + n_queries, corpus)
    warm, queries = sample[:warmup], sample[warmup:]
    analysed = {q: tuple(query_terms(q)) for q in sample}
    backend = get_backend(settings)

    with read_session(settings) as session:
        backend.refresh(session)
        cid = session.execute(select(Collection.id).where(Collection.name == name)).scalar_one()
        ids = frozenset({cid})
        n_chunks = len(session.scalars(select(Chunk.id).where(Chunk.collection_id == cid)).all())
        started = time.perf_counter()
        retriever = build_bm25s(session, cid, settings.bm25_k1, settings.bm25_b)
        bm25s_build_s = time.perf_counter() - started

        # The ranking knobs search_hits copies from the settings (doc_weight, title_weight,
        # ...): copied by name so the index-only row ranks exactly as search() does.
        knobs = {
            f.name: getattr(settings, f.name)
            for f in fields(IndexQuery)
            if f.name not in ("terms", "collection_ids", "limit") and hasattr(settings, f.name)
        }

        def index_only(q: str) -> object:
            return backend.search(
                session, IndexQuery(analysed[q], ids, limit=LIMIT, text=q, **knobs)
            )

        def bm25s_query(q: str) -> object:
            # Not [""] for an empty query: bm25s 0.3 maps "" to an id outside its matrix.
            tokens = list(analysed[q])
            return retriever.retrieve([tokens], k=LIMIT, show_progress=False, n_threads=0)

        def fresh_session_search(q: str) -> object:
            # What a web request does: its own session (connection checkout, BEGIN, rollback).
            with read_session(settings) as s:
                return search(
                    s, q, reader=SYSTEM, collections=[name], limit=LIMIT, settings=settings
                )

        systems: dict[str, Callable[[str], object]] = {
            "essor query_terms (analysis only)": query_terms,
            "essor index only (pre-analysed)": index_only,
            "essor search_hits (analysis + index)": lambda q: search_hits(
                session, q, ids, limit=LIMIT, settings=settings
            ),
            "essor search() (+ hydration)": lambda q: search(
                session, q, reader=SYSTEM, collections=[name], limit=LIMIT, settings=settings
            ),
            "essor search(), session per query": fresh_session_search,
            "bm25s retrieve (pre-analysed)": bm25s_query,
        }
        # One system at a time, each after its own warm-up, in rounds: a burst of load from
        # another process on this shared machine then spoils one round, not one system.
        rounds_of: dict[str, list[dict[str, float]]] = {label: [] for label in systems}
        for _ in range(rounds):
            for label, fn in systems.items():
                rounds_of[label].append(timed(fn, queries, warm))
        results = {label: median_round(r) for label, r in rounds_of.items()}

    full = results["essor search() (+ hydration)"]
    hits = results["essor search_hits (analysis + index)"]
    bm = results["bm25s retrieve (pre-analysed)"]
    return {
        "corpus": corpus,
        "backend": backend.name,
        "chunks": n_chunks,
        "queries": len(queries),
        "unique_queries": len(set(queries)),
        "warmup": warmup,
        "warmup_queries_also_timed": len(set(warm) & set(queries)),
        "rounds": rounds,
        "ingest_before_s": round(ingest_s, 2),
        "ingest_counts": ingest.as_dict()["counts"],
        "bm25s_version": bm25s.__version__,
        "bm25s_backend": retriever.backend,
        "bm25s_build_s": round(bm25s_build_s, 2),
        "results": results,
        "ratio_search_to_bm25s": round(full["qps"] / bm["qps"], 3),
        "ratio_search_hits_to_bm25s": round(hits["qps"] / bm["qps"], 3),
        "targets": {
            "ratio_met": full["qps"] / bm["qps"] >= TARGET_RATIO,
            "p95_met": full["p95_ms"] <= TARGET_P95_MS,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=CORPORA, default=CORPUS, help="corpus to time on")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per system")
    parser.add_argument("--warmup", type=int, default=100, help="untimed queries first")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median one counts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(max(1, args.queries), max(0, args.warmup), max(1, args.rounds), args.corpus)
    if args.json:
        print(json.dumps({"machine": machine(), **result}, indent=2))
        return
    print(
        f"{result['corpus']} ({result['backend']}): {result['chunks']} chunks, "
        f"{result['queries']} queries "
        f"({result['unique_queries']} unique), warm-up {result['warmup']}, single thread, "
        f"median of {result['rounds']} rounds"
    )
    print(f"ingest before timing: {result['ingest_before_s']} s {result['ingest_counts']}")
    print(
        f"bm25s {result['bm25s_version']} backend={result['bm25s_backend']}, "
        f"index built in {result['bm25s_build_s']} s"
    )
    print()
    keys = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "qps")
    print_table(
        ["system", *keys],
        [[label, *(r[k] for k in keys)] for label, r in result["results"].items()],
    )
    print()
    ratio, p95 = result["ratio_search_to_bm25s"], result["results"]["essor search() (+ hydration)"]
    print(
        f"essor search() qps / bm25s qps = {ratio}  (target >= {TARGET_RATIO}: "
        f"{'met' if result['targets']['ratio_met'] else 'NOT MET'})"
    )
    print(f"essor search_hits qps / bm25s qps = {result['ratio_search_hits_to_bm25s']}")
    print(
        f"essor search() p95 = {p95['p95_ms']} ms  (target <= {TARGET_P95_MS:.0f} ms: "
        f"{'met' if result['targets']['p95_met'] else 'NOT MET'})"
    )


if __name__ == "__main__":
    main()
