"""Ingest throughput on a whole corpus, the first index build, and re-ingests.

Run from the repository root:

    python benchmarks/ingest_speed.py [--corpus PATH] [--changed 200] [--keep] [--json]

Re-ingests: the unchanged corpus (everything must be skipped), then a copy with ``--changed``
documents edited (the update path: a new version, the old one's chunks and sections dropped).

Each run ingests into a fresh scratch data dir under ``benchmarks/out/`` (removed at the end
unless ``--keep``), so the first ingest never finds anything to skip.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import OUT_DIR, corpus_path, machine, peak_rss_mib
from essor.db import dispose_engines, read_session
from essor.knowledge.actions import ingest_path
from essor.knowledge.index import get_backend, reset_backends
from essor.migrate import upgrade
from essor.settings import Settings

TARGET_SECONDS = 60.0  # whole cdtn-travail-fr corpus on 2 cores


def _changed_copy(corpus: Path, dest: Path, changed: int) -> int:
    """Copy the corpus with the titles of ``changed`` evenly spaced records edited."""
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(lines) // changed) if changed else 0
    edited = 0
    with dest.open("w", encoding="utf-8") as out:
        for i, line in enumerate(lines):
            if step and i % step == 0 and edited < changed:
                rec = json.loads(line)
                # A new title changes the content hash without touching passage offsets.
                rec["title"] = f"{rec.get('title') or rec['id']} (edited)"
                line = json.dumps(rec, ensure_ascii=False)
                edited += 1
            out.write(line + "\n")
    return edited


def _changed_reingest(
    corpus: Path, data_dir: Path, changed: int, settings: Settings
) -> tuple[float | None, dict[str, int] | None]:
    """Re-ingest with some documents edited: the update path (new version, old one dropped)."""
    if changed <= 0:
        return None, None
    edited_corpus = data_dir / corpus.name  # same file name: same external ids for the records
    _changed_copy(corpus, edited_corpus, changed)
    started = time.perf_counter()
    summary = ingest_path(edited_corpus, "bench-ingest", settings=settings)
    elapsed = time.perf_counter() - started
    return round(elapsed, 2), {s: summary.count(s) for s in ("updated", "unchanged", "error")}


def measure(corpus: Path, data_dir: Path, changed: int) -> dict[str, Any]:
    settings = Settings().model_copy(update={"data_dir": data_dir, "database_url": ""})
    started = time.perf_counter()
    upgrade(settings)
    migrate_s = time.perf_counter() - started

    started = time.perf_counter()
    first = ingest_path(corpus, "bench-ingest", settings=settings)
    ingest_s = time.perf_counter() - started

    # The first refresh after an ingest builds the BM25 arrays from the chunk rows (and
    # writes the on-disk cache); searches pay it once per index generation.
    started = time.perf_counter()
    with read_session(settings) as session:
        get_backend(settings).refresh(session)
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    again = ingest_path(corpus, "bench-ingest", settings=settings)
    reingest_s = time.perf_counter() - started

    # A fresh process loads the cached arrays instead of rebuilding: measure that too
    # (before the changed re-ingest, which moves the index to a generation with no cache).
    reset_backends()
    started = time.perf_counter()
    with read_session(settings) as session:
        get_backend(settings).refresh(session)
    load_s = time.perf_counter() - started

    # Size of the database and index cache, before the edited corpus copy lands beside them.
    db_bytes = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    changed_s, changed_counts = _changed_reingest(corpus, data_dir, changed, settings)

    docs = first.count("added")
    chunks = sum(o.chunks for o in first.outcomes)
    return {
        "corpus": str(corpus),
        "migrate_s": round(migrate_s, 2),
        "ingest_s": round(ingest_s, 2),
        "documents": docs,
        "chunks": chunks,
        "errors": first.count("error"),
        "docs_per_s": round(docs / ingest_s, 1),
        "chunks_per_s": round(chunks / ingest_s, 1),
        "index_build_s": round(build_s, 2),
        "index_cache_load_s": round(load_s, 3),
        "reingest_s": round(reingest_s, 2),
        "reingest_counts": again.as_dict()["counts"],
        "changed_reingest_s": changed_s,
        "changed_reingest_counts": changed_counts,
        "data_dir_mib": round(db_bytes / 2**20, 1),
        "peak_rss_mib": round(peak_rss_mib(), 0),
        "target_s": TARGET_SECONDS,
        "target_met": ingest_s <= TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=corpus_path("cdtn-travail-fr"))
    parser.add_argument(
        "--changed",
        type=int,
        default=200,
        help="documents to edit for the changed re-ingest (0: skip it)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch data dir")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="ingest-", dir=OUT_DIR))
    try:
        result = measure(args.corpus, data_dir, args.changed)
    finally:
        dispose_engines()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps({"machine": machine(), **result}, indent=2))
        return
    status = "met" if result["target_met"] else "NOT MET"
    print(f"corpus          {result['corpus']}")
    print(
        f"ingest          {result['ingest_s']} s  ({result['documents']} documents, "
        f"{result['chunks']} chunks, {result['errors']} errors)  "
        f"target <= {TARGET_SECONDS:.0f} s: {status}"
    )
    print(f"throughput      {result['docs_per_s']} documents/s, {result['chunks_per_s']} chunks/s")
    print(f"index build     {result['index_build_s']} s (first refresh after the ingest)")
    print(f"index load      {result['index_cache_load_s']} s (fresh backend, cached arrays)")
    print(f"re-ingest       {result['reingest_s']} s  {result['reingest_counts']}")
    if result["changed_reingest_s"] is not None:
        print(
            f"changed         {result['changed_reingest_s']} s  "
            f"{result['changed_reingest_counts']} (re-ingest with edited documents)"
        )
    print(f"migrations      {result['migrate_s']} s")
    print(f"data dir        {result['data_dir_mib']} MiB, peak RSS {result['peak_rss_mib']} MiB")
    if args.keep:
        print(f"kept            {data_dir}")


if __name__ == "__main__":
    main()
