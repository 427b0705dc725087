"""Dense search by default when the extra is installed, and the re-ranking of the lexical
head on real SciFact abstracts (``../shared/data/scifact``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from essor.db import dispose_engines, read_session
from essor.knowledge.actions import ingest_path
from essor.knowledge.analysis import query_terms
from essor.knowledge.embeddings import embed_pending, get_query_encoder
from essor.knowledge.embeddings.enabled import dense_enabled, dense_installed
from essor.knowledge.embeddings.store import chunk_inputs, load_vectors
from essor.knowledge.index import IndexHit, IndexQuery, get_backend, reset_backends
from essor.knowledge.index.bm25 import BM25Backend
from essor.knowledge.index.hybrid import RERANK_DEPTH, HybridBackend
from essor.knowledge.models import Collection
from essor.settings import Settings
from tests.conftest import make_settings, shared_corpus

pytestmark = pytest.mark.skipif(not dense_installed(), reason="the dense extra is not installed")

SAMPLE = 150  # abstracts
# Words that over a hundred of their chunks share, so the lexical head is full.
QUERY = "cell protein expression increases in patients"


@pytest.fixture(scope="module")
def scifact(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root = tmp_path_factory.mktemp("scifact-dense")
    settings = make_settings(root)
    sample = root / "scifact-sample.jsonl"
    with shared_corpus("scifact").open(encoding="utf-8") as src:
        sample.write_text("".join(itertools.islice(src, SAMPLE)), encoding="utf-8")
    summary = ingest_path(sample, "scifact", settings=settings)
    # Ingest embedded the new English chunks: nothing is left for `essor embed`.
    assert summary.embedded == summary.as_dict()["chunks"] > 0
    assert embed_pending(settings).embedded == 0
    reset_backends()
    yield settings
    dispose_engines()
    reset_backends()


def _hits(settings: Settings, text: str, limit: int) -> list[IndexHit]:
    with read_session(settings) as s:
        ids = frozenset(s.scalars(select(Collection.id)))
        query = IndexQuery(
            terms=tuple(query_terms(text)), collection_ids=ids, text=text, limit=limit
        )
        return get_backend(settings).search(s, query)


def test_ingest_embeds_only_when_dense_search_is_on(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Leave\n\nAsk your manager before booking.\n", "utf-8")
    (folder / "b.md").write_text("# Congés\n\nDemandez à votre responsable.\n", "utf-8")
    (folder / "c.md").write_text("# Expenses\n\nKeep every receipt for a claim.\n", "utf-8")
    off = settings.model_copy(update={"dense": False})
    assert ingest_path(folder, "hr", settings=off).embedded == 0
    (folder / "a.md").write_text("# Leave\n\nAsk your manager first.\n", "utf-8")
    summary = ingest_path(folder, "hr", settings=settings)
    # The changed English page, and the English page the first run left without a vector;
    # not the French one.
    assert summary.embedded == 2
    assert summary.as_dict()["embedded"] == 2


def test_dense_is_on_by_default_when_installed_and_off_when_told(settings: Settings) -> None:
    assert settings.dense is None and dense_enabled(settings)
    assert isinstance(get_backend(settings), HybridBackend)
    off = settings.model_copy(update={"dense": False})
    assert not dense_enabled(off)
    assert isinstance(get_backend(off), BM25Backend)


def test_the_lexical_head_is_reranked_by_its_vectors(scifact: Settings) -> None:
    hybrid = _hits(scifact, QUERY, 10)
    lexical = _hits(scifact.model_copy(update={"dense": False}), QUERY, RERANK_DEPTH)
    assert len(lexical) == RERANK_DEPTH  # the words match enough chunks: re-ranking applies
    # Recompute the fusion independently: BM25 over the best BM25, plus the cosine.
    with read_session(scifact) as s:
        hashes = {c.chunk_id: c.text_hash for c in chunk_inputs(s)}
        vectors = load_vectors(s, {hashes[h.chunk_id] for h in lexical})
    query_vector = get_query_encoder().encode([QUERY])[0]
    best = lexical[0].score
    weight = scifact.dense_weight
    fused = [
        h.score / best + weight * float(vectors[hashes[h.chunk_id]] @ query_vector) for h in lexical
    ]
    expected = sorted(fused, reverse=True)[:10]
    assert [round(h.score, 4) for h in hybrid] == [round(x, 4) for x in expected]
    # The vectors changed the order: the re-ranked top ten is not the lexical one.
    assert [h.chunk_id for h in hybrid] != [h.chunk_id for h in lexical[:10]]


def test_results_do_not_depend_on_how_many_are_asked(scifact: Settings) -> None:
    few = _hits(scifact, QUERY, 10)
    many = _hits(scifact, QUERY, 300)
    assert len(many) > RERANK_DEPTH
    assert [h.chunk_id for h in many[:10]] == [h.chunk_id for h in few]
    scores = [h.score for h in many]
    assert scores == sorted(scores, reverse=True)


def test_no_matching_word_searches_by_meaning_unless_the_words_are_unknown(
    scifact: Settings,
) -> None:
    lexical = scifact.model_copy(update={"dense": False})
    # Real words that no abstract of the sample uses: only the vectors can find something.
    text = "umbrella in the kitchen cupboard"
    assert _hits(lexical, text, 10) == []
    found = _hits(scifact, text, 10)
    assert len(found) == 10 and all(np.isfinite(h.score) for h in found)
    # Letters the model only knows as pieces: no vector search, no ten unrelated passages.
    assert _hits(lexical, "zyxwvqwertz", 10) == []
    assert _hits(scifact, "zyxwvqwertz", 10) == []
