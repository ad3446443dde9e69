"""Fitting the reference grader's calibration (dev tooling, not runtime): features from the grader
itself on SAF `training`, a soft-target logistic regression in pure numpy, and the fit report,
written from the calibration and its policy (so the report never restates a rule by hand).

    interviewer dev calibrate    # refit, write the JSON and the report
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from interviewer.grading.reference.calibration import (
    CALIBRATION_FILE,
    Calibration,
    LinearMap,
    save_calibration,
    sigmoid,
)
from interviewer.grading.reference.policy import ReferencePolicy

VERSION = "v7"
FEATURES_V1 = ["cov_mean", "cov_frac", "lex_recall", "len_ratio", "q_sim"]
L2_V1 = 30.0
REPORT_FILE = "calibration_v7.md"
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
        p = sigmoid(a @ theta)
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


def fit_saf(encoder: object, *, features: list[str] | None = None, l2: float = L2_V1,
            policy: ReferencePolicy | None = None) -> tuple[Calibration, FitReport]:
    """Fit on SAF `training` only: features from the grader itself, non-answers left out of the
    fit (the grader scores them 1 by rule), leave-one-question-out CV for the report."""
    from evals.grading import CachingEncoder, saf_cases
    from evals.metrics.grading import pearson, rmse
    from interviewer.grading.features import words
    from interviewer.grading.reference import FEATURES, ReferenceGrader

    policy = policy or ReferencePolicy()
    names = features or FEATURES_V1
    placeholder = Calibration(
        version="fit", features=FEATURES, mean=[0.0] * len(FEATURES),
        std=[1.0] * len(FEATURES), weights=[0.0] * len(FEATURES), bias=0.0, policy=policy,
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
        n_train=int((~na).sum()), policy=policy,
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
        pred[te] = 1.0 + 4.0 * sigmoid(((x[te] - mq) / sq) @ wq + bq)
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


def _num(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple | list):
        return ", ".join(str(x) for x in v)
    return str(v)


def rules_markdown(policy: ReferencePolicy) -> str:
    """The rules applied after the model, in words, with the policy's own numbers."""
    p = policy
    return f"""\
- non-answers score 1; an answer that only restates the question (under
  {_num(p.echo.novelty_below)} of its words new, cosine with the question over
  {_num(p.echo.q_sim_above)}) is capped at {_num(p.echo.cap)};
- relevance ramp: with r = max(cosine with the question, with the example, mean key-point
  cover), the grade is capped at 1 + 4 * clip((r - {_num(p.relevance.low)}) /
  {_num(round(p.relevance.high - p.relevance.low, 6))}, 0, 1) (off-topic answers);
- an answer {_num(p.other_question.gap)} closer to a neighbouring question's example than to its
  own is capped at {_num(p.other_question.cap)}; a bare list of terms at {_num(p.caps.term_list)};
- an asserted misconception caps the grade at {_num(p.misconception.cap)}, a key point
  paraphrased (cosine >= {_num(p.contradiction.sim)}) with a term flipped to its opposite at
  {_num(p.contradiction.cap)};
- text addressed to the grader is removed; the lower of the raw and cleaned grades is kept,
  minus {_num(p.caps.injection_penalty)};
- a term bound to what belongs to its opposite ("L2 makes weights sparse") or a name given a kind
  it does not have ("pandas is a language"; lexicon `{p.relations.lexicon}`) caps the grade at
  {_num(p.relations.cap)};
- bad judgement (a red flag of the cue lexicon `{p.substance.cues}`) caps it at
  {_num(p.substance.red_flag_cap)}, an evasion at {_num(p.substance.evasion_cap)}, a jargon
  string at {_num(p.substance.buzz_cap)}, a {", ".join(p.substance.story_kinds)} answer with no
  action of the candidate's own at {_num(p.substance.no_story_cap)}, a saying in place of a
  reason at {_num(p.substance.platitude_cap)}, sweeping unhedged claims in a technical answer at
  {_num(p.substance.overclaim_cap)};
- a technical answer none of whose checkable key points is found is capped at
  {_num(p.uncertainty.unverified_cap)} where the key points are a written checklist
  ({", ".join(p.uncertainty.cap_provenances)} questions): what could not be verified does not earn
  a strong grade;
- the relevance ramp ends at {_num(p.relevance.story_high)} instead for
  {", ".join(p.substance.story_kinds)} questions (a story shares few words with the example's);
- where the question has at least {_num(p.exemplars.min_count)} graded exemplars (a pack's
  `exemplars.jsonl`), the grade so far is blended ({_num(round(1 - p.exemplars.weight, 6))}) with
  the grades of the exemplars nearest the answer ({_num(p.exemplars.weight)}; softmax over the
  cosines of vectors centred on the exemplars' mean, temperature {_num(p.exemplars.temperature)},
  less {_num(p.exemplars.length_penalty)} per unit of log length between answer and exemplar),
  and the blend is put on the panel's scale ({", ".join(_num(v) for v in p.exemplars.scale)} at
  1, 1.5, ..., 5); it never lifts a grade over a wrong claim's cap, and it lowers a grade of
  {_num(p.exemplars.verified_from)} or more by at most {_num(p.exemplars.max_pull)};
- {", ".join(p.blend.kinds)} questions blend the model ({_num(p.blend.model_weight)}) with the
  mean of their criteria ({_num(round(1 - p.blend.model_weight, 6))}: the brief's rubric)."""


