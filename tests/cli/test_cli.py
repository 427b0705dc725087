"""Every CLI command end to end, as a person runs it, from a clean data directory."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from essor.evaluation.metrics import aggregate, per_question
from tests.conftest import SHARED_DATA, corpus_sample


def essor(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESSOR_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "essor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"essor {args} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "leave.md").write_text(
        "# Annual leave\n\n## Carry-over\n\nUp to five unused days of annual leave carry over "
        "into the next year with your manager's approval.\n",
        encoding="utf-8",
    )
    (folder / "conges.md").write_text(
        "# Congés payés\n\nChaque salarié acquiert deux jours et demi ouvrables de congés "
        "payés par mois de travail effectif.\n",
        encoding="utf-8",
    )
    return folder


def test_version_and_help(tmp_path: Path) -> None:
    assert essor(tmp_path, "--version").stdout.startswith("essor ")
    out = essor(tmp_path, "--help").stdout
    for command in ("ingest", "search", "ask", "collections", "eval", "demo", "serve", "people"):
        assert command in out


def test_ingest_search_ask_collections(tmp_path: Path, docs: Path) -> None:
    data = tmp_path / "data"
    first = json.loads(essor(data, "ingest", str(docs), "--collection", "hr", "--json").stdout)
    assert first["counts"]["added"] == 2 and first["errors"] == []
    again = json.loads(essor(data, "ingest", str(docs), "-c", "hr", "--json").stdout)
    assert again["counts"]["unchanged"] == 2

    found = json.loads(essor(data, "search", "unused leave carry over", "--json").stdout)
    top = found["results"][0]
    assert top["document_ref"] == "leave.md" and top["section"] == "Annual leave > Carry-over"
    assert {"document_id", "title", "url", "start", "end", "score"} <= set(top)
    human = essor(data, "search", "congés payés").stdout
    assert "Congés payés" in human

    answer = json.loads(
        essor(data, "ask", "Combien de jours de congés payés par mois ?", "--json").stdout
    )
    assert answer["abstained"] is False and answer["language"] == "fr"
    assert answer["sources"][0]["document_ref"] == "conges.md"
    text = essor(data, "ask", "How many unused days of annual leave carry over?").stdout
    assert "[1]" in text and "Sources" in text and "Annual leave" in text
    off = json.loads(essor(data, "ask", "Who painted the Mona Lisa?", "--json").stdout)
    assert off["abstained"] is True and off["sources"] == []

    listing = json.loads(essor(data, "collections", "--json").stdout)
    assert listing["collections"][0]["name"] == "hr"
    assert listing["collections"][0]["documents"] == 2


def test_errors_are_clear_and_exit_non_zero(tmp_path: Path, docs: Path) -> None:
    data = tmp_path / "data"
    (docs / "broken.docx").write_bytes(b"this is not a zip file")
    proc = essor(data, "ingest", str(docs), "-c", "hr", check=False)
    assert proc.returncode == 1  # some files failed; the others went in
    assert "broken.docx" in proc.stdout and "2 added" in proc.stdout
    missing = essor(data, "ingest", str(tmp_path / "nope"), "-c", "hr", check=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = essor(data, "search", "leave", "-c", "nope", check=False)
    assert unknown.returncode == 2 and "unknown collection: nope" in unknown.stderr
    empty = essor(data, "ask", "  ", check=False)
    assert empty.returncode == 2


def test_ingest_prune(tmp_path: Path, docs: Path) -> None:
    data = tmp_path / "data"
    essor(data, "ingest", str(docs), "-c", "hr")
    (docs / "conges.md").unlink()
    pruned = json.loads(essor(data, "ingest", str(docs), "-c", "hr", "--prune", "--json").stdout)
    assert pruned["counts"]["removed"] == 1 and pruned["counts"]["unchanged"] == 1


def test_eval_retrieval_metrics_match_the_written_run(tmp_path: Path) -> None:
    corpus = SHARED_DATA / "conditionalqa-govuk" / "corpus.jsonl"
    questions = SHARED_DATA / "conditionalqa-govuk" / "questions-dev.jsonl"
    db = tmp_path / "eval.db"
    run = tmp_path / "run.tsv"
    args = ["eval", "retrieval", "--corpus", str(corpus), "--questions", str(questions)]
    out = essor(tmp_path / "unused", *args, "--db", str(db), "--run", str(run), "--json")
    metrics = json.loads(out.stdout)
    assert set(metrics) == {"doc", "passage"}
    keys = {"hit_at_1", "hit_at_10", "mrr_at_10", "ndcg_at_10", "recall_at_100", "n"}
    assert set(metrics["doc"]) == keys and metrics["doc"]["n"] == 112
    assert metrics["doc"]["hit_at_10"] >= 0.9 and metrics["passage"]["hit_at_10"] >= 0.6

    # Anyone can recompute the metrics from the TSV alone.
    rankings: dict[tuple[str, str], list[str]] = defaultdict(list)
    with run.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        assert reader.fieldnames == ["question_id", "level", "rank", "id", "score"]
        for row in reader:
            key = (row["question_id"], row["level"])
            assert int(row["rank"]) == len(rankings[key]) + 1 <= 100
            rankings[key].append(row["id"])
    rows = {"doc": [], "passage": []}  # type: dict[str, list[dict[str, float]]]
    for line in questions.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q["relevant_doc_ids"]:
            rows["doc"].append(per_question(rankings[(q["id"], "doc")], set(q["relevant_doc_ids"])))
        if q["relevant_passage_ids"]:
            rows["passage"].append(
                per_question(rankings[(q["id"], "passage")], set(q["relevant_passage_ids"]))
            )
    assert aggregate(rows["doc"]) == metrics["doc"]
    assert aggregate(rows["passage"]) == metrics["passage"]

    # A second run reuses the ingested database.
    second = essor(tmp_path / "unused", *args, "--db", str(db), "--json")
    assert json.loads(second.stdout) == metrics


def test_eval_rejects_bad_questions(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "1"}\n', encoding="utf-8")
    corpus = corpus_sample("conditionalqa-govuk", tmp_path, 2)
    proc = essor(
        tmp_path,
        "eval",
        "retrieval",
        "--corpus",
        str(corpus),
        "--questions",
        str(bad),
        check=False,
    )
    assert proc.returncode == 2 and "needs 'id' and 'question'" in proc.stderr
