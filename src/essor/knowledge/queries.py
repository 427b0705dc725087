"""Reads of the knowledge base for listings."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.knowledge.models import Chunk, Collection, Document


def collection_stats(session: Session) -> list[dict[str, object]]:
    docs = dict(
        session.execute(
            select(Document.collection_id, func.count())
            .where(Document.current_version_id.is_not(None))
            .group_by(Document.collection_id)
        ).all()
    )
    chunks = dict(
        session.execute(
            select(Chunk.collection_id, func.count()).group_by(Chunk.collection_id)
        ).all()
    )
    return [
        {
            "name": c.name,
            "description": c.description,
            "documents": int(docs.get(c.id, 0)),
            "chunks": int(chunks.get(c.id, 0)),
        }
        for c in session.scalars(select(Collection).order_by(Collection.name))
    ]