def policy_markdown(policy: ReferencePolicy) -> str:
    rows = "\n".join(f"| `{name}` | {_num(value)} | {desc} |"
                     for name, value, desc in policy.rows())
    return f"| policy field | value | what it decides |\n| --- | ---: | --- |\n{rows}"


def report_markdown(cal: Calibration, rep: FitReport) -> str:
    rows = "\n".join(f"| `{k}` | {v:+.3f} | {m:.3f} | {s:.3f} |" for (k, v), m, s in
                     zip(rep.weights.items(), cal.mean, cal.std, strict=True))
    base = "\n".join(f"| {k} | {a:.3f} | {b:.3f} |" for k, (a, b) in
                     rep.baseline_pearson.items())
    lines = "; ".join(f"{k} {m.slope:+.3f} x {m.intercept:+.3f}"
                      for k, m in cal.baselines.items())
    return f"""# Reference grader calibration {cal.version} (policy {cal.policy.version})

Generated by `interviewer dev calibrate` from the calibration and its policy; do not
edit by hand. Fitted on SAF `training` only ({rep.n_train} answers, {rep.n_non_empty} non-empty;
the unseen splits are never read). Model: logistic regression with soft targets (the human share
of points, 0..1), L2 = {cal.l2}, over standardised features; the grade is 1 + 4 * p. Non-answers
("No response.", empty) are scored 1 by rule and left out of the fit. Key-point cover threshold:
{cal.policy.cover.threshold}. Encoder (every similarity feature comes from its vectors):
`{cal.encoder or SHIPPED_ENCODER}`.

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
non-empty answers), among the grader's candidate features.

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

Baseline linear maps onto 0..1 (for RMSE/agreement in the eval): {lines}.

## Rules the grader applies after the model (not fitted)

{rules_markdown(cal.policy)}

## Policy {cal.policy.version}: every number the grader decides with

Saved inside `{CALIBRATION_FILE.name}` and recorded in each grade's provenance
(`policy_version`). Not fitted: each was chosen as its description says (see the grader's
docstrings and `evals/reports/grading_*.md`).

{policy_markdown(cal.policy)}
"""


def main(argv: list[str] | None = None) -> int:
    """Refit the current version and write the JSON and the fit report (`interviewer dev
    calibrate`; it takes no options)."""
    from evals import REPORTS_DIR
    from interviewer.packs.embeddings import MiniLM

    cal, rep = fit_saf(MiniLM.for_grading())
    save_calibration(cal)
    out = REPORTS_DIR / REPORT_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_markdown(cal, rep), encoding="utf-8")
    print(f"wrote {CALIBRATION_FILE} and {out}")
    print(rep.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
