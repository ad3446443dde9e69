"""Choose the exemplar blend on the blind sets' dev half and fit its scale.

`interviewer dev fit-exemplars [--write]` grades the dev half once per setting of a small grid
(weight, temperature, length penalty; the scale left straight) and prints Spearman by group and
the mean grade by kind. It then fits the scale for the policy's own setting: an isotonic
regression of the panel's grades on the blended grades of the answers the exemplars were read
for (the Kraken pack and the second pack; the derived packs have no exemplars), read at 1, 1.5,
..., 5. The test half is never read. With --write the tables go to
`evals/reports/exemplar_fit.md`; chosen numbers are then set in the policy (`ExemplarPolicy`),
whose version changes with them.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from evals.blind import GROUPS, blind_cases
from evals.grading import CachingEncoder, Case, CaseResult, run_cases
from evals.metrics.grading import agreement
from interviewer.core.settings import Settings
from interviewer.grading.features import sanitize
from interviewer.grading.reference import ReferenceGrader, load_calibration
from interviewer.grading.reference.calibration import Calibration
from interviewer.grading.reference.policy import SCALE_KNOTS, ExemplarPolicy

# (weight, temperature, length penalty): p5's setting first, p6's among them
GRID = ((0.8, 0.1, 0.3), (0.7, 0.1, 0.3), (0.9, 0.1, 0.3), (1.0, 0.1, 0.3), (0.9, 0.15, 0.3),
        (0.9, 0.05, 0.3), (0.9, 0.1, 0.45), (0.9, 0.1, 0.0))
KINDS = ("strong", "good", "adequate", "thin", "keyword_stuffed", "confidently_wrong",
         "red_flag", "buzzword", "evasive", "off_topic", "injection")
STRAIGHT = SCALE_KNOTS
# a pull of 4 never binds on the 1-5 scale: the grid and the scale's fit read the blend alone,
# and the policy's bound on the pull is applied after the scale (the last row)
NO_FLOOR = 4.0
# the least a half point of the blend moves the shown grade: the scale keeps every order
MIN_STEP = 0.1


def isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators: the non-decreasing step fit of y on x, as (block centre, level)
    points to interpolate between."""
    order = np.argsort(x, kind="stable")
    blocks: list[list[float]] = []  # [sum of y, count, lowest x, highest x]
    for xi, yi in zip(x[order], y[order], strict=True):
        blocks.append([float(yi), 1.0, float(xi), float(xi)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n, _, hi = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
            blocks[-1][3] = hi
    centres = np.array([(b[2] + b[3]) / 2 for b in blocks])
    levels = np.array([b[0] / b[1] for b in blocks])
    return centres, levels


def fit_scale(blended: np.ndarray, panel: np.ndarray) -> tuple[float, ...]:
    """The scale's grades at the knots: the isotonic fit read there, held in 1-5, the ends
    pinned to 1 and 5 (a blend of 1 or 5 stays one), each knot at least `MIN_STEP` over the one
    before (an isotonic fit has flat stretches, which would tie grades the blend told apart)."""
    centres, levels = isotonic(blended, panel)
    vals = np.clip(np.interp(SCALE_KNOTS, centres, levels), 1.0, 5.0)
    vals[0], vals[-1] = 1.0, 5.0
    for i in range(1, len(vals)):
        vals[i] = max(vals[i], vals[i - 1] + MIN_STEP)
    vals[-1] = 5.0
    for i in range(len(vals) - 2, -1, -1):
        vals[i] = min(vals[i], vals[i + 1] - MIN_STEP)
    return tuple(round(float(v), 2) for v in vals)


def _policy(cal: Calibration, weight: float, temperature: float, length: float,
            scale: tuple[float, ...] = STRAIGHT, max_pull: float = NO_FLOOR) -> Any:
    ex = ExemplarPolicy.model_validate({
        **cal.policy.exemplars.model_dump(), "weight": weight, "temperature": temperature,
        "length_penalty": length, "scale": scale, "max_pull": max_pull})  # checked, not copied
    return cal.policy.model_copy(update={"exemplars": ex})


def _row(setting: dict[str, Any], cases: list[Case], results: list[CaseResult]) -> dict[str, Any]:
    row = dict(setting)
    for name in GROUPS:
        idx = [i for i, c in enumerate(cases) if c.group == name]
        if idx:
            row[name] = agreement([results[i].reference for i in idx],
                                  [results[i].human_1_5 for i in idx]).spearman
    for kind in KINDS:
        vals = [r.reference for r in results if r.kind == kind]
        if vals:
            row[kind] = float(np.mean(vals))
    return row


def sweep(grid: tuple[tuple[float, float, float], ...] = GRID,
          ) -> tuple[list[dict[str, Any]], tuple[float, ...], list[dict[str, Any]]]:
    """Rows of the grid (straight scale, the pull unbounded), the scale fitted at the policy's
    setting, and that setting's rows with the fitted scale, without and with the policy's
    bound on the pull."""
    from interviewer.packs.embeddings import MiniLM

    cases = blind_cases(Settings(), "dev")
    cal = load_calibration()
    encoder = CachingEncoder(MiniLM.for_grading())
    rows = []
    for weight, temperature, length in grid:
        grader = ReferenceGrader(encoder, cal, policy=_policy(cal, weight, temperature, length))
        results = run_cases(cases, grader, encoder)
        rows.append(_row({"weight": weight, "temperature": temperature, "length": length},
                         cases, results))
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()},
              flush=True)
    own = cal.policy.exemplars
    grader = ReferenceGrader(encoder, cal, policy=_policy(
        cal, own.weight, own.temperature, own.length_penalty))
    results = run_cases(cases, grader, encoder)
    read = [i for i, c in enumerate(cases) if grader.exemplar_grade(c.question, grader.features(
        c.question, sanitize(c.answer).text, c.neighbours)) is not None]
    scale = fit_scale(np.array([results[i].reference for i in read]),
                      np.array([results[i].human_1_5 for i in read]))
    print("scale", scale, flush=True)
    fitted = []
    for pull in (NO_FLOOR, own.max_pull):
        grader = ReferenceGrader(encoder, cal, policy=_policy(
            cal, own.weight, own.temperature, own.length_penalty, scale, pull))
        fitted.append(_row({"weight": own.weight, "temperature": own.temperature,
                            "length": own.length_penalty, "max pull": pull}, cases,
                           run_cases(cases, grader, encoder)))
        print(fitted[-1], flush=True)
    return rows, scale, fitted


