"""The grading metrics are pure functions; check them against hand-computed values."""

from __future__ import annotations

import math

import pytest

from evals.metrics.grading import (
    agreement,
    exact_agreement,
    pearson,
    rank,
    rmse,
    spearman,
    to_points,
    within_one,
)


def test_pearson_known_values() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # hand computed: x=[1,2,3,4], y=[1,3,2,4] -> r = 0.8
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)


def test_pearson_constant_side_is_zero_not_nan() -> None:
    assert pearson([1, 1, 1], [1, 2, 3]) == 0.0
    assert pearson([5], [3]) == 0.0


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        pearson([1, 2], [1, 2, 3])


def test_rank_gives_ties_their_average_rank() -> None:
    assert rank([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert rank([3, 1, 2]).tolist() == [3.0, 1.0, 2.0]


def test_spearman_is_rank_based() -> None:
    # monotone but not linear: Spearman 1, Pearson below 1
    x, y = [1, 2, 3, 4, 5], [1, 4, 9, 16, 1000]
    assert spearman(x, y) == pytest.approx(1.0)
    assert pearson(x, y) < 0.9


def test_rmse() -> None:
    assert rmse([0, 0], [3, 4]) == pytest.approx(math.sqrt(12.5))
    assert rmse([], []) == 0.0


def test_points_round_halves_up_and_clip() -> None:
    assert to_points([0.2, 1.49, 1.5, 4.5, 5.7]).tolist() == [1, 1, 2, 5, 5]


def test_exact_and_within_one() -> None:
    pred = [1.0, 2.4, 3.6, 5.0]
    human = [1.0, 3.0, 4.0, 2.0]  # points: pred 1,2,4,5 vs human 1,3,4,2
    assert exact_agreement(pred, human) == pytest.approx(0.5)
    assert within_one(pred, human) == pytest.approx(0.75)


def test_agreement_uses_native_scale_for_rmse() -> None:
    m = agreement([1.0, 5.0], [1.0, 5.0], pred_native=[0.0, 1.0], human_native=[0.0, 0.5])
    assert m.n == 2
    assert m.pearson == pytest.approx(1.0)
    assert m.exact == 1.0
    assert m.rmse == pytest.approx(math.sqrt(0.125))
