"""The second pack's wrong-answer set: each line answers one of the 40 questions of
`dsi_answers_v1` while asserting one of that question's listed misconceptions, so the grader's
misconception check is measured on a pack it was not tuned on."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field

from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT

DATASETS = PROJECT_ROOT / "evals" / "datasets"


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^dsi-theory-\d{3}-wrong$")
    question_id: str
    answer: str = Field(min_length=80)
    misconception: str
    why: str = Field(min_length=10)


def _rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATASETS / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_one_wrong_answer_per_right_answer_each_asserting_a_listed_claim() -> None:
    pack = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews")
    rows = [Row.model_validate(r) for r in _rows("dsi_wrong_v1.jsonl")]
    right = {r["question_id"] for r in _rows("dsi_answers_v1.jsonl")}
    assert {r.question_id for r in rows} == right and len(rows) == len(right) == 40
    verbatim = 0
    for r in rows:
        q = pack.question(r.question_id)
        assert r.id == f"{q.id}-wrong"
        assert r.misconception in [m.claim for m in q.misconceptions], r.id
        words = re.findall(r"[a-z0-9']+", r.answer.lower())
        assert len(words) > len(re.findall(r"[a-z0-9']+", r.misconception.lower())) + 10, r.id
        verbatim += r.misconception.lower().rstrip(".") in r.answer.lower()
    assert verbatim <= len(rows) // 4  # mostly in the candidate's own words
