"""The rebuttal set: one right answer per misconception of the Kraken pack. The false-flag rate
of the misconception check is measured on it, so each line must name a real claim of the pack,
at its place, and no misconception may be left without its line."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field

from interviewer.core.pack import load_pack
from interviewer.core.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evals" / "datasets" / "rebuttals_v1.jsonl"


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+-mc[1-4]$")
    question_id: str
    misconception: str
    answer: str = Field(min_length=150)
    why: str = Field(min_length=10)


def _rows() -> list[Row]:
    return [Row.model_validate(json.loads(line))
            for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_one_line_per_misconception_naming_its_claim() -> None:
    pack = load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")
    rows = _rows()
    expected = {f"{q.id}-mc{n}": (q.id, m.claim) for q in pack.questions
                for n, m in enumerate(q.misconceptions, 1)}
    assert sorted(r.id for r in rows) == sorted(expected)
    for r in rows:
        assert (r.question_id, r.misconception) == expected[r.id], r.id


def test_answers_do_not_copy_the_claim_or_the_correction() -> None:
    """A right answer that quoted its correction would be found by matching text, not meaning."""
    pack = load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")
    for r in _rows():
        q = pack.question(r.question_id)
        n = int(r.id.rsplit("-mc", 1)[1])
        fix = q.misconceptions[n - 1].correction
        answer = " ".join(re.findall(r"[a-z0-9']+", r.answer.lower()))
        for source in (r.misconception, fix):
            w = re.findall(r"[a-z0-9']+", source.lower())
            runs = {" ".join(w[i:i + 6]) for i in range(len(w) - 5)}
            assert not any(run in answer for run in runs), (r.id, source)
