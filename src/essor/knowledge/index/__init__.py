"""Index backends behind one protocol, and the factory that picks one from the settings."""

from __future__ import annotations

import hashlib

from essor.knowledge.index.base import IndexBackend, IndexHit, IndexQuery
from essor.knowledge.index.bm25 import BM25Backend
from essor.settings import Settings, get_settings

__all__ = ["IndexBackend", "IndexHit", "IndexQuery", "get_backend", "reset_backends"]

_BACKENDS: dict[tuple[str, str, float, float, float], IndexBackend] = {}


def get_backend(settings: Settings | None = None) -> IndexBackend:
    settings = settings or get_settings()
    key = (
        settings.effective_database_url,
        str(settings.index_dir.resolve()),
        settings.bm25_k1,
        settings.bm25_b,
        settings.bm25_doc_b,
    )
    backend = _BACKENDS.get(key)
    if backend is None:
        # Caches of two databases may share a folder (evaluation runs): name them apart.
        db_tag = hashlib.sha256(settings.effective_database_url.encode()).hexdigest()[:12]
        backend = BM25Backend(
            settings.index_dir,
            k1=settings.bm25_k1,
            b=settings.bm25_b,
            doc_b=settings.bm25_doc_b,
            db_tag=db_tag,
        )
        _BACKENDS[key] = backend
    return backend


def reset_backends() -> None:
    _BACKENDS.clear()
