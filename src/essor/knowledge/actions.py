"""Writes to the knowledge base: collections, and ingestion of files, folders and JSONL exports.

Each document version is written in one savepoint: its sections, chunks and analysed terms,
the switch of the document's current version, the removal of the old chunks, and the bump of
the index generation. A crash at any point leaves the previous version whole and searchable.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from essor.db import write_session
from essor.knowledge.analysis import analyse, detect_language
from essor.knowledge.chunking import chunk_document
from essor.knowledge.index.state import bump_generation
from essor.knowledge.models import (
    Chunk,
    Collection,
    Document,
    DocumentVersion,
    IngestRun,
    Section,
    utcnow,
)
from essor.knowledge.parsers import SUPPORTED_SUFFIXES, detect_format, iter_jsonl, parse_file
from essor.knowledge.parsers.base import ParsedDocument, ParseError
from essor.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Part of every content hash: bump it when parsing, chunking or analysis change, so a
# re-ingest rebuilds documents instead of skipping them as unchanged.
PIPELINE_VERSION = "4"
BATCH_SIZE = 200

Progress = Callable[[int, str], None]


@dataclass
class Outcome:
    source: str
    status: str  # added | updated | unchanged | error | removed
    reason: str | None = None
    chunks: int = 0


@dataclass
class IngestSummary:
    collection: str
    outcomes: list[Outcome] = field(default_factory=list)
    # Chunks given a dense vector after the ingest (dense search on, English text).
    embedded: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "error"]

    def as_dict(self) -> dict[str, object]:
        statuses = ("added", "updated", "unchanged", "removed", "error")
        return {
            "collection": self.collection,
            "counts": {s: self.count(s) for s in statuses},
            "chunks": sum(o.chunks for o in self.outcomes),
            "embedded": self.embedded,
            "errors": [{"source": o.source, "reason": o.reason} for o in self.errors],
        }


class IngestInputError(Exception):
    """The ingest cannot start at all (missing path); per-file problems go in the summary."""


def get_or_create_collection(session: Session, name: str, description: str = "") -> Collection:
    name = name.strip()
    if not name:
        raise ValueError("a collection needs a name")
    found = session.execute(select(Collection).where(Collection.name == name)).scalar()
    if found is not None:
        return found
    collection = Collection(name=name, description=description)
    session.add(collection)
    session.flush()
    return collection


def _hash(*parts: str | bytes) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    for p in parts:
        h.update(b"\0")
        h.update(p.encode("utf-8") if isinstance(p, str) else p)
    return h.hexdigest()


@dataclass
class _Item:
    """One document to (re)ingest: parsed lazily so unchanged files are never parsed."""

    external_id: str
    source: str
    content_hash: str
    parse: Callable[[], ParsedDocument]
    size: int


def ingest_path(
    path: Path,
    collection_name: str,
    *,
    prune: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
    actor: str = "system",
    embed_progress: Progress | None = None,
    embed_total: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest a file, a folder (recursively) or a JSONL export into a collection.

    The run's counts and errors are kept (``ingest_run``) for the collection's admin page.
    With dense search on, new English chunks are embedded afterwards: a chunk without a
    vector would rank below the others until ``essor embed`` ran.
    """
    settings = settings or get_settings()
    path = Path(path)
    if not path.exists():
        raise IngestInputError(f"{path}: no such file or directory")
    summary = IngestSummary(collection=collection_name)
    with write_session(settings) as session:
        collection_id = get_or_create_collection(session, collection_name).id

    root = path if path.is_dir() else path.parent
    items, errors, expected = _collect(path, root, settings)
    summary.outcomes.extend(errors)
    if total is not None:
        total(expected)
    seen: set[str] = set()
    batch: list[_Item] = []
    for item in items:
        if isinstance(item, Outcome):
            summary.outcomes.append(item)
            if progress:
                progress(1, item.source)
            continue
        seen.add(item.external_id)
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            summary.outcomes.extend(_write_batch(batch, collection_id, settings, progress))
            batch = []
    if batch:
        summary.outcomes.extend(_write_batch(batch, collection_id, settings, progress))
    if prune:
        summary.outcomes.extend(_prune(collection_id, path, root, seen, settings))
    if summary.count("added") or summary.count("updated"):
        summary.embedded = _embed_new(settings, embed_progress, embed_total)
    _record_run(collection_id, summary, str(path), actor, settings)
    return summary


def _embed_new(
    settings: Settings, progress: Progress | None, total: Callable[[int], None] | None
) -> int:
    """Vectors for chunks that have none yet (committed already: a crash here loses nothing,
    the next ingest or ``essor embed`` finishes the job)."""
    from essor.knowledge.embeddings import DenseUnavailableError, embed_pending
    from essor.knowledge.embeddings.enabled import dense_enabled

    if not dense_enabled(settings):
        return 0
    try:
        return embed_pending(settings, progress, total=total).embedded
    except DenseUnavailableError as exc:
        log.warning("ingested without dense vectors: %s", exc)
        return 0


