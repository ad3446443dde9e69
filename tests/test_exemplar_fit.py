"""The exemplar blend's fitting helpers (`interviewer dev fit-exemplars`): pure functions."""

from __future__ import annotations

import numpy as np

from evals.exemplar_fit import MIN_STEP, fit_scale, isotonic
from interviewer.grading.reference.policy import SCALE_KNOTS, ExemplarPolicy


def test_isotonic_pools_what_goes_down_and_keeps_what_goes_up() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    centres, levels = isotonic(x, np.array([1.0, 3.0, 2.0, 4.0]))
    assert levels.tolist() == [1.0, 2.5, 4.0]
    assert centres.tolist() == [1.0, 2.5, 4.0]
    _, same = isotonic(x, np.array([1.0, 2.0, 3.0, 5.0]))
    assert same.tolist() == [1.0, 2.0, 3.0, 5.0]


def test_fit_scale_lifts_a_blend_that_reads_low_and_is_a_valid_policy_scale() -> None:
    rng = np.random.default_rng(0)
    panel = rng.integers(1, 6, 400).astype(float)
    blended = 1.0 + (panel - 1.0) * 0.6 + rng.normal(0, 0.2, 400)  # reads low, as the blend did
    scale = fit_scale(blended, panel)
    assert len(scale) == len(SCALE_KNOTS) and scale[0] == 1.0 and scale[-1] == 5.0
    assert all(b - a >= MIN_STEP - 1e-9 for a, b in zip(scale, scale[1:], strict=False))
    assert scale[SCALE_KNOTS.index(3.0)] > 3.5  # a blended 3 is a panel's 4 here
    ExemplarPolicy(scale=scale)  # accepted by the policy's own check


def test_a_flat_stretch_of_the_fit_still_keeps_the_order() -> None:
    blended = np.array([1.0, 2.0, 3.4, 3.6, 3.9, 4.1, 5.0] * 20)
    panel = np.array([1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 5.0] * 20)  # flat from 3.4 to 4.1
    scale = fit_scale(blended, panel)
    assert all(b - a >= MIN_STEP - 1e-9 for a, b in zip(scale, scale[1:], strict=False))
    assert scale[-1] == 5.0 and scale[0] == 1.0
