"""The reference grader's calibration: features of an answer -> a 1-5 score, with the policy
(every rule's number) it was fitted under.

A logistic model over standardised features, fitted with soft targets (the human share of points,
0..1) on SAF `training` only. The fitted parameters are committed as `calibration_v7.json` in
`interviewer/grading/`, with the fit report in `evals/reports/calibration_v7.md` (v7: the same
features under policy p6, with more exemplars for the authored questions and a larger share for
them; v6: under policy p5, whose exemplar blend weighs exemplars of the answer's length most and is
put back on the panel's scale; v5: under policy p4, which blends in the question's graded exemplars
after the caps; v4: v3's fit under policy p3, which adds the answer scorer after the calibration;
v3: v2's features, fitted on the vectors of the grading encoder with int8 arithmetic; v2: the
whole-answer vector pooled from the sentence vectors; v1 and v2 are kept for comparison). The
fitting code is tooling and lives with the evals (`evals.calibrate`); the runtime only loads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, model_validator

from interviewer.core.errors import ConfigError
from interviewer.grading.reference.policy import ReferencePolicy

CALIBRATION_DIR = Path(__file__).resolve().parents[1]
CALIBRATION_FILE = CALIBRATION_DIR / "calibration_v7.json"


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
    # the rules' numbers the features were computed under (the cover threshold is one of them)
    policy: ReferencePolicy = Field(default_factory=ReferencePolicy)
    baselines: dict[str, LinearMap] = Field(default_factory=dict)
    notes: str = ""
    # the encoder whose vectors the features were computed with (empty: the shipped model)
    encoder: str = ""

    @model_validator(mode="before")
    @classmethod
    def _legacy_threshold(cls, data: Any) -> Any:
        """Files before the policy (v1, v2) kept the cover threshold at the top level."""
        if isinstance(data, dict) and "cover_threshold" in data:
            data = dict(data)
            threshold = data.pop("cover_threshold")
            policy = data.get("policy") or ReferencePolicy()
            if isinstance(policy, dict):
                policy = ReferencePolicy.model_validate(policy)
            data["policy"] = policy.model_copy(
                update={"cover": policy.cover.model_copy(update={"threshold": threshold})})
        return data

    @property
    def cover_threshold(self) -> float:
        return self.policy.cover.threshold

    def share(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Predicted share of points (0..1) for one row or a matrix of rows."""
        arr = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if arr.shape[1] != len(self.features):
            raise ConfigError(
                f"calibration {self.version} expects {len(self.features)} features, "
                f"got {arr.shape[1]}"
            )
        z = (arr - np.asarray(self.mean)) / np.asarray(self.std)
        return sigmoid(z @ np.asarray(self.weights) + self.bias)

    def score(self, x: Sequence[float]) -> float:
        """The 1-5 score for one feature row."""
        return float(1.0 + 4.0 * self.share(x)[0])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


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