def _record_run(
    collection_id: int, summary: IngestSummary, source: str, actor: str, settings: Settings
) -> None:
    data = summary.as_dict()
    with write_session(settings) as session:
        session.add(
            IngestRun(
                collection_id=collection_id,
                actor=actor,
                source=source,
                counts=json.dumps(data["counts"]),
                errors=json.dumps(data["errors"], ensure_ascii=False),
            )
        )


def _collect(
    path: Path, root: Path, settings: Settings
) -> tuple[Iterator[_Item | Outcome], list[Outcome], int]:
    """What to ingest, errors found while listing, and how many steps progress will take."""
    if path.is_file() and detect_format(path) == "jsonl":
        lines = _count_lines(path)
        return _jsonl_items(path, settings), [], lines
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    errors: list[Outcome] = []
    wanted: list[Path] = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        if any(part.startswith(".") for part in f.relative_to(root).parts):
            continue  # hidden files and folders (.git, .DS_Store) are not documents
        if f.suffix.lower() not in SUPPORTED_SUFFIXES:
            errors.append(Outcome(rel, "error", f"unsupported file type {f.suffix or '(none)'}"))
        elif detect_format(f) == "jsonl" and path.is_dir():
            errors.append(Outcome(rel, "error", "JSONL exports are ingested on their own"))
        else:
            wanted.append(f)
    return _file_items(wanted, root, settings), errors, len(wanted)


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def _file_items(files: list[Path], root: Path, settings: Settings) -> Iterator[_Item | Outcome]:
    for f in files:
        rel = f.relative_to(root).as_posix()
        try:
            size = f.stat().st_size
            if size > settings.max_upload_bytes:
                yield Outcome(
                    rel,
                    "error",
                    f"file is {size:,} bytes, over the {settings.max_upload_bytes:,}-byte limit",
                )
                continue
            data = f.read_bytes()
        except OSError as exc:
            yield Outcome(rel, "error", f"cannot read file: {exc.strerror or exc}")
            continue

        def parse(f: Path = f) -> ParsedDocument:
            return parse_file(
                f, max_bytes=settings.max_upload_bytes, timeout=settings.parse_timeout_seconds
            )

        yield _Item(rel, str(f.resolve()), _hash(rel, data), parse, size)


def _jsonl_items(path: Path, settings: Settings) -> Iterator[_Item | Outcome]:
    source = str(path.resolve())
    for line_no, parsed in iter_jsonl(path, max_bytes=settings.max_upload_bytes):
        if isinstance(parsed, ParseError):
            yield Outcome(f"{path.name}:{line_no}", "error", parsed.reason)
            continue
        external_id = parsed.external_id or f"{path.name}:{line_no}"
        digest = _hash(
            external_id,
            parsed.title,
            parsed.url or "",
            parsed.language or "",
            parsed.text,
            repr([(s.external_id, s.title, s.start, s.end) for s in parsed.sections]),
        )
        yield _Item(external_id, source, digest, _already(parsed), len(parsed.text.encode("utf-8")))


def _already(parsed: ParsedDocument) -> Callable[[], ParsedDocument]:
    def parse() -> ParsedDocument:
        return parsed

    return parse


