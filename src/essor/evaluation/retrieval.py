"""Run a question set against an ingested corpus and score document and passage rankings."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from essor.db import read_session
from essor.evaluation.metrics import aggregate, per_question
from essor.knowledge.actions import IngestSummary, ingest_path
from essor.knowledge.embeddings import embed_pending
from essor.knowledge.embeddings.enabled import dense_enabled
from essor.knowledge.index import get_backend
from essor.knowledge.models import Chunk, Collection, Document, Section
from essor.knowledge.search import search_hits
from essor.migrate import upgrade
from essor.settings import Settings

RANK_DEPTH = 100
# Chunks fetched per question: enough to fill 100 distinct documents on every corpus here.
CHUNK_DEPTH = 3_000


class EvalInputError(ValueError):
    pass


@dataclass
class Ranked:
    question_id: str
    level: str
    ids: list[str]
    scores: list[float]
    seen: set[str] = field(default_factory=set)


@dataclass
class EvalResult:
    metrics: dict[str, dict[str, float | int]]
    runs: list[Ranked] = field(default_factory=list)
    ingest: IngestSummary | None = None


def settings_for(db: Path | None, base: Settings) -> Settings:
    """Settings pointing at ``db`` (a SQLite file), or at a scratch directory."""
    if db is None:
        scratch = Path(tempfile.mkdtemp(prefix="essor-eval-"))
        return base.model_copy(update={"data_dir": scratch, "database_url": ""})
    db = db.resolve()
    return base.model_copy(
        update={"data_dir": db.parent / f"{db.name}.d", "database_url": f"sqlite:///{db}"}
    )


def load_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalInputError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc
            if not isinstance(q, dict) or not q.get("id") or not q.get("question"):
                raise EvalInputError(f"{path}:{line_no}: a question needs 'id' and 'question'")
            questions.append(q)
    if not questions:
        raise EvalInputError(f"{path}: no questions")
    return questions


def collection_name(corpus: Path) -> str:
    return f"eval:{corpus.resolve().parent.name}/{corpus.stem}"


def evaluate(
    corpus: Path,
    questions_path: Path,
    settings: Settings,
    *,
    progress: Callable[[int, str], None] | None = None,
    ingest_progress: Callable[[int, str], None] | None = None,
    ingest_total: Callable[[int], None] | None = None,
    embed_progress: Callable[[int, str], None] | None = None,
    embed_total: Callable[[int], None] | None = None,
) -> EvalResult:
    questions = load_questions(questions_path)
    upgrade(settings)
    name = collection_name(corpus)
    summary = ingest_path(
        corpus,
        name,
        prune=True,
        settings=settings,
        progress=ingest_progress,
        total=ingest_total,
        embed_progress=embed_progress,
        embed_total=embed_total,
    )
    if dense_enabled(settings) and not (summary.count("added") or summary.count("updated")):
        # Ingest embedded its new chunks itself; this catches up a database ingested while
        # dense search was off (text already embedded is never embedded again).
        embed_pending(settings, embed_progress, total=embed_total)
    runs: list[Ranked] = []
    doc_rows: list[dict[str, float]] = []
    passage_rows: list[dict[str, float]] = []
    with read_session(settings) as session:
        get_backend(settings).refresh(session)
        cid = session.execute(select(Collection.id).where(Collection.name == name)).scalar_one()
        refs = _chunk_refs(session, cid)
        for q in questions:
            hits = search_hits(
                session, str(q["question"]), frozenset({cid}), limit=CHUNK_DEPTH, settings=settings
            )
            doc_run = Ranked(str(q["id"]), "doc", [], [])
            passage_run = Ranked(str(q["id"]), "passage", [], [])
            for hit in hits:
                doc_ref, passage_ref = refs[hit.chunk_id]
                _add(doc_run, doc_ref, hit.score)
                _add(passage_run, passage_ref, hit.score)
            runs.extend([doc_run, passage_run])
            rel_docs = set(q.get("relevant_doc_ids") or [])
            rel_passages = set(q.get("relevant_passage_ids") or [])
            if rel_docs:
                doc_rows.append(per_question(doc_run.ids, rel_docs))
            if rel_passages:
                passage_rows.append(per_question(passage_run.ids, rel_passages))
            if progress:
                progress(1, str(q["id"]))
    metrics: dict[str, dict[str, float | int]] = {"doc": aggregate(doc_rows)}
    if passage_rows:
        metrics["passage"] = aggregate(passage_rows)
    return EvalResult(metrics=metrics, runs=runs, ingest=summary)


def _add(run: Ranked, ref: str, score: float) -> None:
    if len(run.ids) < RANK_DEPTH and ref not in run.seen:
        run.ids.append(ref)
        run.scores.append(score)
        run.seen.add(ref)


def _chunk_refs(session: Any, collection_id: int) -> dict[int, tuple[str, str]]:
    """chunk id -> (document id, passage id) as the corpus names them."""
    rows = session.execute(
        select(Chunk.id, Document.external_id, Section.external_id, Section.ordinal)
        .join(Document, Document.id == Chunk.document_id)
        .join(Section, Section.id == Chunk.section_id)
        .where(Chunk.collection_id == collection_id)
    ).all()
    return {r[0]: (r[1], r[2] or f"{r[1]}#section-{r[3]}") for r in rows}


def write_run(path: Path, runs: list[Ranked]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("question_id\tlevel\trank\tid\tscore\n")
        for run in runs:
            for rank, (ref, score) in enumerate(zip(run.ids, run.scores, strict=True), 1):
                fh.write(f"{run.question_id}\t{run.level}\t{rank}\t{ref}\t{score:.6f}\n")
