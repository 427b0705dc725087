"""Ranked passage search: the Python API behind ``essor search`` and the answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from essor.governance.access import Reader, readable_collection_ids
from essor.knowledge.analysis import query_terms
from essor.knowledge.index import IndexHit, IndexQuery, get_backend
from essor.knowledge.models import Chunk, Collection, Document, Section
from essor.settings import Settings, get_settings

MAX_QUERY_CHARS = 2_000
MAX_LIMIT = 1_000


class UnknownCollectionError(ValueError):
    pass


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    document_ref: str  # the document's id in its source (file path or JSONL id)
    collection: str
    title: str
    section: str
    passage_ref: str | None  # the section's id in its source, when it had one
    url: str | None
    start: int
    end: int
    text: str
    score: float
    language: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_BY_NAME = select(Collection.name, Collection.id).where(
    Collection.name.in_(bindparam("names", expanding=True))
)


def resolve_collections(
    session: Session, names: Sequence[str] | None, reader: Reader
) -> frozenset[int]:
    """Ids of the named collections the reader may read (all readable ones when None).

    A collection the reader may not read is reported exactly like one that does not exist,
    so its name gives nothing away.
    """
    readable = readable_collection_ids(session, reader)
    if names is None:
        return readable
    wanted = [n.strip() for n in names if n.strip()]
    rows = session.execute(_BY_NAME, {"names": wanted}).all()
    found = {r[0]: r[1] for r in rows if r[1] in readable}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise UnknownCollectionError(f"unknown collection: {', '.join(missing)}")
    return frozenset(found.values())


def search_hits(
    session: Session,
    query: str,
    collection_ids: frozenset[int],
    *,
    limit: int = 10,
    settings: Settings | None = None,
) -> list[IndexHit]:
    settings = settings or get_settings()
    terms = tuple(query_terms(query[:MAX_QUERY_CHARS]))
    index_query = IndexQuery(
        terms=terms,
        text=query[:MAX_QUERY_CHARS],
        collection_ids=collection_ids,
        limit=max(0, min(limit, MAX_LIMIT)),
        doc_weight=settings.doc_weight,
        title_weight=settings.title_weight,
    )
    return get_backend(settings).search(session, index_query)


# Built once: this runs on every search, and building the statement cost more than running it.
# Plain columns, not ORM entities: ORM loading dominated it too.
_HYDRATE = (
    select(
        Chunk.id,
        Chunk.start,
        Chunk.end,
        Chunk.text,
        Document.id,
        Document.external_id,
        Document.title,
        Document.url,
        Document.language,
        Section.path,
        Section.external_id,
        Collection.name,
    )
    .join(Document, Document.id == Chunk.document_id)
    .join(Section, Section.id == Chunk.section_id)
    .join(Collection, Collection.id == Chunk.collection_id)
    .where(Chunk.id.in_(bindparam("ids", expanding=True)))
)


def hydrate(session: Session, hits: Sequence[IndexHit]) -> list[Passage]:
    """Turn index hits into passages, in hit order, dropping any that vanished meanwhile."""
    if not hits:
        return []
    rows = session.execute(_HYDRATE, {"ids": [h.chunk_id for h in hits]}).all()
    by_id = {r[0]: r for r in rows}
    out: list[Passage] = []
    for hit in hits:
        row = by_id.get(hit.chunk_id)
        if row is None:
            continue
        (chunk_id, start, end, text, doc_id, doc_ref, title, url, language, path, ref, coll) = row
        out.append(
            Passage(
                chunk_id=chunk_id,
                document_id=doc_id,
                document_ref=doc_ref,
                collection=coll,
                title=title,
                section=path,
                passage_ref=ref,
                url=url,
                start=start,
                end=end,
                text=text,
                score=round(hit.score, 4),
                language=language,
            )
        )
    return out


def search(
    session: Session,
    query: str,
    *,
    reader: Reader,
    collections: Sequence[str] | None = None,
    limit: int = 10,
    settings: Settings | None = None,
) -> list[Passage]:
    """Best passages for ``query`` among what ``reader`` may read, best first."""
    ids = resolve_collections(session, collections, reader)
    hits = search_hits(session, query, ids, limit=limit, settings=settings)
    return hydrate(session, hits)
