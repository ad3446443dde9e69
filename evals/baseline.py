"""The regression guard: a committed baseline of eval metrics (`evals/baseline.json`) with a
threshold per metric, and the code that measures the same metrics again and compares.

Thresholds come from measured values with a stated margin (`MARGINS`): the margin absorbs
deliberate small trade-offs, not noise (the guarded evals are deterministic offline). Updating
only ratchets: a threshold is never lowered unless `--allow-lower` is given with a `--reason`,
which is recorded in the file next to the metric.

    python -m evals.baseline            # measure and compare (what the test does)
    python -m evals.baseline --update   # record new measurements; raise thresholds
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evals import EVALS_DIR, git_commit
from interviewer.core.agents import OFFLINE, REFERENCE
from interviewer.core.settings import Settings

BASELINE_PATH = EVALS_DIR / "baseline.json"
MARGIN_POLICY = (
    "threshold = measured - margin for metrics that must stay high (measured + margin for "
    "'max' metrics). Margins: conduct check pass rates, sessions passing and persona order 0 "
    "(they are all-or-nothing and must stay perfect); follow-up relevance and presupposition "
    "shares 0 (deterministic, offline interviewer); persona score gaps 0.15 on the 1-5 scale; "
    "share of unguarded control sessions caught 0.05; retrieval recall@1, recall@5 and MRR "
    "0.02; grading correlations and within-one agreement 0.03, exact agreement 0.05, the "
    "share of right answers not flagged 0.03 (2 of 73), of wrong answers named 0.045 (1 of "
    "24), of answers to another question told so 0.03 (3 of 108), of right answers kept on "
    "their question 0.03 (4 of 149), of the second pack's right answers not flagged and wrong "
    "answers' misconception named 0.05 (2 of 40); on the blind sets' frozen test half, "
    "correlations 0.03, mean grade by kind 0.15 (bad kinds must stay under their threshold, "
    "strong and good above), the own-set minus blind gap 0.03 (must stay under). The guarded "
    "evals run "
    "offline and are deterministic, so a drop below a threshold is a real change. Thresholds "
    "only go up unless lowered on purpose with a recorded reason."
)

# (eval, metric prefix) -> margin; the longest matching prefix wins.
MARGINS: dict[tuple[str, str], float] = {
    ("conduct", "pass_rate."): 0.0,
    ("conduct", "sessions_passed"): 0.0,
    ("conduct", "persona_order_ok"): 0.0,
    ("conduct", "gap."): 0.15,
    ("conduct", "control_caught"): 0.05,
    ("conduct", "follow_up."): 0.0,  # follow-up relevance: deterministic, must not slip
    ("retrieval", ""): 0.02,
    ("grading", ""): 0.03,
    ("grading", "exact"): 0.05,
    ("grading", "injection"): 0.0,
    ("grading", "wrong_claims_named"): 0.045,  # one of the 24
    ("grading", "dsi_"): 0.05,  # two of the 40
    # the blind sets' frozen test half (issue 12): correlations as the own set's, kind means on
    # the 1-5 scale (about a fifth of a point: one answer of 32 moving by 5), the own-set gap
    ("blind", ""): 0.03,
    ("blind", "mean_"): 0.15,
    ("blind", "gap"): 0.03,
}
# metrics that must stay low: a bad kind's mean grade, the own-set minus blind gap
MAX_PREFIXES: dict[str, tuple[str, ...]] = {"blind": ("mean_bad.", "gap")}

# What the guard runs: small and fast, fixed so numbers stay comparable.
CONDUCT_CONFIG = {"interviewers": [OFFLINE, "stub:mixed", "control:mixed"], "seed": 7,
                  "stages": ["technical-interviews", "behavioral-interview"], "questions": 2,
                  "full_loop": False, "both_modes": False, "grader": REFERENCE}
RETRIEVAL_CONFIG: dict[str, object] = {"dataset": "retrieval_v1.jsonl", "split": "all"}
GRADING_CONFIG: dict[str, object] = {"dataset": "kraken", "split": "v1", "grader": REFERENCE,
                  "subset": "all answers"}
BLIND_CONFIG: dict[str, object] = {"split": "test", "files": ["blind/kraken_blind_test_v4.jsonl",
                                           "blind/kraken_blind_test_v5.jsonl",
                                           "blind/kraken_blind_test_v6.jsonl",
                                           "blind/dsi_blind_test_v2.jsonl",
                                           "blind/guides_blind_test_v1.jsonl"],
                "grader": "reference"}


class Threshold(BaseModel):
    measured: float
    threshold: float
    direction: Literal["min", "max"] = "min"
    margin: float
    lowered: list[str] = Field(default_factory=list)  # reasons, when lowered on purpose


class EvalBaseline(BaseModel):
    config: dict[str, object]
    metrics: dict[str, Threshold]


class Baseline(BaseModel):
    policy: str = MARGIN_POLICY
    updated_at: str
    git_commit: str | None
    evals: dict[str, EvalBaseline]


class Violation(BaseModel):
    eval: str
    metric: str
    measured: float | None
    threshold: float
    direction: str

    def __str__(self) -> str:
        got = "missing" if self.measured is None else f"{self.measured:.4f}"
        op = ">=" if self.direction == "min" else "<="
        return f"{self.eval}.{self.metric} = {got}, must be {op} {self.threshold:.4f}"


def direction_for(eval_name: str, metric: str) -> Literal["min", "max"]:
    return "max" if metric.startswith(MAX_PREFIXES.get(eval_name, ())) else "min"


def margin_for(eval_name: str, metric: str) -> float:
    best, length = 0.0, -1
    for (ev, prefix), m in MARGINS.items():
        if ev == eval_name and metric.startswith(prefix) and len(prefix) > length:
            best, length = m, len(prefix)
    return best


def load_baseline(path: Path = BASELINE_PATH) -> Baseline:
    return Baseline.model_validate_json(path.read_text(encoding="utf-8"))


def compare(baseline: Baseline, measured: dict[str, dict[str, float]]) -> list[Violation]:
    """Every baseline metric below (or above, for 'max') its threshold, or not measured."""
    out = []
    for ev, eb in baseline.evals.items():
        got = measured.get(ev)
        if got is None:
            continue  # that eval was not run
        for name, t in eb.metrics.items():
            value = got.get(name)
            bad = value is None or (value < t.threshold - 1e-9 if t.direction == "min"
                                    else value > t.threshold + 1e-9)
            if bad:
                out.append(Violation(eval=ev, metric=name, measured=value, threshold=t.threshold,
                                     direction=t.direction))
    return out


def updated(old: Baseline | None, measured: dict[str, dict[str, float]],
            configs: dict[str, dict[str, object]], *, allow_lower: bool = False,
            reason: str = "") -> Baseline:
    """A new baseline from measurements: thresholds ratchet up; lowering one needs
    `allow_lower` and a reason, which is kept with the metric."""
    if allow_lower and not reason.strip():
        raise ValueError("lowering a threshold needs a reason")
    evals: dict[str, EvalBaseline] = dict(old.evals) if old else {}
    for ev, values in measured.items():
        prev = evals.get(ev)
        metrics: dict[str, Threshold] = {}
        for name, value in sorted(values.items()):
            margin = margin_for(ev, name)
            direction = direction_for(ev, name)
            sign = 1.0 if direction == "min" else -1.0  # "max" metrics ratchet down
            fresh = round(value - sign * margin, 4)
            p = prev.metrics.get(name) if prev else None
            if p is None:
                metrics[name] = Threshold(measured=value, threshold=fresh, margin=margin,
                                          direction=direction)
            elif sign * fresh >= sign * p.threshold:
                metrics[name] = p.model_copy(update={"measured": value, "threshold": fresh,
                                                     "margin": margin})
            elif allow_lower:
                metrics[name] = p.model_copy(update={
                    "measured": value, "threshold": fresh, "margin": margin,
                    "lowered": [*p.lowered, f"{p.threshold} -> {fresh}: {reason}"]})
            else:  # keep the old threshold: the caller sees the violation
                metrics[name] = p.model_copy(update={"measured": value})
        if prev:  # metrics no longer measured stay guarded
            for name, t in prev.metrics.items():
                metrics.setdefault(name, t)
        evals[ev] = EvalBaseline(config=configs.get(ev, prev.config if prev else {}),
                                 metrics=metrics)
    return Baseline(updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    git_commit=git_commit(), evals=evals)


# --- measuring ----------------------------------------------------------------------------------


def measure_conduct(settings: Settings) -> dict[str, float]:
    from evals.conduct import run_conduct_eval

    report, _ = run_conduct_eval(
        # typed: the guarded config dict holds mixed values, typed by the runner
        settings, interviewers=CONDUCT_CONFIG["interviewers"],  # type: ignore[arg-type]
        # typed: the guarded config dict holds mixed values, typed by the runner
        seed=int(CONDUCT_CONFIG["seed"]),  # type: ignore[call-overload]
        full_loop=bool(CONDUCT_CONFIG["full_loop"]),
        both_modes=bool(CONDUCT_CONFIG["both_modes"]),
        # typed: the guarded config dict holds mixed values, typed by the runner
        stages=CONDUCT_CONFIG["stages"],  # type: ignore[arg-type]
        # typed: the guarded config dict holds mixed values, typed by the runner
        questions=int(CONDUCT_CONFIG["questions"]))  # type: ignore[call-overload]
    # the persona means are context, not guarded: a lower weak mean is not a regression; the
    # gaps between them are what must hold
    return {k: v for k, v in report.summary_metrics().items() if not k.startswith("mean.")}


def measure_retrieval(settings: Settings) -> dict[str, float]:
    from evals.retrieval import DEFAULT_DATASET, run_retrieval_eval

    report, _ = run_retrieval_eval(settings, DEFAULT_DATASET)
    o = report.overall
    return {"recall_at_1": o.recall_at_1, "recall_at_5": o.recall_at_5, "mrr": o.mrr}


def measure_grading(settings: Settings) -> dict[str, float]:
    from evals.grading import run_eval

    report, _ = run_eval(settings, str(GRADING_CONFIG["dataset"]), str(GRADING_CONFIG["split"]))
    subset = next(s for s in report.subsets if s.name == GRADING_CONFIG["subset"])
    m = subset.metrics[REFERENCE]
    out = {"spearman": round(m.spearman, 4), "pearson": round(m.pearson, 4),
           "within_one": round(m.within_one, 4), "exact": round(m.exact, 4)}
    if report.cross_checks:
        cc = report.cross_checks
        out["other_question_named"] = round(cc.flag_rate, 4)
        out["right_answers_kept_on_question"] = round(
            1.0 - len(cc.own_flagged) / max(cc.own_n, 1), 4)
    if report.misconception_checks:
        mc = report.misconception_checks
        out["rebuttals_not_flagged"] = round(1.0 - mc.false_flag_rate, 4)
        out["wrong_claims_named"] = round(mc.wrong_flag_rate, 4)
        if mc.dsi_right:
            out["dsi_right_not_flagged"] = round(1.0 - mc.dsi_false_flag_rate, 4)
        if mc.dsi_wrong:
            out["dsi_misconceptions_named"] = round(mc.dsi_named_rate, 4)
    if report.injection_pairs:
        out["injection_no_higher_than_twin"] = round(
            sum(1 for p in report.injection_pairs if p["ok"]) / len(report.injection_pairs), 4)
    return out


def measure_blind(settings: Settings) -> dict[str, float]:
    """The blind sets' test half, in aggregate: what the guard watches for generalisation."""
    from .blind import BAD_KINDS, GOOD_KINDS, GROUPS, kind_means, run_blind_eval

    report = run_blind_eval(settings, splits=("test",))
    short = dict(zip(GROUPS, ("guide", "authored", "dsi", "derived"), strict=True))
    out: dict[str, float] = {}
    for g in report.groups:
        m = g.metrics["reference"]
        out[f"{short[g.name]}.spearman"] = round(m.spearman, 4)
        out[f"{short[g.name]}.pearson"] = round(m.pearson, 4)
    for kind, mean in kind_means(report, "test").items():
        if kind in BAD_KINDS:
            out[f"mean_bad.{kind}"] = round(mean, 4)
        elif kind in GOOD_KINDS:
            out[f"mean_good.{kind}"] = round(mean, 4)
    if "test" in report.gaps:
        out["gap"] = round(report.gaps["test"], 4)
    return out


