"""The exemplar blend's fitting helpers (`interviewer dev fit-exemplars`): pure functions."""

from __future__ import annotations

import numpy as np

from evals.exemplar_fit import fit_scale, isotonic
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
    assert list(scale) == sorted(scale)
    assert scale[SCALE_KNOTS.index(3.0)] > 3.5  # a blended 3 is a panel's 4 here
    ExemplarPolicy(scale=scale)  # accepted by the policy's own check
