import math

from essor.evaluation.metrics import aggregate, hit_at, mrr_at, ndcg_at, per_question, recall_at


def test_metrics_on_a_hand_computed_ranking() -> None:
    ranking = ["a", "x", "b", "y"]
    relevant = {"b", "a", "z"}
    assert hit_at(ranking, relevant, 1) == 1.0
    assert hit_at(["x", "a"], relevant, 1) == 0.0
    assert mrr_at(["x", "y", "b"], relevant, 10) == 1 / 3
    assert mrr_at(["x"] * 10 + ["a"], relevant, 10) == 0.0
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert math.isclose(ndcg_at(ranking, relevant, 10), dcg / idcg)
    assert math.isclose(recall_at(ranking, relevant, 100), 2 / 3)


def test_aggregate_means_and_counts() -> None:
    rows = [per_question(["a"], {"a"}), per_question(["b"], {"a"})]
    agg = aggregate(rows)
    assert agg["n"] == 2 and agg["hit_at_1"] == 0.5 and agg["mrr_at_10"] == 0.5
