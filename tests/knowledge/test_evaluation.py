"""Retrieval metrics on a hand-made run and judgements, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from knowledge.errors import InvalidEvaluationSet
from knowledge.evaluation import evaluate_retrievers, ndcg_at, recall_at, reciprocal_rank, score_run
from knowledge.query_files import parse_qrels, parse_queries

QRELS = {
    "q1": {"d1": 1},
    "q2": {"d2": 2, "d4": 1},
    "q3": {"d9": 1},
    "q4": {"d3": 0},  # judged, nothing relevant: not counted
}
RUN = {
    "q1": ["d3", "d1", "d2"],
    "q2": ["d2", "d5", "d6", "d7", "d8", "d4"],
    "q3": [],
    "q4": ["d3"],
}


def test_single_query_metrics() -> None:
    assert recall_at(RUN["q1"], QRELS["q1"], 1) == 0.0
    assert recall_at(RUN["q1"], QRELS["q1"], 5) == 1.0
    assert reciprocal_rank(RUN["q1"], QRELS["q1"]) == 0.5
    assert ndcg_at(RUN["q1"], QRELS["q1"]) == pytest.approx(1 / math.log2(3))
    assert recall_at(RUN["q2"], QRELS["q2"], 5) == 0.5
    assert recall_at(RUN["q2"], QRELS["q2"], 10) == 1.0
    # DCG = 2/log2(2) + 1/log2(7); ideal = 2/log2(2) + 1/log2(3)
    assert ndcg_at(RUN["q2"], QRELS["q2"]) == pytest.approx((2 + 1 / math.log2(7)) / (2 + 1 / math.log2(3)))


def test_mean_over_judged_queries_by_hand() -> None:
    scores = score_run(RUN, QRELS)
    assert scores.queries == 3
    assert scores.recall_at_1 == pytest.approx((0 + 0.5 + 0) / 3, abs=1e-4)
    assert scores.recall_at_5 == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert scores.recall_at_10 == pytest.approx((1 + 1 + 0) / 3, abs=1e-4)
    assert scores.mrr_at_10 == pytest.approx((0.5 + 1 + 0) / 3, abs=1e-4)
    q1 = 1 / math.log2(3)
    q2 = (2 + 1 / math.log2(7)) / (2 + 1 / math.log2(3))
    assert scores.ndcg_at_10 == pytest.approx((q1 + q2 + 0) / 3, abs=1e-4)
    assert scores.as_row()["ndcg@10"] == scores.ndcg_at_10


def test_relevant_beyond_ten_counts_for_nothing() -> None:
    ranked = [f"x{i}" for i in range(10)] + ["d1"]
    assert (
        recall_at(ranked, {"d1": 1}, 10),
        reciprocal_rank(ranked, {"d1": 1}),
        ndcg_at(ranked, {"d1": 1}),
    ) == (0, 0, 0)


def test_evaluate_retrievers_runs_each_mode() -> None:
    def search(texts: object, mode: str) -> list[list[str]]:
        return [RUN["q1"] if mode == "dense" else ["d1"]]

    scores = evaluate_retrievers(
        search, {"q1": "first", "unjudged": "x"}, {"q1": {"d1": 1}}, modes=("dense", "hybrid")
    )
    assert scores["dense"].mrr_at_10 == 0.5 and scores["hybrid"].mrr_at_10 == 1.0


def test_query_files_take_json_lines_or_plain_lines() -> None:
    lines = ['{"id": "a", "query": "vpn drops"}', "", "export invoices", '{"query": "no id"}']
    assert [(q.id, q.query) for q in parse_queries(lines, "q.jsonl")] == [
        ("a", "vpn drops"),
        ("3", "export invoices"),
        ("4", "no id"),
    ]
    with pytest.raises(InvalidEvaluationSet, match=r"q.jsonl line 2: not valid JSON"):
        parse_queries(['{"id": 1, "query": "x"}', '{"id": 2, "query": '], "q.jsonl")
    with pytest.raises(InvalidEvaluationSet, match="line 2: the query id 'a' is used twice"):
        parse_queries(['{"id": "a", "query": "x"}', '{"id": "a", "query": "y"}'], "q.jsonl")


def test_qrels_take_trec_three_columns_or_json_lines() -> None:
    trec = parse_qrels(["q1 0 d1 1", "q1 0 d2 2", "# comment"], "qrels")
    assert trec == {"q1": {"d1": 1, "d2": 2}}
    assert parse_qrels(["query-id corpus-id score", "q1 d1 1"], "qrels.tsv") == {"q1": {"d1": 1}}
    assert parse_qrels(['{"query_id": "q1", "doc_id": "d1"}'], "qrels.jsonl") == {"q1": {"d1": 1}}
    with pytest.raises(InvalidEvaluationSet, match="qrels line 1: grade 'high' is not a whole number"):
        parse_qrels(["q1 0 d1 high"], "qrels")
    with pytest.raises(InvalidEvaluationSet, match="qrels line 1: expected"):
        parse_qrels(["q1 d1"], "qrels")
