"""Agreement between a grader's scores and human scores: pure functions over plain sequences.

Correlations say whether the grader orders answers like the humans do; RMSE and the 1-5
agreement rates say whether the numbers themselves can be read as grades.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

# Scores as the evals hold them: a list or a numpy array.
Values = Sequence[float] | np.ndarray


class AgreementMetrics(BaseModel):
    """One grader (or baseline) against the human scores on one set of answers."""

    n: int
    pearson: float
    spearman: float
    rmse: float  # on the dataset's own scale (0..1 for SAF, 1..5 for Kraken)
    exact: float  # share of answers whose rounded 1-5 score equals the human's
    within_one: float  # share within one point on the 1-5 scale


def _arrays(a: Values, b: Values) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"length mismatch: {x.shape} vs {y.shape}")
    return x, y


def pearson(a: Values, b: Values) -> float:
    """Pearson's r; 0.0 when either side is constant (no ordering information at all)."""
    x, y = _arrays(a, b)
    if len(x) < 2:
        return 0.0
    xc, yc = x - x.mean(), y - y.mean()
    denom = math.sqrt(float((xc**2).sum()) * float((yc**2).sum()))
    return float((xc * yc).sum() / denom) if denom > 0 else 0.0


def rank(values: Values) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (what Spearman needs)."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sorted_x = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(a: Values, b: Values) -> float:
    x, y = _arrays(a, b)
    return pearson(rank(x), rank(y))


def rmse(a: Values, b: Values) -> float:
    x, y = _arrays(a, b)
    return float(np.sqrt(((x - y) ** 2).mean())) if len(x) else 0.0


def to_points(score_1_5: Values) -> np.ndarray:
    """Round 1-5 scores to whole points, halves up (4.5 -> 5), clipped to 1..5."""
    x = np.asarray(score_1_5, dtype=np.float64)
    return np.clip(np.floor(x + 0.5), 1, 5)


def exact_agreement(pred_1_5: Values, human_1_5: Values) -> float:
    p, h = _arrays(pred_1_5, human_1_5)
    return float((to_points(p) == to_points(h)).mean()) if len(p) else 0.0


def within_one(pred_1_5: Values, human_1_5: Values) -> float:
    p, h = _arrays(pred_1_5, human_1_5)
    return float((np.abs(to_points(p) - to_points(h)) <= 1).mean()) if len(p) else 0.0


def agreement(
    pred_1_5: Values,
    human_1_5: Values,
    *,
    pred_native: Values | None = None,
    human_native: Values | None = None,
) -> AgreementMetrics:
    """All metrics at once. `*_native` are the same scores on the dataset's own scale (for RMSE);
    without them RMSE is taken on the 1-5 scale."""
    p, h = _arrays(pred_1_5, human_1_5)
    pn = p if pred_native is None else np.asarray(pred_native, dtype=np.float64)
    hn = h if human_native is None else np.asarray(human_native, dtype=np.float64)
    return AgreementMetrics(
        n=len(p),
        pearson=pearson(p, h),
        spearman=spearman(p, h),
        rmse=rmse(pn, hn),
        exact=exact_agreement(p, h),
        within_one=within_one(p, h),
    )
