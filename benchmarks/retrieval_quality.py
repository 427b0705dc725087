"""Retrieval quality on the dev questions: Essor beside a naive BM25, and the targets.

Run from the repository root:

    python benchmarks/retrieval_quality.py [--corpus NAME] [--split dev|train] [--fresh] [--json]

Essor ingests each corpus into ``benchmarks/out/<name>.db`` once; reruns find every document
unchanged and only re-run the questions. After a change of ``PIPELINE_VERSION`` every document
counts as changed: pass ``--fresh`` to start from empty databases instead of updating them.

``--split train`` runs the training questions instead, on the corpora that have them (scifact:
809 claims). They are free to tune on and eight times as many as the dev questions, so a
ranking change that helps dev by chance shows up there as no help; the targets are dev-only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    CORPORA,
    DATA_DIR,
    OUT_DIR,
    corpus_path,
    iter_jsonl,
    machine,
    print_table,
    questions_path,
)
from essor.evaluation.metrics import METRIC_KEYS
from essor.evaluation.retrieval import evaluate, settings_for
from essor.knowledge.actions import PIPELINE_VERSION
from essor.settings import Settings
from naive_bm25 import evaluate_naive


@dataclass(frozen=True)
class Target:
    corpus: str
    level: str
    metric: str
    minimum: float


# The targets, on the dev questions.
TARGETS = (
    Target("cdtn-travail-fr", "doc", "hit_at_10", 0.90),
    Target("cdtn-travail-fr", "doc", "mrr_at_10", 0.65),
    Target("conditionalqa-govuk", "passage", "hit_at_10", 0.70),
    Target("scifact", "doc", "ndcg_at_10", 0.68),
)


def ranking_settings(settings: Settings) -> dict[str, Any]:
    """The knobs that move the figures, recorded beside them (they change while tuning)."""
    dumped = settings.model_dump()
    keys = sorted(k for k in dumped if k.startswith(("bm25", "dense")) or k.endswith("weight"))
    return {
        "pipeline_version": PIPELINE_VERSION,
        **{k: dumped[k] for k in [*keys, "bigrams", "chunk_max_tokens"] if k in dumped},
    }


def remove_db(db: Path) -> None:
    """Forget an ingested corpus: the SQLite file, its WAL files and its index cache."""
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".d"), ignore_errors=True)


def split_path(name: str, split: str) -> Path:
    return questions_path(name) if split == "dev" else DATA_DIR / name / f"questions-{split}.jsonl"


def run_corpus(name: str, fresh: bool = False, split: str = "dev") -> dict[str, Any]:
    corpus, questions = corpus_path(name), split_path(name, split)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    db = OUT_DIR / f"{name}.db"
    if fresh:
        remove_db(db)
    settings = settings_for(db, Settings())
    started = time.perf_counter()
    result = evaluate(corpus, questions, settings)
    essor_s = time.perf_counter() - started
    ingest = result.ingest.as_dict() if result.ingest else {}
    started = time.perf_counter()
    naive = evaluate_naive(corpus, list(iter_jsonl(questions)))
    naive_s = time.perf_counter() - started
    return {
        "essor": result.metrics,
        "naive_bm25": naive,
        # Seconds include the ingest when the DB was fresh, only the questions otherwise.
        "seconds": {"essor": round(essor_s, 1), "naive_bm25": round(naive_s, 1)},
        "ingest_counts": ingest.get("counts", {}),
    }


def check_targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for t in TARGETS:
        if t.corpus not in results:
            continue
        value = results[t.corpus]["essor"].get(t.level, {}).get(t.metric)
        out.append(
            {
                "corpus": t.corpus,
                "level": t.level,
                "metric": t.metric,
                "target": t.minimum,
                "value": value,
                "met": value is not None and value >= t.minimum,
            }
        )
    return out


def print_report(results: dict[str, dict[str, Any]], targets: list[dict[str, Any]]) -> None:
    headers = ["corpus", "level", "system", *METRIC_KEYS, "n"]
    rows = []
    for name, res in results.items():
        for level in ("doc", "passage"):
            for system in ("essor", "naive_bm25"):
                m = res[system].get(level)
                if m is not None:
                    rows.append([name, level, system, *(m[k] for k in METRIC_KEYS), m["n"]])
    print_table(headers, rows, digits=4)
    print()
    if targets:
        print_table(
            ["corpus", "level", "metric", "target", "essor", "status"],
            [
                [t["corpus"], t["level"], t["metric"], f">= {t['target']:.2f}", t["value"],
                 "met" if t["met"] else "NOT MET"]
                for t in targets
            ],
            digits=4,
        )  # fmt: skip
        print()
    for name, res in results.items():
        print(f"{name}: seconds {res['seconds']}, ingest {res['ingest_counts']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=CORPORA, action="append", help="run only this one")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--split",
        choices=("dev", "train"),
        default="dev",
        help="question set: dev (the targets) or train (corpora that have one: scifact)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="delete the benchmark DBs first: a fresh ingest is far quicker than updating "
        "every document after PIPELINE_VERSION changed",
    )
    args = parser.parse_args()
    names = [n for n in args.corpus or CORPORA if split_path(n, args.split).is_file()]
    if not names:
        parser.error(f"no corpus among {args.corpus or CORPORA} has {args.split} questions")
    results = {name: run_corpus(name, args.fresh, args.split) for name in names}
    # The targets are set on the dev questions only.
    targets = check_targets(results) if args.split == "dev" else []
    ranking = ranking_settings(Settings())
    if args.json:
        report = {
            "machine": machine(),
            "split": args.split,
            "ranking": ranking,
            "results": results,
            "targets": targets,
        }
        print(json.dumps(report, indent=2))
    else:
        print_report(results, targets)
        print("ranking settings: " + ", ".join(f"{k}={v}" for k, v in ranking.items()))


if __name__ == "__main__":
    main()
