"""The answer scorer: a linear model over the grader's own MiniLM vectors, fitted on graded answers.

Why: the rules measure cover of the reference and name the wrong claims they know, but an answer
that uses every right term in wrong relations, or states errors nobody listed, covers the
reference as well as a right one. A model fitted on graded answers of every kind (right, bare,
garbled, confidently wrong, evasive, jargon) learns where in the embedding space of a question's
answers the wrong ones fall. Its inputs are vectors the grader has already computed (the answer
pooled from its sentences, the reference answer, the question), so it adds no model run.

Features, in this order: answer * reference, |answer - reference|, answer, cos(answer,
reference), cos(answer, question), log(1 + words). They are standardised with the fitted mean
and spread, and a ridge regression maps them to a grade in [0, 1]. The fit (`evals/scorer/
train.py`) writes `models/scorer_<version>.json`: the weights, what they were fitted on (file
hashes, counts, the ridge penalty) and the dev agreement.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from interviewer.core.errors import ConfigError

MODELS_DIR = Path(__file__).resolve().parent / "models"
DIM = 384  # MiniLM's vectors


class Scorer(Protocol):
    """What the grader needs of a scorer (tests pass fakes that record what they were sent)."""

    version: str

    def score(self, answer: np.ndarray, reference: np.ndarray, question: np.ndarray,
              words: int) -> float: ...


def head_features(answer: np.ndarray, reference: np.ndarray, question: np.ndarray,
                  words: int) -> np.ndarray:
    """The scorer's inputs for one answer (unit vectors in, as the grader's are)."""
    return np.concatenate([answer * reference, np.abs(answer - reference), answer,
                           [float(answer @ reference), float(answer @ question),
                            float(np.log1p(words))]]).astype(np.float32)


class ScorerModel(BaseModel):
    """A fitted scorer, as saved (the weights and how they were fitted)."""

    version: str
    features: str = "answer*reference, |answer-reference|, answer, cos(a,r), cos(a,q), log1p(words)"
    mean: list[float]
    std: list[float]
    weights: list[float]
    bias: float
    fitted: dict[str, object] = Field(default_factory=dict)  # data, penalty, dev agreement


class LinearScorer:
    """The fitted model, ready to score (arrays built once)."""

    _lock = threading.Lock()
    _loaded: dict[str, LinearScorer] = {}

    def __init__(self, model: ScorerModel) -> None:
        if not len(model.mean) == len(model.std) == len(model.weights) == 3 * DIM + 3:
            raise ConfigError(f"answer scorer {model.version!r}: wrong number of weights")
        self.model = model
        self.version = model.version
        self._mean = np.asarray(model.mean, dtype=np.float32)
        self._w = np.asarray(model.weights, dtype=np.float32) / np.asarray(model.std,
                                                                           dtype=np.float32)
        self._bias = float(model.bias)

    def reads(self, encoder_name: str) -> bool:
        """Whether vectors of this encoder are what the model was fitted on (the shipped MiniLM
        and its int8-arithmetic twin share weights; a test's fake encoder is another space)."""
        fitted = str(self.model.fitted.get("encoder", ""))
        return bool(encoder_name) and encoder_name.split("-int8")[0] == fitted.split("-int8")[0]

    @classmethod
    def shipped(cls, version: str) -> LinearScorer:
        """The model of this version from `models/`, loaded once per process."""
        with cls._lock:
            if version not in cls._loaded:
                path = MODELS_DIR / f"scorer_{version}.json"
                if not path.is_file():
                    raise ConfigError(f"answer scorer {version!r} not found: {path}")
                cls._loaded[version] = cls(ScorerModel.model_validate(
                    json.loads(path.read_text(encoding="utf-8"))))
            return cls._loaded[version]

    def score(self, answer: np.ndarray, reference: np.ndarray, question: np.ndarray,
              words: int) -> float:
        """The model's grade, 0 (wrong or empty) to 1 (as good as the reference)."""
        x = head_features(answer, reference, question, words) - self._mean
        return float(min(1.0, max(0.0, float(x @ self._w) + self._bias)))
