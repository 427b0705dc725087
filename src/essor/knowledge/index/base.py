"""The index protocol: callers ask for ranked chunks; backends decide how to find them.

Chunk rows in the database are the source of truth. A backend only has to notice a new index
generation (bumped in the same transaction as every change) and rank chunks for a query,
restricted to the given collections *before* ranking, so nothing outside them can surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class IndexQuery:
    terms: tuple[str, ...]
    collection_ids: frozenset[int]
    limit: int = 10
    # Weight of the whole-document score added to each chunk's own score.
    doc_weight: float = 0.5
    # Weight of the document title, added to the whole-document score.
    title_weight: float = 0.5
    # The query as typed, for backends that embed it (dense vectors).
    text: str = ""


@dataclass(frozen=True)
class IndexHit:
    chunk_id: int
    document_id: int
    score: float
    chunk_score: float
    doc_score: float


class IndexBackend(Protocol):
    name: str

    def search(self, session: Session, query: IndexQuery) -> list[IndexHit]: ...

    def term_rarity(self, session: Session, terms: tuple[str, ...]) -> dict[str, float]:
        """Inverse document frequency of each term over all chunks (unknown terms: highest)."""
        ...

    def refresh(self, session: Session) -> None:
        """Bring the backend up to the committed index generation (e.g. after an ingest)."""
        ...
