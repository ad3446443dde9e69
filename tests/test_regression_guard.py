"""The regression guard: the offline conduct, retrieval and Kraken grading evals and the blind
sets' frozen test half run again and no metric may cross its threshold in `evals/baseline.json`.

A failure here means a change made an eval worse. Fix the change; if the drop is a deliberate
trade-off, lower the threshold on purpose with a recorded reason:
`python -m evals.baseline --update --allow-lower --reason "..."`.
"""

from __future__ import annotations

import pytest

from evals import baseline as bl
from evals.baseline import (
    BASELINE_PATH,
    Baseline,
    EvalBaseline,
    Threshold,
    compare,
    load_baseline,
    margin_for,
    updated,
)
from interviewer.core.settings import Settings

# --- the comparison logic -------------------------------------------------------------------


def _base(**metrics: Threshold) -> Baseline:
    return Baseline(updated_at="t", git_commit=None,
                    evals={"retrieval": EvalBaseline(config={}, metrics=dict(metrics))})


def test_compare_flags_drops_missing_metrics_and_max_metrics() -> None:
    b = _base(mrr=Threshold(measured=0.82, threshold=0.80, margin=0.02),
              misses=Threshold(measured=3, threshold=5, direction="max", margin=2))
    assert compare(b, {"retrieval": {"mrr": 0.80, "misses": 5}}) == []
    [v] = compare(b, {"retrieval": {"mrr": 0.7999, "misses": 5}})
    assert v.metric == "mrr" and "must be >= 0.8000" in str(v)
    [v] = compare(b, {"retrieval": {"mrr": 0.9, "misses": 6}})
    assert v.metric == "misses"
    [v] = compare(b, {"retrieval": {"misses": 1}})
    assert v.measured is None and "missing" in str(v)
    assert compare(b, {}) == []  # an eval that was not run is not compared


def test_thresholds_ratchet_up_and_are_lowered_only_with_a_reason() -> None:
    b = _base(mrr=Threshold(measured=0.82, threshold=0.80, margin=0.02))
    up = updated(b, {"retrieval": {"mrr": 0.90}}, {})
    assert up.evals["retrieval"].metrics["mrr"].threshold == pytest.approx(0.88)
    down = updated(b, {"retrieval": {"mrr": 0.70}}, {})
    assert down.evals["retrieval"].metrics["mrr"].threshold == 0.80  # kept: a violation
    assert compare(down, {"retrieval": {"mrr": 0.70}})
    with pytest.raises(ValueError):
        updated(b, {"retrieval": {"mrr": 0.70}}, {}, allow_lower=True)
    lowered = updated(b, {"retrieval": {"mrr": 0.70}}, {}, allow_lower=True,
                      reason="new dataset v2 is harder")
    t = lowered.evals["retrieval"].metrics["mrr"]
    assert t.threshold == pytest.approx(0.68) and "harder" in t.lowered[0]


def test_max_metrics_ratchet_down() -> None:
    """A bad kind's mean grade on the blind test half must stay low: its threshold is the
    measurement plus the margin, and it only goes down."""
    first = bl.updated(None, {"blind": {"mean_bad.buzzword": 1.60, "guide.spearman": 0.70}}, {})
    t = first.evals["blind"].metrics["mean_bad.buzzword"]
    assert t.direction == "max" and t.threshold == pytest.approx(1.75)
    assert first.evals["blind"].metrics["guide.spearman"].direction == "min"
    better = bl.updated(first, {"blind": {"mean_bad.buzzword": 1.40}}, {})
    assert better.evals["blind"].metrics["mean_bad.buzzword"].threshold == pytest.approx(1.55)
    worse = bl.updated(better, {"blind": {"mean_bad.buzzword": 1.90}}, {})
    assert worse.evals["blind"].metrics["mean_bad.buzzword"].threshold == pytest.approx(1.55)
    assert compare(worse, {"blind": {"mean_bad.buzzword": 1.90}})


def test_margins_follow_the_stated_policy() -> None:
    assert margin_for("conduct", "pass_rate.session_ends") == 0.0
    assert margin_for("conduct", "gap.strong_minus_average") == 0.15
    assert margin_for("retrieval", "recall_at_1") == 0.02
    assert margin_for("grading", "spearman") == 0.03
    assert margin_for("grading", "exact") == 0.05
    assert margin_for("blind", "guide.spearman") == 0.03
    assert margin_for("blind", "mean_bad.red_flag") == 0.15


def test_committed_baseline_was_never_loosened() -> None:
    """Every threshold is its measurement minus the policy's margin, or higher, unless it was
    lowered with a recorded reason."""
    b = load_baseline()
    assert set(b.evals) >= {"conduct", "retrieval"}
    for ev, eb in b.evals.items():
        for name, t in eb.metrics.items():
            assert t.margin == margin_for(ev, name), f"{ev}.{name}"
            if not t.lowered:
                floor = t.measured - t.margin if t.direction == "min" else t.measured + t.margin
                ok = t.threshold >= floor - 1e-6 if t.direction == "min" \
                    else t.threshold <= floor + 1e-6
                assert ok, f"{ev}.{name}: threshold {t.threshold} looser than the policy allows"
    conduct = b.evals["conduct"].metrics
    assert all(conduct[m].threshold == 1.0 for m in conduct if m.startswith("pass_rate."))


# --- the guard itself ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return load_baseline(BASELINE_PATH)


@pytest.mark.integration
@pytest.mark.parametrize("eval_name", ["conduct", "retrieval", "grading", "blind"])
def test_no_metric_below_its_baseline_threshold(
    eval_name: str, baseline: Baseline, settings: Settings
) -> None:
    if eval_name not in baseline.evals:
        pytest.fail(f"evals/baseline.json has no {eval_name!r} section: record it with "
                    f"`python -m evals.baseline --update --only {eval_name}`")
    measured = bl.MEASURES[eval_name](settings)
    violations = compare(baseline, {eval_name: measured})
    assert not violations, "regressions:\n" + "\n".join(str(v) for v in violations)