def _write_batch(
    batch: list[_Item], collection_id: int, settings: Settings, progress: Progress | None
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with write_session(settings) as session:
        existing = {
            d.external_id: d
            for d in session.execute(
                select(Document).where(
                    Document.collection_id == collection_id,
                    Document.external_id.in_([i.external_id for i in batch]),
                )
            ).scalars()
        }
        current_hashes = _current_hashes(session, existing.values())
        changed = False
        for item in batch:
            doc = existing.get(item.external_id)
            if doc is not None and current_hashes.get(doc.id) == item.content_hash:
                outcomes.append(Outcome(item.external_id, "unchanged"))
            else:
                outcome = _write_one(session, collection_id, doc, item, settings)
                changed = changed or outcome.status != "error"
                outcomes.append(outcome)
            if progress:
                progress(1, item.external_id)
        if changed:
            bump_generation(session)
    return outcomes


def _current_hashes(session: Session, docs: Iterable[Document]) -> dict[int, str]:
    version_ids = [d.current_version_id for d in docs if d.current_version_id]
    if not version_ids:
        return {}
    rows = session.execute(
        select(DocumentVersion.document_id, DocumentVersion.content_hash).where(
            DocumentVersion.id.in_(version_ids)
        )
    ).all()
    return {r[0]: r[1] for r in rows}


def _write_one(
    session: Session, collection_id: int, doc: Document | None, item: _Item, settings: Settings
) -> Outcome:
    try:
        parsed = item.parse()
        parsed.check()
    except ParseError as exc:
        return Outcome(item.external_id, "error", exc.reason)
    nested = session.begin_nested()
    try:
        status, n_chunks = _store_version(session, collection_id, doc, item, parsed, settings)
    except Exception as exc:  # a database error must cost this document only
        nested.rollback()
        return Outcome(item.external_id, "error", f"could not be stored: {type(exc).__name__}")
    nested.commit()
    return Outcome(item.external_id, status, chunks=n_chunks)


def _store_version(
    session: Session,
    collection_id: int,
    doc: Document | None,
    item: _Item,
    parsed: ParsedDocument,
    settings: Settings,
) -> tuple[str, int]:
    language = parsed.language if parsed.language in ("fr", "en") else None
    language = language or detect_language(parsed.text)
    title = parsed.title.strip() or Path(item.external_id).stem
    status = "updated"
    if doc is None:
        status = "added"
        doc = Document(collection_id=collection_id, external_id=item.external_id)
        session.add(doc)
    doc.title = title
    doc.url = parsed.url
    doc.language = language
    doc.format = parsed.format
    doc.tags = tags_of(parsed)
    doc.source_path = item.source
    doc.updated_at = utcnow()
    session.flush()
    old_version_id = doc.current_version_id
    number = 1
    if old_version_id is not None:
        prev = session.get(DocumentVersion, old_version_id)
        number = (prev.number + 1) if prev is not None else 1

    title_terms = analyse(title, language)
    spans = chunk_document(parsed, settings.chunk_max_tokens)
    section_terms = [analyse(" ".join(s.path), language) for s in parsed.sections]
    chunk_terms = [analyse(parsed.text[c.start : c.end], language) for c in spans]
    doc_terms = list(title_terms)
    for terms in section_terms:
        doc_terms.extend(terms)
    for terms in chunk_terms:
        doc_terms.extend(terms)

    version = DocumentVersion(
        document_id=doc.id,
        number=number,
        content_hash=item.content_hash,
        text=parsed.text,
        terms=" ".join(doc_terms),
        size_bytes=item.size,
    )
    session.add(version)
    session.flush()
    section_ids = session.scalars(
        insert(Section).returning(Section.id, sort_by_parameter_order=True),
        [
            {
                "version_id": version.id,
                "ordinal": i,
                "external_id": s.external_id,
                "title": s.title,
                "path": " > ".join(s.path),
                "start": s.start,
                "end": s.end,
            }
            for i, s in enumerate(parsed.sections)
        ],
    ).all()
    if spans:
        session.execute(
            insert(Chunk),
            [
                {
                    "version_id": version.id,
                    "document_id": doc.id,
                    "collection_id": collection_id,
                    "section_id": section_ids[c.section_index],
                    "ordinal": i,
                    "start": c.start,
                    "end": c.end,
                    "text": parsed.text[c.start : c.end],
                    # The chunk field carries its title and headings: a passage is found by
                    # what it is about as well as by what it says.
                    "terms": " ".join(
                        [
                            *title_terms,
                            *_heading_terms(section_terms[c.section_index], chunk_terms[i]),
                            *chunk_terms[i],
                        ]
                    ),
                }
                for i, c in enumerate(spans)
            ],
        )
    doc.current_version_id = version.id
    if old_version_id is not None:
        _drop_version_index(session, old_version_id)
    session.flush()
    return status, len(spans)


# Metadata that acts as a tag: explicit tags or keywords, and the department and document type
# that exports such as the shared corpora carry.
TAG_KEYS = ("tags", "keywords", "department", "doc_type")


def tags_of(parsed: ParsedDocument) -> str:
    tags: list[str] = []
    for key in TAG_KEYS:
        for raw in parsed.metadata.get(key, "").split(","):
            tag = " ".join(raw.strip().lower().split())[:60]
            if tag and tag not in tags and "|" not in tag:
                tags.append(tag)
    return f"|{'|'.join(tags)}|" if tags else ""


def _heading_terms(heading: list[str], body: list[str]) -> list[str]:
    """The section's heading terms, unless the chunk is that heading (a passage per line).

    Repeating a heading inside a chunk that is only the heading doubles its words and lets
    bare headings outrank the passages under them.
    """
    return [] if body and body == heading[-len(body) :] else heading


def _drop_version_index(session: Session, version_id: int) -> None:
    """An old version keeps its text (history) but leaves the index."""
    session.execute(delete(Chunk).where(Chunk.version_id == version_id))
    session.execute(delete(Section).where(Section.version_id == version_id))
    session.execute(
        update(DocumentVersion).where(DocumentVersion.id == version_id).values(terms="")
    )


def _prune(
    collection_id: int, path: Path, root: Path, seen: set[str], settings: Settings
) -> list[Outcome]:
    """Remove documents that came from this path but were not found in it this time."""
    outcomes: list[Outcome] = []
    with write_session(settings) as session:
        docs = session.execute(
            select(Document).where(Document.collection_id == collection_id)
        ).scalars()
        resolved = str(path.resolve())
        gone = []
        for d in docs:
            if d.external_id in seen or d.source_path is None:
                continue
            from_here = (
                d.source_path == resolved
                if path.is_file()
                else d.source_path.startswith(str(root.resolve()) + "/")
            )
            if from_here:
                gone.append(d)
        for d in gone:
            session.execute(
                update(Document).where(Document.id == d.id).values(current_version_id=None)
            )
            session.execute(delete(Chunk).where(Chunk.document_id == d.id))
            session.delete(d)
            outcomes.append(Outcome(d.external_id, "removed"))
        if gone:
            bump_generation(session)
    return outcomes
