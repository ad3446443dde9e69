"""The Kraken graded answer set: schema, coverage of the guide's questions, kinds, and twins.

The graders are measured on this file, so a malformed or lopsided line would silently skew every
number reported from it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.core.pack import load_pack, pack_path
from interviewer.core.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evals" / "datasets" / "kraken_answers_v1.jsonl"
KNOWLEDGE = PROJECT_ROOT / "knowledge"
PACK = "kraken-ml-engineer"

GUIDE_QUESTIONS = [
    f"{section}-{n}"
    for section in ("machine-learning", "statistics-probability", "programming-technical-skills")
    for n in range(1, 5)
]
Kind = Literal[
    "excellent", "good", "average", "thin", "keyword_stuffed", "confidently_wrong", "off_topic",
    "injection", "injection_removed_twin", "repeats_question",
]
REQUIRED_KINDS = {
    "excellent", "thin", "keyword_stuffed", "confidently_wrong", "off_topic", "injection",
    "injection_removed_twin",
}
# The score a strong, fair interviewer gives each kind, where the kind fixes it.
SCORE_RANGE: dict[str, tuple[int, int]] = {
    "excellent": (5, 5),
    "good": (3, 5),
    "average": (2, 4),
    "thin": (1, 2),
    "keyword_stuffed": (1, 2),
    "confidently_wrong": (1, 2),
    "off_topic": (1, 1),
    "repeats_question": (1, 1),
}


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    question_id: str
    answer: str = Field(min_length=1)
    expected_score: int = Field(ge=1, le=5)
    kind: Kind
    why: str = Field(min_length=10)
    twin_id: str | None = None
    injected_text: str | None = None


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    out: list[Line] = []
    for n, raw in enumerate(DATASET.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append(Line.model_validate(json.loads(raw)))
        except (json.JSONDecodeError, ValidationError) as e:
            pytest.fail(f"{DATASET.name} line {n}: {e}")
    return out


def test_ids_unique_and_questions_known(lines: list[Line]) -> None:
    ids = [line.id for line in lines]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    assert {line.question_id for line in lines} <= set(GUIDE_QUESTIONS)


def test_every_guide_question_has_enough_answers_of_every_required_kind(
    lines: list[Line],
) -> None:
    by_q: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_q[line.question_id].append(line)
    for qid in GUIDE_QUESTIONS:
        kinds = {line.kind for line in by_q[qid]}
        assert len(by_q[qid]) >= 6, qid
        assert kinds >= REQUIRED_KINDS, (qid, REQUIRED_KINDS - kinds)
        assert kinds & {"good", "average"}, qid
    assert sum(line.kind == "repeats_question" for line in lines) >= 3


def test_scores_match_their_kind(lines: list[Line]) -> None:
    for line in lines:
        if line.kind in SCORE_RANGE:
            low, high = SCORE_RANGE[line.kind]
            assert low <= line.expected_score <= high, (line.id, line.expected_score)


def test_scores_are_ordered_within_each_question(lines: list[Line]) -> None:
    """excellent > good >= average > thin: the levels really are levels."""
    by_q: dict[str, dict[str, int]] = defaultdict(dict)
    for line in lines:
        by_q[line.question_id][line.kind] = line.expected_score
    for qid, s in by_q.items():
        middle = [s[k] for k in ("good", "average") if k in s]
        assert s["excellent"] > max(middle) >= min(middle) > s["thin"], qid
        assert s.get("good", 5) >= s.get("average", 1), qid


def test_injection_twins_pair_up(lines: list[Line]) -> None:
    by_id = {line.id: line for line in lines}
    injections = [line for line in lines if line.kind == "injection"]
    twins = [line for line in lines if line.kind == "injection_removed_twin"]
    assert len(injections) == len(twins)
    for inj in injections:
        assert inj.injected_text and inj.injected_text in inj.answer, inj.id
        twin = by_id.get(inj.twin_id or "")
        assert twin is not None and twin.kind == "injection_removed_twin", inj.id
        assert twin.twin_id == inj.id
        assert twin.question_id == inj.question_id
        assert twin.expected_score == inj.expected_score, inj.id
        assert _squash(inj.answer.replace(inj.injected_text, " ")) == _squash(twin.answer)
    for twin in twins:
        assert twin.injected_text is None and by_id[twin.twin_id or ""].kind == "injection"


def test_only_injection_lines_address_the_grader(lines: list[Line]) -> None:
    pattern = re.compile(
        r"ignore (the|all)|score (this|it a|=)|give (it|this)|SYSTEM:|\"score\"|grader", re.I
    )
    for line in lines:
        if line.kind != "injection":
            assert not pattern.search(line.answer), line.id


@pytest.fixture(scope="module")
def pack_questions() -> dict[str, tuple[str, str]]:
    if not pack_path(KNOWLEDGE, PACK).is_file():
        pytest.skip("the Kraken pack is not built yet")
    pack = load_pack(KNOWLEDGE, PACK)
    return {q.id: (q.question, q.example_answer) for q in pack.questions}


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_question_ids_exist_in_the_pack(
    lines: list[Line], pack_questions: dict[str, tuple[str, str]]
) -> None:
    assert {line.question_id for line in lines} <= set(pack_questions)
    assert set(GUIDE_QUESTIONS) <= set(pack_questions)


def test_excellent_answers_are_worded_differently_from_the_example(
    lines: list[Line], pack_questions: dict[str, tuple[str, str]]
) -> None:
    """A grader that rewards copying the example must not get credit for it here."""
    for line in lines:
        if line.kind == "excellent":
            example = pack_questions[line.question_id][1]
            shared = _ngrams(line.answer, 6) & _ngrams(example, 6)
            assert not shared, (line.id, shared)


def test_keyword_stuffed_answers_reuse_the_example(
    lines: list[Line], pack_questions: dict[str, tuple[str, str]]
) -> None:
    for line in lines:
        if line.kind == "keyword_stuffed":
            example = pack_questions[line.question_id][1]
            assert len(_ngrams(line.answer, 3) & _ngrams(example, 3)) >= 3, line.id


def test_repeats_question_answers_add_nothing_to_the_question(
    lines: list[Line], pack_questions: dict[str, tuple[str, str]]
) -> None:
    for line in lines:
        if line.kind == "repeats_question":
            question_words = set(re.findall(r"[a-z]+", pack_questions[line.question_id][0].lower()))
            answer_words = set(re.findall(r"[a-z]+", line.answer.lower()))
            filler = {"can", "you", "are", "asking", "me", "to", "the", "question", "is", "which",
                      "two", "types", "of", "i", "my", "for", "and", "in", "about", "tools"}
            assert answer_words - question_words <= filler, line.id


def test_the_dataset_file_is_documented() -> None:
    readme = (DATASET.parent / "README.md").read_text(encoding="utf-8")
    for path in sorted(Path(DATASET.parent).iterdir()):
        if path.name != "README.md" and not path.name.startswith("."):
            assert path.name in readme, f"{path.name} is not described in README.md"
