"""The answer scorer: all-MiniLM-L6-v2 fine-tuned as a cross-encoder that reads the question, the
reference answer and the candidate's answer together and gives a grade in [0, 1].

Why a cross-encoder: the embedding features compare an answer with the reference one text at a
time, so "L1 makes weights sparse" and "L2 makes weights sparse" look alike. Reading both texts in
one pass lets attention compare which term is bound to which. It was fitted on graded answers
(`evals/datasets/scorer_train_v1.jsonl`, SAF's training split) by `evals/scorer/train.py`; the
card beside the model records the data's hashes, the settings and the dev agreement. The model is
int8 ONNX (about 23 MB) run by onnxruntime; the tokenizer is the shipped MiniLM one. Nothing is
downloaded.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from interviewer.core.errors import ConfigError, ModelError

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODELS_DIR = Path(__file__).resolve().parent / "models"


class ScorerCard(BaseModel):
    """What the training tool wrote beside the model (the fields the runtime needs, and the rest
    kept for the report)."""

    version: str
    max_len: int
    input: str
    train_examples: int = 0
    train_files: dict[str, str] = {}
    dev_files: dict[str, str] = {}
    history: list[dict[str, float]] = []


class Scorer(Protocol):
    """What the grader needs of a scorer (tests pass fakes that record what they were sent)."""

    version: str

    def score(self, question: str, reference: str, answer: str) -> float: ...


def first_text(question: str, reference: str) -> str:
    """The first segment, exactly as in training (`evals/scorer/train.py`)."""
    return f"{question} [SEP] {reference}"


class AnswerScorer:
    """One model, shared across threads (onnxruntime sessions are thread-safe)."""

    _lock = threading.Lock()
    _loaded: dict[str, AnswerScorer] = {}

    def __init__(self, model: Path, card: ScorerCard, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from interviewer.packs.embeddings import model_files

        _, tok_path = model_files()
        self.card = card
        self.version = card.version
        self.tokenizer = Tokenizer.from_file(str(tok_path))
        self.tokenizer.enable_truncation(max_length=card.max_len, strategy="longest_first")
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(model), sess_options=opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own untyped errors for a bad file
            raise ModelError(f"could not load the answer scorer {model}: {e}") from e

    @classmethod
    def shipped(cls, version: str) -> AnswerScorer:
        """The model of this version from `models/`, loaded once per process."""
        with cls._lock:
            if version not in cls._loaded:
                model = MODELS_DIR / f"scorer_{version}.onnx"
                card_path = MODELS_DIR / f"scorer_{version}.json"
                if not model.is_file() or not card_path.is_file():
                    raise ConfigError(f"answer scorer {version!r} not found in {MODELS_DIR}")
                card = ScorerCard.model_validate(json.loads(card_path.read_text("utf-8")))
                cls._loaded[version] = cls(model, card)
            return cls._loaded[version]

    def score(self, question: str, reference: str, answer: str) -> float:
        """The model's grade for one answer, 0 (wrong or empty) to 1 (as good as the reference)."""
        return float(self.score_many(question, reference, [answer])[0])

    def score_many(self, question: str, reference: str, answers: list[str]) -> np.ndarray:
        """Several answers to one question, one at a time (int8 activations are scaled per run, so
        a batch would make one answer's grade depend on its neighbours)."""
        first = first_text(question, reference)
        out = np.empty(len(answers), dtype=np.float32)
        for i, answer in enumerate(answers):
            enc = self.tokenizer.encode(first, answer if answer.strip() else " ")
            feeds: dict[str, Any] = {
                "input_ids": np.asarray([enc.ids], dtype=np.int64),
                "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
                "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
            }
            logit = float(self.session.run(None, feeds)[0][0][0])
            out[i] = 1.0 / (1.0 + np.exp(-logit))
        return out
