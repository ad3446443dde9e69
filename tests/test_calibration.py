"""The calibration model: the numpy logistic fit, the 1-5 mapping, loading and saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evals.calibrate import (
    FEATURES_V1,
    FitReport,
    fit_linear_map,
    fit_logistic,
    report_markdown,
)
from interviewer.core.errors import ConfigError
from interviewer.grading.reference import FEATURES, ReferencePolicy
from interviewer.grading.reference.calibration import (
    CALIBRATION_FILE,
    Calibration,
    LinearMap,
    load_calibration,
    save_calibration,
)


def test_fit_logistic_recovers_soft_targets() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)) * [2.0, 5.0] + [1.0, -3.0]
    true_w = np.array([1.5, 0.0])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    y = 1.0 / (1.0 + np.exp(-(z @ true_w + 0.5)))  # soft targets in 0..1
    w, b, mean, std = fit_logistic(x, y, l2=1e-6)
    assert w[0] == pytest.approx(1.5, abs=0.02)
    assert abs(w[1]) < 0.02
    assert b == pytest.approx(0.5, abs=0.02)
    assert mean == pytest.approx(x.mean(axis=0))


def test_l2_shrinks_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    y = (x[:, 0] > 0).astype(float)
    w_small, *_ = fit_logistic(x, y, l2=0.1)
    w_big, *_ = fit_logistic(x, y, l2=100.0)
    assert np.abs(w_big).sum() < np.abs(w_small).sum()


def test_constant_feature_does_not_divide_by_zero() -> None:
    x = np.hstack([np.linspace(0, 1, 20)[:, None], np.ones((20, 1))])
    y = np.linspace(0.1, 0.9, 20)
    w, b, mean, std = fit_logistic(x, y)
    assert np.all(np.isfinite(w)) and std[1] == 1.0


def _cal(weights: list[float], bias: float = 0.0) -> Calibration:
    n = len(weights)
    return Calibration(version="t", features=[f"f{i}" for i in range(n)], mean=[0.0] * n,
                       std=[1.0] * n, weights=weights, bias=bias)


def test_score_is_bounded_and_monotone() -> None:
    cal = _cal([2.0])
    scores = [cal.score([v]) for v in (-100.0, -1.0, 0.0, 1.0, 100.0)]
    assert scores == sorted(scores)
    assert 1.0 <= scores[0] < 1.01 and 4.99 < scores[-1] <= 5.0
    assert cal.score([0.0]) == pytest.approx(3.0)


def test_wrong_feature_count_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        _cal([1.0, 2.0]).score([1.0])


def test_linear_map_clips_to_share() -> None:
    lin = fit_linear_map(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]))
    assert lin.slope == pytest.approx(0.5) and lin.intercept == pytest.approx(0.0)
    assert LinearMap(slope=1.0, intercept=0.5).apply(np.array([-2.0, 2.0])).tolist() == [0.0, 1.0]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cal = _cal([1.0, -0.5], bias=0.2)
    cal.baselines = {"cosine": LinearMap(slope=1.0, intercept=0.0)}
    path = save_calibration(cal, tmp_path / "c.json")
    assert load_calibration(path) == cal


def test_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_calibration(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "x"}', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_calibration(bad)


def test_committed_v3_is_the_documented_fit() -> None:
    cal = load_calibration(CALIBRATION_FILE)
    assert cal.version == "v7" and CALIBRATION_FILE.name == "calibration_v7.json"
    assert cal.encoder == "all-MiniLM-L6-v2-int8-dq"  # the encoder the grader runs with
    assert cal.features == FEATURES_V1
    assert set(cal.features) <= set(FEATURES)
    assert cal.fitted_on.startswith("SAF training")
    assert cal.n_train > 1000
    # coverage and lexical recall must push the grade up, or the checklist would be meaningless
    w = dict(zip(cal.features, cal.weights, strict=True))
    assert w["cov_mean"] > 0 and w["lex_recall"] > 0
    report = (CALIBRATION_FILE.parents[2] / "evals" / "reports" / "calibration_v7.md").read_text()
    assert f"{cal.bias:+.3f}" in report


def test_report_markdown_has_the_numbers() -> None:
    cal = _cal([1.0])
    cal.baselines = {"cosine": LinearMap(slope=1.0, intercept=0.0),
                     "length": LinearMap(slope=0.1, intercept=0.2)}
    rep = FitReport(n_train=10, n_non_empty=8, cv_pearson_all=0.71, cv_pearson_non_empty=0.33,
                    cv_rmse_all=0.25, train_pearson_all=0.75,
                    baseline_pearson={"cosine": (0.6, 0.1)}, weights={"f0": 1.0})
    md = report_markdown(cal, rep)
    assert "0.710" in md and "0.330" in md and "| cosine | 0.600 | 0.100 |" in md


# --- the policy: every number in one versioned model, saved with the calibration ----------------


def test_committed_calibration_carries_the_current_policy() -> None:
    """Changing a number in `ReferencePolicy` without re-saving the calibration (and bumping the
    version) fails here: the file and the code must name the same rules."""
    cal = load_calibration(CALIBRATION_FILE)
    assert cal.policy == ReferencePolicy()
    assert cal.cover_threshold == cal.policy.cover.threshold


def test_legacy_files_move_their_threshold_into_the_policy(tmp_path: Path) -> None:
    old = CALIBRATION_FILE.with_name("calibration_v1.json")
    cal = load_calibration(old)
    assert cal.policy.cover.threshold == 0.55 and cal.policy.version == ReferencePolicy().version
    raw = _cal([1.0]).model_dump(mode="json")
    raw.pop("policy")
    raw["cover_threshold"] = 0.42
    path = tmp_path / "legacy.json"
    path.write_text(__import__("json").dumps(raw), encoding="utf-8")
    assert load_calibration(path).policy.cover.threshold == 0.42


def test_policy_is_frozen_and_strict() -> None:
    p = ReferencePolicy()
    with pytest.raises(ValueError):
        p.cover.threshold = 0.1  # type: ignore[misc]  # frozen: a change is a new version
    with pytest.raises(ValueError):
        ReferencePolicy.model_validate({"cover": {"threshold": 0.5, "typo": 1}})


def test_report_is_generated_from_the_policy() -> None:
    """Every policy number is printed with its description, and the rules in words use the
    policy's values (a changed cap shows up in the report without editing prose)."""
    cal = _cal([1.0])
    cal.baselines = {"cosine": LinearMap(slope=1.0, intercept=0.0)}
    rep = FitReport(n_train=10, n_non_empty=8, cv_pearson_all=0.71, cv_pearson_non_empty=0.33,
                    cv_rmse_all=0.25, train_pearson_all=0.75,
                    baseline_pearson={"cosine": (0.6, 0.1)}, weights={"f0": 1.0})
    md = report_markdown(cal, rep)
    for name, _, desc in cal.policy.rows():
        assert f"| `{name}` |" in md and desc in md
    changed = cal.model_copy(update={"policy": cal.policy.model_copy(update={
        "version": "p-test",
        "misconception": cal.policy.misconception.model_copy(update={"cap": 1.75})})})
    md2 = report_markdown(changed, rep)
    assert "policy p-test" in md2 and "caps the grade at 1.75" in md2
    assert "caps the grade at 1.75" not in md


def test_committed_report_matches_the_committed_policy() -> None:
    text = (CALIBRATION_FILE.parents[2] / "evals" / "reports" / "calibration_v7.md").read_text()
    cal = load_calibration(CALIBRATION_FILE)
    from evals.calibrate import policy_markdown, rules_markdown

    assert policy_markdown(cal.policy) in text and rules_markdown(cal.policy) in text


def test_nothing_under_grading_imports_the_evals() -> None:
    """The runtime never depends on tooling: the fit lives in `evals.calibrate`."""
    import ast

    root = CALIBRATION_FILE.parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [("." * node.level) + (node.module or "")]
                     if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names
                          if "evals" in n.split(".") or n.startswith("..evals")]
    assert offenders == []
