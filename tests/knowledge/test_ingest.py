"""Ingestion end to end on a real SQLite database: formats, idempotence, versions, pruning."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from essor.db import read_session
from essor.governance.access import SYSTEM
from essor.knowledge.actions import ingest_path
from essor.knowledge.index.state import current_generation
from essor.knowledge.models import Chunk, Document, DocumentVersion, Section
from essor.knowledge.search import search
from essor.settings import Settings
from tests.conftest import corpus_sample


def _write_folder(root: Path) -> Path:
    (root / "policies" / "fr").mkdir(parents=True)
    (root / "policies" / "leave.md").write_text(
        "# Annual leave\n\n## Carry-over\n\nUp to five unused days of holiday carry over "
        "into the next year with the manager's approval.\n\n## Booking\n\nBook leave in the "
        "HR portal at least two weeks ahead.\n",
        encoding="utf-8",
    )
    (root / "policies" / "fr" / "teletravail.md").write_text(
        "# Télétravail\n\nLes salariés peuvent télétravailler deux jours par semaine après "
        "accord de leur responsable.\n",
        encoding="utf-8",
    )
    (root / "policies" / "expenses.html").write_text(
        "<html><head><title>Expenses</title></head><body><h1>Expenses</h1>"
        "<p>Submit receipts for reimbursement within thirty days.</p></body></html>",
        encoding="utf-8",
    )
    (root / "policies" / "notes.txt").write_text(
        "Parking badges are renewed every January at the front desk.\n", encoding="utf-8"
    )
    return root / "policies"


def _counts(settings: Settings) -> tuple[int, int, int]:
    with read_session(settings) as s:
        docs = s.execute(select(func.count()).select_from(Document)).scalar_one()
        chunks = s.execute(select(func.count()).select_from(Chunk)).scalar_one()
        versions = s.execute(select(func.count()).select_from(DocumentVersion)).scalar_one()
    return docs, chunks, versions


def test_folder_ingest_keeps_sections_offsets_and_languages(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write_folder(tmp_path)
    summary = ingest_path(folder, "policies", settings=settings)
    assert summary.count("added") == 4 and summary.errors == []
    with read_session(settings) as s:
        leave = s.execute(select(Document).where(Document.external_id == "leave.md")).scalar_one()
        assert leave.title == "Annual leave" and leave.language == "en"
        fr = s.execute(
            select(Document).where(Document.external_id == "fr/teletravail.md")
        ).scalar_one()
        assert fr.language == "fr"
        version = s.get(DocumentVersion, leave.current_version_id)
        assert version is not None
        rows = s.execute(
            select(Chunk.start, Chunk.end, Chunk.text, Section.path)
            .join(Section, Section.id == Chunk.section_id)
            .where(Chunk.version_id == version.id)
        ).all()
        paths = {r.path for r in rows}
        assert "Annual leave > Carry-over" in paths
        for r in rows:
            assert version.text[r.start : r.end] == r.text


def test_reingest_unchanged_does_nothing_and_changed_replaces(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write_folder(tmp_path)
    ingest_path(folder, "policies", settings=settings)
    with read_session(settings) as s:
        generation = current_generation(s)
    before = _counts(settings)

    again = ingest_path(folder, "policies", settings=settings)
    assert again.count("unchanged") == 4 and again.count("added") == 0
    with read_session(settings) as s:
        assert current_generation(s) == generation  # nothing written at all
    assert _counts(settings) == before

    (folder / "notes.txt").write_text(
        "Parking badges are now renewed every March by the facilities team.\n", encoding="utf-8"
    )
    third = ingest_path(folder, "policies", settings=settings)
    assert third.count("updated") == 1 and third.count("unchanged") == 3
    with read_session(settings) as s:
        assert (
            search(s, "facilities March badges", reader=SYSTEM, limit=3)[0].document_ref
            == "notes.txt"
        )
        assert search(s, "January front desk", reader=SYSTEM, limit=5) == [] or all(
            "January" not in p.text for p in search(s, "January front desk", reader=SYSTEM, limit=5)
        )
        doc = s.execute(select(Document).where(Document.external_id == "notes.txt")).scalar_one()
        numbers = s.scalars(
            select(DocumentVersion.number).where(DocumentVersion.document_id == doc.id)
        ).all()
        assert sorted(numbers) == [1, 2]  # the old version is kept as history
        stale = s.execute(
            select(func.count())
            .select_from(Chunk)
            .where(Chunk.document_id == doc.id, Chunk.version_id != doc.current_version_id)
        ).scalar_one()
        assert stale == 0


def test_prune_removes_documents_whose_files_are_gone(settings: Settings, tmp_path: Path) -> None:
    folder = _write_folder(tmp_path)
    ingest_path(folder, "policies", settings=settings)
    (folder / "expenses.html").unlink()
    kept = ingest_path(folder, "policies", settings=settings)
    assert kept.count("removed") == 0 and _counts(settings)[0] == 4
    pruned = ingest_path(folder, "policies", prune=True, settings=settings)
    assert [o.source for o in pruned.outcomes if o.status == "removed"] == ["expenses.html"]
    with read_session(settings) as s:
        hits = search(s, "receipts reimbursement thirty days", reader=SYSTEM)
        assert all(p.document_ref != "expenses.html" for p in hits)
    assert _counts(settings)[0] == 3


def test_bad_files_are_reported_and_never_stop_the_batch(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write_folder(tmp_path)
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    small = settings.model_copy(update={"max_upload_bytes": 2_000})
    (folder / "huge.txt").write_text("big file " * 1_000, encoding="utf-8")
    summary = ingest_path(folder, "policies", settings=small)
    reasons = {o.source: o.reason or "" for o in summary.errors}
    assert set(reasons) == {"empty.md", "image.png", "broken.pdf", "huge.txt"}
    assert "unsupported" in reasons["image.png"]
    assert "limit" in reasons["huge.txt"]
    assert summary.count("added") == 4  # the good files all went in
    with read_session(settings) as s:
        assert search(s, "parking badges", reader=SYSTEM)[0].document_ref == "notes.txt"


def test_jsonl_export_keeps_passage_ids_and_reports_bad_lines(
    settings: Settings, tmp_path: Path
) -> None:
    sample = corpus_sample("conditionalqa-govuk", tmp_path, 5)
    with sample.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"id": "x", "title": "no text"}) + "\n")
    summary = ingest_path(sample, "govuk", settings=settings)
    assert summary.count("added") == 5
    assert len(summary.errors) == 2
    assert all(":" in o.source for o in summary.errors)  # file:line
    with read_session(settings) as s:
        refs = s.scalars(select(Section.external_id).where(Section.external_id.is_not(None))).all()
        assert len(refs) > 100 and all(r.startswith("govuk:") and "#L" in r for r in refs)
    # The same export again: every record unchanged, the two bad lines reported again.
    again = ingest_path(sample, "govuk", settings=settings)
    assert again.count("unchanged") == 5 and len(again.errors) == 2


def test_missing_path_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    import pytest

    from essor.knowledge.actions import IngestInputError

    with pytest.raises(IngestInputError, match="no such file"):
        ingest_path(tmp_path / "nope", "x", settings=settings)