def _table(rows: list[dict[str, Any]], settings: tuple[str, ...]) -> list[str]:
    groups = [g for g in GROUPS if g in rows[0]]
    kinds = [k for k in KINDS if k in rows[0]]
    head = [*settings, *groups, *kinds]
    out = ["| " + " | ".join(head) + " |", "|" + " ---: |" * len(head)]
    for r in rows:
        out.append("| " + " | ".join(f"{r[h]:g}" if h in settings else f"{r[h]:.3f}"
                                     for h in head) + " |")
    return out


def markdown(rows: list[dict[str, Any]], scale: tuple[float, ...],
             fitted: list[dict[str, Any]]) -> str:
    lines = ["# The exemplar blend on the blind dev half", "",
             "Generated by `interviewer dev fit-exemplars --write`. Spearman by group, then the "
             "mean grade by kind; the test half is not read. Every row of the grid reads the "
             "blend alone: the scale straight, the pull of the exemplars unbounded.", "",
             *_table(rows, ("weight", "temperature", "length")),
             "", "## The scale", "",
             "An isotonic fit of the panel's grades on the blended grades of the dev answers "
             "the exemplars were read for, read at the knots (the ends pinned to 1 and 5):", "",
             "| blended | " + " | ".join(f"{k:g}" for k in SCALE_KNOTS) + " |",
             "|---|" + " ---: |" * len(SCALE_KNOTS),
             "| shown | " + " | ".join(f"{v:g}" for v in scale) + " |", "",
             "The policy's setting with this scale, the pull unbounded (max pull 4) and bounded "
             "as the policy bounds it (`verified_from`, `max_pull`). The scale keeps the order, "
             "so it moves the grades by kind toward the panel's and leaves rank correlations "
             "nearly as they were (the wrong-claim caps and the bound apply after it):", "",
             *_table(fitted, ("weight", "temperature", "length", "max pull"))]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from evals import REPORTS_DIR

    p = argparse.ArgumentParser(prog="interviewer dev fit-exemplars", description=__doc__)
    p.add_argument("--write", action="store_true")
    args = p.parse_args(argv)
    rows, scale, fitted = sweep()
    if args.write:
        (REPORTS_DIR / "exemplar_fit.md").write_text(markdown(rows, scale, fitted),
                                                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
