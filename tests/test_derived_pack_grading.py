"""Grading on a pack with no hand-written field: the reference grader with the key points derived
from the bank guide (`tests/fixtures/guides/northbridge-bank-data-analyst.txt`), against a blind
set of 28 answers scored by hand before the grader saw them
(`evals/datasets/northbridge_answers_v1.jsonl`: per question an excellent, a good, a thin and a
wrong or off-topic answer)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from interviewer.core.settings import PROJECT_ROOT
from interviewer.packs.derive import derive_pack
from interviewer.packs.guide_parser import parse_guide

GUIDE = Path(__file__).parent / "fixtures" / "guides" / "northbridge-bank-data-analyst.txt"
DATASET = PROJECT_ROOT / "evals" / "datasets" / "northbridge_answers_v1.jsonl"
MIN_SPEARMAN = 0.7  # measured 0.756 on 2026-12-07 (README, Knowledge packs)


def rows() -> list[dict]:
    return [json.loads(x) for x in DATASET.read_text(encoding="utf-8").splitlines() if x.strip()]


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(x: list[float]) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        order = arr.argsort(kind="stable")
        r = np.empty(len(arr))
        r[order] = np.arange(len(arr), dtype=float)
        for v in np.unique(arr):  # ties share their mean rank
            r[arr == v] = r[arr == v].mean()
        return r

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def test_the_blind_set_covers_every_question_of_the_guide() -> None:
    pack = derive_pack(parse_guide(GUIDE.read_text(encoding="utf-8"), "guide.txt"), "bank",
                       embed=None)
    data = rows()
    assert {r["question_id"] for r in data} == {q.id for q in pack.questions}
    assert all(1 <= r["score"] <= 5 and r["answer"].strip() for r in data)


@pytest.mark.integration
def test_reference_grader_on_derived_key_points_orders_answers_like_a_person() -> None:
    from interviewer.core.grade import GradeRequest
    from interviewer.grading.factory import make_reference_grader
    from interviewer.packs.embeddings import MiniLM

    encoder = MiniLM.shared()
    pack = derive_pack(parse_guide(GUIDE.read_text(encoding="utf-8"), "guide.txt"), "bank",
                       embed=encoder.encode)
    grader = make_reference_grader(MiniLM.for_grading())
    grader.prepare(pack.questions)
    human, machine = [], []
    for r in rows():
        q = pack.question(r["question_id"])
        grade = grader.grade(GradeRequest(question=q, answer=r["answer"], pack=pack.name,
                                          neighbours=pack.neighbours(q)))
        human.append(r["score"])
        machine.append(grade.score)
    rho = spearman(human, machine)
    print(f"Spearman {rho:.3f} over {len(human)} answers")  # noqa: T201 - the measured value
    by_score = {s: np.mean([m for h, m in zip(human, machine, strict=True) if h == s])
                for s in sorted(set(human))}
    print({k: round(float(v), 2) for k, v in by_score.items()})  # noqa: T201
    assert rho >= MIN_SPEARMAN
    assert by_score[5] > by_score[2] > by_score[1] - 0.5
