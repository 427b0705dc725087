"""Index backends behind one protocol, and the factory that picks one from the settings."""

from __future__ import annotations

from essor.knowledge.embeddings.enabled import dense_enabled
from essor.knowledge.index.base import IndexBackend, IndexHit, IndexQuery
from essor.knowledge.index.bm25 import BM25Backend
from essor.knowledge.index.hybrid import HybridBackend
from essor.settings import Settings, get_settings

__all__ = ["IndexBackend", "IndexHit", "IndexQuery", "get_backend", "reset_backends"]

_BACKENDS: dict[tuple[str, str, float, float, float, float | None], IndexBackend] = {}


def get_backend(settings: Settings | None = None) -> IndexBackend:
    settings = settings or get_settings()
    key = (
        settings.effective_database_url,
        str(settings.index_dir.resolve()),
        settings.bm25_k1,
        settings.bm25_b,
        settings.bm25_doc_b,
        settings.dense_weight if dense_enabled(settings) else None,
    )
    backend = _BACKENDS.get(key)
    if backend is None:
        lexical = BM25Backend(
            settings.index_dir,
            k1=settings.bm25_k1,
            b=settings.bm25_b,
            doc_b=settings.bm25_doc_b,
        )
        # Dense vectors are an optional extra: the hybrid backend needs ``essor embed`` to
        # have run, and answers lexically for chunks (or installs) without vectors.
        backend = lexical
        if dense_enabled(settings):
            backend = HybridBackend(lexical, dense_weight=settings.dense_weight)
        _BACKENDS[key] = backend
    return backend


def reset_backends() -> None:
    _BACKENDS.clear()