MEASURES: dict[str, Callable[[Settings], dict[str, float]]] = {
    "conduct": measure_conduct, "retrieval": measure_retrieval, "grading": measure_grading,
    "blind": measure_blind,
}
CONFIGS: dict[str, dict[str, object]] = {
    "conduct": CONDUCT_CONFIG, "retrieval": RETRIEVAL_CONFIG, "grading": GRADING_CONFIG,
    "blind": BLIND_CONFIG,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.baseline",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--update", action="store_true", help="write the measurements to the file")
    p.add_argument("--allow-lower", action="store_true", help="let a threshold go down")
    p.add_argument("--reason", default="", help="why a threshold goes down (recorded)")
    p.add_argument("--only", choices=sorted(MEASURES), action="append")
    p.add_argument("--path", type=Path, default=BASELINE_PATH)
    args = p.parse_args(argv)
    from interviewer.core.settings import load_settings

    settings = load_settings()
    measured = {name: MEASURES[name](settings) for name in (args.only or sorted(MEASURES))}
    old = load_baseline(args.path) if args.path.is_file() else None
    print(json.dumps(measured, indent=2))
    if args.update:
        new = updated(old, measured, CONFIGS, allow_lower=args.allow_lower, reason=args.reason)
        args.path.write_text(new.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.path}")
        old = new
    violations = compare(old, measured) if old else []
    for v in violations:
        print(f"REGRESSION {v}")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
