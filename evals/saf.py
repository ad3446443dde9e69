"""SAF (Short Answer Feedback, English, communication networks): human-graded short answers.

Used to fit the reference grader's calibration (`training` only) and to measure it
(`unseen_answers`, `unseen_questions`). Scores are 0..1 shares of the question's points.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.settings import PROJECT_ROOT

Split = Literal["training", "unseen_answers", "unseen_questions"]
SPLITS: tuple[Split, ...] = ("training", "unseen_answers", "unseen_questions")
FILE_NAME = "saf_communication_networks_english.csv"
# In-repo copy first (MIT, with its LICENSE); an env var or the shared benchmark dir otherwise.
CANDIDATES = (
    PROJECT_ROOT / "evals" / "datasets" / "saf" / FILE_NAME,
    PROJECT_ROOT.parent / "shared" / "benchmarks" / "saf" / FILE_NAME,
)
ENV_VAR = "INTERVIEWER_SAF_CSV"


class SafItem(BaseModel):
    id: str
    question_id: str
    split: Split
    question: str
    reference_answer: str
    student_answer: str
    score: float  # 0..1

    @property
    def score_1_5(self) -> float:
        """The human score on the grader's scale: 1 + 4 * share of points."""
        return 1.0 + 4.0 * self.score


def saf_path() -> Path:
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_file():
            raise NotFoundError(f"{ENV_VAR}={env} is not a file")
        return path
    for path in CANDIDATES:
        if path.is_file():
            return path
    raise NotFoundError(
        f"SAF dataset not found (looked in {', '.join(str(c) for c in CANDIDATES)}; "
        f"set {ENV_VAR})"
    )


def load_saf(split: str | None = None, path: Path | None = None) -> list[SafItem]:
    """Rows of one split (or all), in file order."""
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown SAF split {split!r} (known: {', '.join(SPLITS)})")
    src = path or saf_path()
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    items = [
        SafItem(
            # typed: split values are validated by the pydantic model
            id=r["id"], question_id=r["question_id"], split=r["split"],  # type: ignore[arg-type]
            question=r["question"], reference_answer=r["reference_answer"],
            student_answer=r["student_answer"], score=float(r["score"]),
        )
        for r in rows
    ]
    return [i for i in items if split is None or i.split == split]
