"""Retrieval evaluation: Recall@k, MRR@10 and nDCG@10 of ranked document ids against relevance judgements.

Definitions (as trec_eval computes them, averaged over the queries that have at least one relevant
document): Recall@k is the share of a query's relevant documents among its first k results; MRR@10 is
1 / rank of the first relevant result within the first 10 (0 when there is none); nDCG@10 sums
grade / log2(rank + 1) over the first 10 results (linear gain) and divides by the same sum for the ideal
order of the judged documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

#: query id -> {document id: relevance grade}; a grade of 0 or less is "judged not relevant".
Qrels = Mapping[str, Mapping[str, int]]
METRICS: tuple[str, ...] = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for rank, doc in enumerate(ranked[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    dcg = sum(max(relevant.get(doc, 0), 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1))
    ideal_grades = sorted((grade for grade in relevant.values() if grade > 0), reverse=True)[:k]
    ideal = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal_grades, 1))
    return dcg / ideal if ideal else 0.0


class RetrievalScores(BaseModel):
    """Mean scores of one retriever over `queries` judged queries."""

    queries: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float

    def as_row(self) -> dict[str, float]:
        return {
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "recall@10": self.recall_at_10,
            "mrr@10": self.mrr_at_10,
            "ndcg@10": self.ndcg_at_10,
        }


def score_run(run: Mapping[str, Sequence[str]], qrels: Qrels) -> RetrievalScores:
    """Mean metrics of a run (query id -> ranked document ids) over the judged queries with a relevant
    document; a judged query missing from the run counts as finding nothing."""
    judged = [query_id for query_id, grades in qrels.items() if any(grade > 0 for grade in grades.values())]
    if not judged:
        return RetrievalScores(
            queries=0, recall_at_1=0, recall_at_5=0, recall_at_10=0, mrr_at_10=0, ndcg_at_10=0
        )
    totals = dict.fromkeys(METRICS, 0.0)
    for query_id in judged:
        ranked, relevant = list(run.get(query_id, [])), qrels[query_id]
        totals["recall@1"] += recall_at(ranked, relevant, 1)
        totals["recall@5"] += recall_at(ranked, relevant, 5)
        totals["recall@10"] += recall_at(ranked, relevant, 10)
        totals["mrr@10"] += reciprocal_rank(ranked, relevant, 10)
        totals["ndcg@10"] += ndcg_at(ranked, relevant, 10)
    mean = {name: round(total / len(judged), 4) for name, total in totals.items()}
    return RetrievalScores(
        queries=len(judged),
        recall_at_1=mean["recall@1"],
        recall_at_5=mean["recall@5"],
        recall_at_10=mean["recall@10"],
        mrr_at_10=mean["mrr@10"],
        ndcg_at_10=mean["ndcg@10"],
    )


Searcher = Callable[[Sequence[str], str], Sequence[Sequence[str]]]


def evaluate_retrievers(
    search: Searcher,
    queries: Mapping[str, str],
    qrels: Qrels,
    modes: Sequence[str] = ("keyword", "dense", "hybrid", "hybrid-rrf"),
) -> dict[str, RetrievalScores]:
    """Scores of each mode; `search(texts, mode)` returns ranked document ids for each text, in order."""
    judged = [query_id for query_id in queries if query_id in qrels]
    texts = [queries[query_id] for query_id in judged]
    results: dict[str, RetrievalScores] = {}
    for mode in modes:
        ranked = search(texts, mode)
        run = {query_id: list(ids) for query_id, ids in zip(judged, ranked, strict=True)}
        results[mode] = score_run(run, {query_id: qrels[query_id] for query_id in judged})
    return results
