"""The second pack's right-answer set: each line answers a real technical question of the pack,
in its own words, so a check that sends right answers elsewhere shows up on it."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field

from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evals" / "datasets" / "dsi_answers_v1.jsonl"


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^dsi-theory-\d{3}-right$")
    question_id: str
    answer: str = Field(min_length=150)
    why: str = Field(min_length=10)


def test_forty_right_answers_to_technical_questions_in_their_own_words() -> None:
    pack = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews")
    rows = [Row.model_validate(json.loads(line))
            for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 40 and len({r.question_id for r in rows}) == 40
    sections = {pack.question(r.question_id).section for r in rows}
    assert len(sections) >= 8
    for r in rows:
        q = pack.question(r.question_id)
        assert r.id == f"{q.id}-right" and q.kind == "technical"
        answer = " ".join(re.findall(r"[a-z0-9']+", r.answer.lower()))
        for source in (q.example_answer, *q.key_points):
            w = re.findall(r"[a-z0-9']+", source.lower())
            runs = {" ".join(w[i:i + 6]) for i in range(len(w) - 5)}
            assert not any(run in answer for run in runs), (r.id, source)
