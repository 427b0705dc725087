"""A process killed in the middle of an ingest leaves every document whole and searchable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from essor.db import dispose_engines, read_session
from essor.governance.access import SYSTEM
from essor.knowledge.actions import ingest_path
from essor.knowledge.index.state import current_generation
from essor.knowledge.models import Chunk, Document, DocumentVersion
from essor.knowledge.search import search
from essor.settings import Settings
from tests.conftest import corpus_sample

# Under search's 1,000-passage cap, and several ingest batches long.
N_DOCS = 900


def _marked(src: Path, dest: Path, marker: str) -> Path:
    with src.open(encoding="utf-8") as fh, dest.open("w", encoding="utf-8") as out:
        for line in fh:
            record = json.loads(line)
            record["text"] = f"{record['text']}\n{marker} {record['id']}"
            record.pop("passages", None)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return dest


def test_kill_mid_ingest_leaves_old_versions_searchable(settings: Settings, tmp_path: Path) -> None:
    sample = corpus_sample("cdtn-travail-fr", tmp_path, N_DOCS)
    export = _marked(sample, tmp_path / "export.jsonl", "zorglubancien")
    # First the old version of every document, ingested to the end.
    assert ingest_path(export, "cdtn", settings=settings).count("added") == N_DOCS
    with read_session(settings) as s:
        start_generation = current_generation(s)
    dispose_engines()

    # Then the new version, in another process killed once some batches have committed.
    _marked(sample, export, "zorglubnouveau")
    env = {**os.environ, "ESSOR_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "essor.cli", "ingest", str(export), "--collection", "cdtn"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with read_session(settings) as s:
                if current_generation(s) > start_generation:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the ingest never committed a batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    dispose_engines()

    with read_session(settings) as s:
        docs = s.execute(select(func.count()).select_from(Document)).scalar_one()
        assert docs == N_DOCS
        new = s.execute(
            select(func.count())
            .select_from(Document)
            .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
            .where(DocumentVersion.number == 2)
        ).scalar_one()
        assert 0 < new < N_DOCS, "the kill must land mid-way for this test to mean anything"
        orphans = s.execute(
            select(func.count())
            .select_from(Chunk)
            .join(Document, Document.id == Chunk.document_id)
            .where(Chunk.version_id != Document.current_version_id)
        ).scalar_one()
        assert orphans == 0
        without_chunks = s.execute(
            select(func.count())
            .select_from(Document)
            .where(~select(Chunk.id).where(Chunk.document_id == Document.id).exists())
        ).scalar_one()
        assert without_chunks == 0
        old_hits = search(s, "zorglubancien", reader=SYSTEM, limit=1000)
        new_hits = search(s, "zorglubnouveau", reader=SYSTEM, limit=1000)
    assert len({p.document_id for p in old_hits}) == N_DOCS - new
    assert len({p.document_id for p in new_hits}) == new

    # A later run finishes the job.
    resumed = ingest_path(export, "cdtn", settings=settings)
    assert resumed.count("updated") == N_DOCS - new and resumed.count("unchanged") == new
