"""The reference grader's calibration: features of an answer -> a 1-5 score.

A logistic model over standardised features, fitted with soft targets (the human share of points,
0..1) on SAF `training` only, in pure numpy. The fitted parameters are committed as
`calibration_v3.json` next to this file, with the fit report in `evals/reports/calibration_v3.md`
(v3: v2's features, fitted on the vectors of the grading encoder with int8 arithmetic; v2: the
whole-answer vector pooled from the sentence vectors; v1 and v2 are kept for comparison).
Refit with `python -m interviewer.grading.calibration` (see `main`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from interviewer.core.errors import ConfigError

CALIBRATION_FILE = Path(__file__).with_name("calibration_v3.json")


class LinearMap(BaseModel):
    """A baseline's one-feature linear map onto 0..1, fitted on the same training rows."""

    slope: float
    intercept: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        return np.clip(self.slope * x + self.intercept, 0.0, 1.0)


class Calibration(BaseModel):
    version: str
    features: list[str]
    mean: list[float]
    std: list[float]
    weights: list[float]
    bias: float
    l2: float = 0.0
    fitted_on: str = ""
    n_train: int = 0
    # thresholds used by the grader's checklist and checks, chosen on training data
    cover_threshold: float = 0.55
    baselines: dict[str, LinearMap] = Field(default_factory=dict)
    notes: str = ""
    # the encoder whose vectors the features were computed with (empty: the shipped model)
    encoder: str = ""

    def share(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Predicted share of points (0..1) for one row or a matrix of rows."""
        arr = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if arr.shape[1] != len(self.features):
            raise ConfigError(
                f"calibration {self.version} expects {len(self.features)} features, "
                f"got {arr.shape[1]}"
            )
        z = (arr - np.asarray(self.mean)) / np.asarray(self.std)
        return _sigmoid(z @ np.asarray(self.weights) + self.bias)

    def score(self, x: Sequence[float]) -> float:
        """The 1-5 score for one feature row."""
        return float(1.0 + 4.0 * self.share(x)[0])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 50
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Soft-target logistic regression by Newton's method; returns (w, b, mean, std)."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    z = (x - mean) / std
    n, d = z.shape
    a = np.hstack([z, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0  # no penalty on the bias
    for _ in range(iters):
        p = _sigmoid(a @ theta)
        grad = a.T @ (p - y) + reg * theta
        h = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(h, grad)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1]), mean, std


def fit_linear_map(x: np.ndarray, y: np.ndarray) -> LinearMap:
    """Least-squares y ~ a*x + b, for putting a baseline feature on the 0..1 scale."""
    a = np.vstack([x, np.ones_like(x)]).T
    (slope, intercept), *_ = np.linalg.lstsq(a, y, rcond=None)
    return LinearMap(slope=float(slope), intercept=float(intercept))


def load_calibration(path: Path | None = None) -> Calibration:
    src = path or CALIBRATION_FILE
    try:
        return Calibration.model_validate_json(src.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"calibration file missing: {src}") from e
    except ValueError as e:
        raise ConfigError(f"calibration file {src} is invalid: {e}") from e


def save_calibration(cal: Calibration, path: Path | None = None) -> Path:
    dst = path or CALIBRATION_FILE
    dst.write_text(json.dumps(cal.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return dst


# --- fitting (run by hand; the result is committed) ----------------------------------------------

VERSION = "v3"
FEATURES_V1 = ["cov_mean", "cov_frac", "lex_recall", "len_ratio", "q_sim"]
L2_V1 = 30.0
COVER_THRESHOLD_V1 = 0.55
REPORT_FILE = "calibration_v3.md"
SHIPPED_ENCODER = "all-MiniLM-L6-v2-int8"  # v1 and v2 were fitted on its vectors


class FitReport(BaseModel):
    n_train: int
    n_non_empty: int
    cv_pearson_all: float
    cv_pearson_non_empty: float
    cv_rmse_all: float
    train_pearson_all: float
    baseline_pearson: dict[str, tuple[float, float]]  # name -> (all, non-empty)
    weights: dict[str, float]


def fit_saf(encoder: object, *, features: list[str] | None = None, l2: float = L2_V1,
            cover_threshold: float = COVER_THRESHOLD_V1) -> tuple[Calibration, FitReport]:
    """Fit on SAF `training` only: features from the grader itself, non-answers left out of the
    fit (the grader scores them 1 by rule), leave-one-question-out CV for the report."""
    import math

    from evals.grading import CachingEncoder, saf_cases
    from evals.metrics.grading import pearson, rmse
    from interviewer.grading.features import words
    from interviewer.grading.reference import FEATURES, ReferenceGrader

    names = features or FEATURES_V1
    placeholder = Calibration(
        version="fit", features=FEATURES, mean=[0.0] * len(FEATURES),
        std=[1.0] * len(FEATURES), weights=[0.0] * len(FEATURES), bias=0.0,
        cover_threshold=cover_threshold,
    )
    cache = encoder if isinstance(encoder, CachingEncoder) else CachingEncoder(encoder)
    grader = ReferenceGrader(cache, placeholder)
    cases = saf_cases("training")
    texts: list[str] = []
    for c in cases:
        texts += grader.texts_to_encode(c.question, c.answer)
    cache.warm(texts)
    feats = [grader.features(c.question, c.answer) for c in cases]
    x = np.array([f.vector(names) for f in feats])
    y = np.array([c.human for c in cases])
    na = np.array([f.non_answer for f in feats])
    w, b, mean, std = fit_logistic(x[~na], y[~na], l2=l2)
    cal = Calibration(
        version=VERSION, features=names, mean=mean.tolist(), std=std.tolist(),
        weights=w.tolist(), bias=b, l2=l2, fitted_on="SAF training (non-answers excluded)",
        n_train=int((~na).sum()), cover_threshold=cover_threshold,
        encoder=getattr(encoder, "name", ""),
        notes="Non-answers are scored 1 by rule; misconception/echo caps apply after this model.",
    )
    # leave-one-question-out predictions for an honest in-training estimate
    qids = np.array([c.question.id for c in cases])
    pred = np.ones(len(cases))
    for q in sorted(set(qids)):
        te = qids == q
        fit = ~te & ~na
        wq, bq, mq, sq = fit_logistic(x[fit], y[fit], l2=l2)
        pred[te] = 1.0 + 4.0 * _sigmoid(((x[te] - mq) / sq) @ wq + bq)
    pred[na] = 1.0
    full = np.where(na, 1.0, 1.0 + 4.0 * cal.share(x))
    # baselines: cosine(answer, reference) (non-answers 0) and log word count, mapped linearly
    cos = np.array([0.0 if f.non_answer else f.values["cos_example"] for f in feats])
    length = np.array([math.log1p(len(words(c.answer))) for c in cases])
    cal.baselines = {"cosine": fit_linear_map(cos, y), "length": fit_linear_map(length, y)}
    report = FitReport(
        n_train=len(cases), n_non_empty=int((~na).sum()),
        cv_pearson_all=pearson(pred, y), cv_pearson_non_empty=pearson(pred[~na], y[~na]),
        cv_rmse_all=rmse((pred - 1.0) / 4.0, y), train_pearson_all=pearson(full, y),
        baseline_pearson={
            n: (pearson(v, y), pearson(v[~na], y[~na])) for n, v in
            (("cosine", cos), ("length", length))
        },
        weights=dict(zip(names, (float(v) for v in w), strict=True)),
    )
    return cal, report


def report_markdown(cal: Calibration, rep: FitReport) -> str:
    rows = "\n".join(f"| `{k}` | {v:+.3f} | {m:.3f} | {s:.3f} |" for (k, v), m, s in
                     zip(rep.weights.items(), cal.mean, cal.std, strict=True))
    base = "\n".join(f"| {k} | {a:.3f} | {b:.3f} |" for k, (a, b) in
                     rep.baseline_pearson.items())
    return f"""# Reference grader calibration {cal.version}

Fitted by `python -m interviewer.grading.calibration` on SAF `training` only ({rep.n_train}
answers, {rep.n_non_empty} non-empty; 22 questions in all, the unseen splits are never read).
Model: logistic regression with soft targets (the human share of points, 0..1), L2 = {cal.l2},
over standardised features; the grade is 1 + 4 * p. Non-answers ("No response.", empty) are
scored 1 by rule and left out of the fit. Key-point cover threshold: {cal.cover_threshold}.
Encoder (every similarity feature comes from its vectors): `{cal.encoder or SHIPPED_ENCODER}`.

## Features and weights (standardised)

| feature | weight | mean | std |
| --- | ---: | ---: | ---: |
{rows}

bias {cal.bias:+.3f}

- `cov_mean`: mean over key points of the best cosine with an answer sentence (or the whole answer)
- `cov_frac`: share of key points whose best cosine reaches the cover threshold
- `lex_recall`: share of the reference's content words (those not already in the question) used
- `len_ratio`: log((1 + answer words) / (1 + reference words))
- `q_sim`: cosine of the answer with the question (on its own it does not track quality; in the
  model it discounts answers that only echo the question)

Features were chosen by leave-one-question-out cross-validation on `training` (Pearson on
non-empty answers), among the grader's nine candidate features.

## Fit numbers (SAF training)

| measure | value |
| --- | ---: |
| leave-one-question-out Pearson, all answers | {rep.cv_pearson_all:.3f} |
| leave-one-question-out Pearson, non-empty answers | {rep.cv_pearson_non_empty:.3f} |
| leave-one-question-out RMSE (0..1), all answers | {rep.cv_rmse_all:.3f} |
| in-sample Pearson, all answers | {rep.train_pearson_all:.3f} |

Baselines on the same rows (Pearson, all / non-empty):

| baseline | all | non-empty |
| --- | ---: | ---: |
{base}

## Rules the grader applies after the model (not fitted)

- non-answers score 1; an answer that only restates the question is capped at 1.5;
- relevance ramp: with r = max(cosine with the question, with the example, mean key-point
  cover), the grade is capped at 1 + 4 * clip((r - 0.15) / 0.40, 0, 1) (off-topic answers);
- an asserted misconception caps the grade at 2.0, a key point paraphrased with a term flipped
  to its opposite at 2.5;
- text addressed to the grader is removed; the lower of the raw and cleaned grades is kept,
  minus 0.25;
- behavioral, conversational and take-home questions blend the model (0.6) with the mean of
  their criteria (0.4: STAR, specificity, ownership, relevance; or the brief's rubric).

Baseline linear maps onto 0..1 (for RMSE/agreement in the eval): cosine
{cal.baselines['cosine'].slope:+.3f} x {cal.baselines['cosine'].intercept:+.3f}; length
{cal.baselines['length'].slope:+.3f} x {cal.baselines['length'].intercept:+.3f}.
"""


def main(argv: list[str] | None = None) -> int:
    """Refit the current version and write the JSON and the fit report."""
    from interviewer.core.settings import PROJECT_ROOT
    from interviewer.packs.embeddings import MiniLM

    cal, rep = fit_saf(MiniLM.for_grading())
    save_calibration(cal)
    out = PROJECT_ROOT / "evals" / "reports" / REPORT_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_markdown(cal, rep), encoding="utf-8")
    print(f"wrote {CALIBRATION_FILE} and {out}")
    print(rep.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
