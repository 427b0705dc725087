"""Ranking metrics with binary relevance, as pytrec_eval/BEIR compute them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import fmean

METRIC_KEYS = ("hit_at_1", "hit_at_10", "mrr_at_10", "ndcg_at_10", "recall_at_100")


def hit_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if any(r in relevant for r in ranking[:k]) else 0.0


def mrr_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    for i, r in enumerate(ranking[:k], 1):
        if r in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(ranking[:k], 1) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def per_question(ranking: Sequence[str], relevant: set[str]) -> dict[str, float]:
    return {
        "hit_at_1": hit_at(ranking, relevant, 1),
        "hit_at_10": hit_at(ranking, relevant, 10),
        "mrr_at_10": mrr_at(ranking, relevant, 10),
        "ndcg_at_10": ndcg_at(ranking, relevant, 10),
        "recall_at_100": recall_at(ranking, relevant, 100),
    }


def aggregate(rows: Sequence[dict[str, float]]) -> dict[str, float | int]:
    out: dict[str, float | int] = {
        k: round(fmean(r[k] for r in rows), 4) if rows else 0.0 for k in METRIC_KEYS
    }
    out["n"] = len(rows)
    return out
