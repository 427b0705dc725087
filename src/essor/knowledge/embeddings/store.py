"""Chunk vectors persisted in the database, keyed by a hash of the text that was embedded.

Embedding is ~97 % of the cost of ingest when it is on, so it is a separate step
(``essor embed``, or ``embed_pending`` after an ingest) and never repeated for text it has
seen: a re-ingested document whose chunks did not change finds its vectors by hash. Vectors
of text that no chunk has any more stay behind (1.5 kB each); they cost nothing at search
time, and a document restored to an earlier text gets its vectors back for free.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import LargeBinary, String, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from essor.db import Base, read_session, write_session
from essor.knowledge.embeddings.encoder import MODEL_NAME, TextEncoder, Vectors, get_encoder
from essor.knowledge.models import Chunk, Document
from essor.settings import Settings, get_settings

# all-MiniLM-L6-v2 is an English model. On French text (cdtn-travail-fr, measured in
# docs/dense.md) its vectors add nothing over BM25, so French chunks are neither embedded
# nor scored densely: they keep their lexical score alone.
DENSE_LANGUAGES = frozenset({"en"})
# Texts per write transaction: a crash loses at most this much work, and progress moves.
WRITE_BATCH = 256
# SQLite allows 32,766 bound parameters; stay far below it on every backend.
LOOKUP_BATCH = 500

Progress = Callable[[int, str], None]


class ChunkEmbedding(Base):
    __tablename__ = "chunk_embedding"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class ChunkInput:
    chunk_id: int
    document_id: int
    collection_id: int
    language: str
    text: str

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)


@dataclass
class EmbedSummary:
    embedded: int = 0  # distinct texts encoded in this run
    reused: int = 0  # distinct texts whose vectors were already stored
    skipped: int = 0  # chunks in languages the model does not serve
    seconds: float = 0.0  # time spent encoding

    @property
    def per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def text_hash(text_: str) -> str:
    # The model's name is part of the key, so vectors of another model can never be mixed in.
    return hashlib.sha256(f"{MODEL_NAME}\n{text_}".encode()).hexdigest()


def chunk_inputs(session: Session) -> list[ChunkInput]:
    """Every current chunk with the text that is embedded for it, in chunk id order."""
    rows = session.execute(
        select(Chunk.id, Chunk.document_id, Chunk.collection_id, Document.language, Chunk.text)
        .join(Document, Document.id == Chunk.document_id)
        .order_by(Chunk.id)
    ).all()
    return [ChunkInput(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for part in _batches(list(hashes), LOOKUP_BATCH):
        found.update(
            session.scalars(
                select(ChunkEmbedding.text_hash).where(ChunkEmbedding.text_hash.in_(part))
            )
        )
    return found


def load_vectors(session: Session, hashes: Iterable[str]) -> dict[str, Vectors]:
    out: dict[str, Vectors] = {}
    for part in _batches(list(hashes), LOOKUP_BATCH):
        rows = session.execute(
            select(ChunkEmbedding.text_hash, ChunkEmbedding.vector).where(
                ChunkEmbedding.text_hash.in_(part)
            )
        )
        for h, blob in rows:
            out[h] = np.frombuffer(blob, dtype=np.float32)
    return out


def embeddings_version(session: Session) -> int:
    """A number that grows whenever vectors are added: cheap enough to ask on every query."""
    if session.get_bind().dialect.name == "sqlite":
        # Rows are only ever appended, so the largest rowid moves with every insert: one
        # b-tree descent, where count(*) would read the whole table.
        value = session.execute(text("SELECT max(rowid) FROM chunk_embedding")).scalar()
    else:
        value = session.execute(select(func.count()).select_from(ChunkEmbedding)).scalar()
    return int(value or 0)


def _save(session: Session, hashes: list[str], vectors: Vectors) -> None:
    rows = [
        {"text_hash": h, "vector": np.ascontiguousarray(v, dtype=np.float32).tobytes()}
        for h, v in zip(hashes, vectors, strict=True)
    ]
    dialect = session.get_bind().dialect.name
    # Two embed runs may race on the same text: the second insert is a no-op, not an error.
    if dialect == "postgresql":
        session.execute(postgresql.insert(ChunkEmbedding).values(rows).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(ChunkEmbedding).values(rows).on_conflict_do_nothing())


def embed_pending(
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    total: Callable[[int], None] | None = None,
    encoder: TextEncoder | None = None,
) -> EmbedSummary:
    """Embed every current chunk whose text has no stored vector yet; report what was done."""
    settings = settings or get_settings()
    with read_session(settings) as session:
        inputs = chunk_inputs(session)
        wanted = {c.text_hash: c.text for c in inputs if c.language in DENSE_LANGUAGES}
        have = stored_hashes(session, wanted)
    summary = EmbedSummary(
        reused=len(have), skipped=sum(1 for c in inputs if c.language not in DENSE_LANGUAGES)
    )
    # Longest texts first: the time-remaining estimate starts pessimistic, not optimistic,
    # and each write batch holds texts of similar length (little padding).
    pending = sorted((h for h in wanted if h not in have), key=lambda h: -len(wanted[h]))
    if total is not None:
        total(len(pending))
    if not pending:
        return summary
    encoder = encoder or get_encoder()
    for part in _batches(pending, WRITE_BATCH):
        started = time.perf_counter()
        vectors = encoder.encode([wanted[h] for h in part])
        summary.seconds += time.perf_counter() - started
        with write_session(settings) as session:
            _save(session, part, vectors)
        summary.embedded += len(part)
        if progress is not None:
            progress(len(part), wanted[part[-1]][:60])
    return summary
