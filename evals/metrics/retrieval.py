"""Ranking metrics for retrieval evals: recall@k and mean reciprocal rank.

A case's outcome is the 1-based rank of the first relevant document in the ranked list, or None
when no relevant document was returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def first_relevant_rank(ranked_ids: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first id in `relevant`, None when none was retrieved."""
    wanted = set(relevant)
    if not wanted:
        raise ValueError("a case needs at least one relevant id")
    for rank, doc_id in enumerate(ranked_ids, 1):
        if doc_id in wanted:
            return rank
    return None


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of cases whose first relevant document is within the top k (one relevant per case)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def reciprocal_rank(rank: int | None) -> float:
    if rank is not None and rank < 1:
        raise ValueError("ranks are 1-based")
    return 0.0 if rank is None else 1.0 / rank


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    if not ranks:
        return 0.0
    return sum(reciprocal_rank(r) for r in ranks) / len(ranks)
