"""Reads of the knowledge base: collections, documents and their sections.

Only documents with a current version count: a pruned or half-written document is not shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from essor.knowledge.models import (
    Chunk,
    Collection,
    Document,
    DocumentVersion,
    IngestRun,
    Section,
)


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    description: str
    documents: int
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "documents": self.documents,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class DocumentRow:
    id: int
    external_id: str
    title: str
    language: str
    format: str
    updated_at: datetime


@dataclass(frozen=True)
class SectionInfo:
    ordinal: int
    title: str
    path: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    external_id: str
    collection: str
    title: str
    url: str | None
    language: str
    format: str
    updated_at: datetime
    version: int
    text: str
    sections: list[SectionInfo] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "external_id": self.external_id,
            "collection": self.collection,
            "title": self.title,
            "url": self.url,
            "language": self.language,
            "format": self.format,
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
            "text": self.text,
            "sections": [
                {"title": s.title, "path": list(s.path), "start": s.start, "end": s.end}
                for s in self.sections
            ],
        }


def list_collections(session: Session, readable: frozenset[int]) -> list[CollectionInfo]:
    """Collections among ``readable`` (ids from governance.access), by name."""
    count = func.count(Document.id)
    rows = session.execute(
        select(Collection, count)
        .outerjoin(
            Document,
            and_(
                Document.collection_id == Collection.id,
                Document.current_version_id.is_not(None),
            ),
        )
        .where(Collection.id.in_(readable))
        .group_by(Collection.id)
        .order_by(Collection.name)
    ).all()
    return [CollectionInfo(c.name, c.description, n, c.created_at) for c, n in rows]


def get_collection(session: Session, name: str, readable: frozenset[int]) -> CollectionInfo | None:
    return next((c for c in list_collections(session, readable) if c.name == name), None)


def collection_documents(session: Session, name: str) -> list[DocumentRow]:
    rows = session.execute(
        select(Document)
        .join(Collection, Collection.id == Document.collection_id)
        .where(Collection.name == name, Document.current_version_id.is_not(None))
        .order_by(Document.title, Document.id)
    ).scalars()
    return [
        DocumentRow(d.id, d.external_id, d.title, d.language, d.format, d.updated_at) for d in rows
    ]


def get_document(
    session: Session, document_id: int, readable: frozenset[int]
) -> DocumentInfo | None:
    """The document with its current text, or None when missing or not readable."""
    row = session.execute(
        select(Document, DocumentVersion, Collection.name)
        .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
        .join(Collection, Collection.id == Document.collection_id)
        .where(Document.id == document_id, Document.collection_id.in_(readable))
    ).first()
    if row is None:
        return None
    doc, version, collection_name = row
    sections = session.execute(
        select(Section).where(Section.version_id == version.id).order_by(Section.ordinal)
    ).scalars()
    return DocumentInfo(
        id=doc.id,
        external_id=doc.external_id,
        collection=collection_name,
        title=doc.title,
        url=doc.url,
        language=doc.language,
        format=doc.format,
        updated_at=doc.updated_at,
        version=version.number,
        text=version.text,
        sections=[
            SectionInfo(
                s.ordinal, s.title, tuple(p for p in s.path.split(" > ") if p), s.start, s.end
            )
            for s in sections
        ],
    )


def collection_stats(session: Session, readable: frozenset[int]) -> list[dict[str, object]]:
    """Each collection with its document and chunk counts (the CLI listing)."""
    chunks = dict(
        session.execute(
            select(Collection.name, func.count(Chunk.id))
            .join(Chunk, Chunk.collection_id == Collection.id)
            .group_by(Collection.name)
        ).all()
    )
    return [
        {
            "name": c.name,
            "description": c.description,
            "documents": c.documents,
            "chunks": int(chunks.get(c.name, 0)),
        }
        for c in list_collections(session, readable)
    ]


@dataclass(frozen=True)
class IngestRunInfo:
    at: datetime
    actor: str
    source: str
    counts: dict[str, int]
    errors: list[dict[str, str]]


def ingest_runs(session: Session, collection_name: str, limit: int = 10) -> list[IngestRunInfo]:
    """The latest ingest runs of a collection, newest first."""
    rows = session.execute(
        select(IngestRun)
        .join(Collection, Collection.id == IngestRun.collection_id)
        .where(Collection.name == collection_name)
        .order_by(IngestRun.id.desc())
        .limit(limit)
    ).scalars()
    return [
        IngestRunInfo(r.at, r.actor, r.source, json.loads(r.counts), json.loads(r.errors))
        for r in rows
    ]


def documents_with_tags(
    session: Session, document_ids: Iterable[int], tags: Iterable[str]
) -> set[int]:
    """Which of ``document_ids`` carry at least one of ``tags`` (case-insensitive)."""
    ids = list(set(document_ids))
    wanted = [t.strip().lower() for t in tags if t.strip()]
    if not ids or not wanted:
        return set()
    rows = session.execute(
        select(Document.id).where(
            Document.id.in_(ids), or_(*(Document.tags.contains(f"|{t}|") for t in wanted))
        )
    ).scalars()
    return set(rows)
