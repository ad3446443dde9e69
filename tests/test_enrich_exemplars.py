"""`pack add --enrich` writes graded exemplars: one model call per question that takes answers,
every row checked (a kind's score range, one answer per kind), an unusable reply costing only its
question. The library and CLI side (the file, `pack show`, `pack remove`) is in test_pack_add.py."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from fakes import TaskChatModel

from interviewer.core.errors import ModelError
from interviewer.core.pack import Exemplar, load_pack
from interviewer.core.settings import PROJECT_ROOT
from interviewer.llm import CallInfo, Completion
from interviewer.llm.prompts import load_prompt
from interviewer.packs.enrich_exemplars import (
    KIND_SCORES,
    PROMPT,
    TASK,
    ExemplarKind,
    exemplars_jsonl,
    generate_exemplars,
    parse_reply,
)

PROMPTS = PROJECT_ROOT / "prompts"
KNOWLEDGE = PROJECT_ROOT / "knowledge"


def rows(qid: str = "q", **scores: int) -> list[dict[str, object]]:
    """One valid row per kind (the low end of its range), `scores` overriding a kind's score."""
    return [{"kind": k, "answer": f"A {k} answer to {qid}.", "score": scores.get(k, lo),
             "why": f"Why {k}."} for k, (lo, _) in KIND_SCORES.items()]


def reply(qid: str = "q", **scores: int) -> str:
    return json.dumps({"answers": rows(qid, **scores)})


def test_a_full_reply_keeps_one_answer_of_every_kind() -> None:
    kept, dropped = parse_reply(reply())
    assert [r.kind for r in kept] == list(KIND_SCORES) and dropped == []
    fenced = f"Here you go:\n```json\n{reply()}\n```"
    assert len(parse_reply(fenced)[0]) == len(KIND_SCORES)


def test_rows_outside_their_kinds_range_or_malformed_are_dropped_and_named() -> None:
    data = rows(strong=4, off_topic=2, mixed=3)  # mixed 3 is inside 2-3
    data += [{"kind": "strong", "answer": "A second strong.", "score": 5},  # kept: first dropped
             {"kind": "good", "answer": "Again good.", "score": 4},  # a second good
             {"kind": "excellent", "answer": "No such kind.", "score": 5},
             {"kind": "thin", "answer": "   ", "score": 2},
             {"kind": "adequate", "answer": "Seven.", "score": 7},
             {"kind": "buzzword", "answer": "a BUZZWORD answer to q.", "score": 1},
             "not an object"]
    kept, dropped = parse_reply(json.dumps({"answers": data}))
    by_kind = {r.kind: r for r in kept}
    assert set(by_kind) == set(KIND_SCORES) - {"off_topic"}
    assert by_kind["strong"].answer == "A second strong." and by_kind["mixed"].score == 3
    assert "answer 1 (strong): score 4 is outside 5" in dropped
    assert "answer 13 (off_topic): score 2 is outside 1" in dropped
    assert "answer 15 (good): a second answer of that kind" in dropped
    assert any(d.startswith("answer 16: kind:") for d in dropped)
    assert any(d.startswith("answer 17: answer:") for d in dropped)
    assert any(d.startswith("answer 18: score:") for d in dropped)
    assert "answer 19 (buzzword): a second answer of that kind" in dropped
    assert len(dropped) == 8


@pytest.mark.parametrize(("text", "message"), [
    ("not json at all", "not a JSON object"),
    ('{"answers": [1, }', "not valid JSON"),
    ('{"exemplars": []}', 'no "answers" list'),
    ('{"answers": []}', r"no usable answer in the reply \(0 given\)"),
    (json.dumps({"answers": [{"kind": "strong", "answer": "x", "score": 1}]}),
     r"no usable answer in the reply \(1 given\): answer 1 \(strong\): score 1 is outside 5"),
])
def test_an_unusable_reply_says_why(text: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_reply(text)


def test_each_question_that_takes_answers_is_asked_once_and_a_bad_reply_costs_only_it() -> None:
    pack = load_pack(KNOWLEDGE, "kraken-ml-engineer")
    bad = {"machine-learning-2": "sorry, I cannot help",
           "screening-1": Completion(text=reply()[:200], finish_reason="length"),
           "behavioral-1": ModelError("model 'm1' at http://127.0.0.1:9/v1: HTTP 500")}

    def answer(info: CallInfo) -> str | Completion | Exception:
        assert info.question_id is not None
        if info.question_id == "final-2":
            return reply(info.question_id, good=5)
        return bad.get(info.question_id, reply(info.question_id))

    model = TaskChatModel({TASK: answer}, model_name="m1")
    seen: list[tuple[int, int]] = []
    exemplars, report = generate_exemplars(pack, model, PROMPTS, lambda i, n: seen.append((i, n)))
    asked = [q for q in pack.questions if q.kind != "take_home"]
    assert [c.info.question_id for c in model.calls if c.info] == [q.id for q in asked]
    assert "take-home-1" not in {e.question_id for e in exemplars}
    assert seen[-1] == (len(asked), len(asked)) and report.questions == len(asked)
    assert set(report.failed) == set(bad)
    assert "not a JSON object" in report.failed["machine-learning-2"]
    assert "cut off at the token limit" in report.failed["screening-1"]
    assert "HTTP 500" in report.failed["behavioral-1"]
    assert report.dropped == {"final-2": ["answer 2 (good): score 5 is outside 4"]}
    assert len(exemplars) == report.written == (len(asked) - 3) * 13 - 1
    assert {e.writer for e in exemplars} == {"generated:m1"}
    assert not {e.question_id for e in exemplars} & set(bad)
    prompt = load_prompt(PROMPTS, PROMPT)
    call = model.calls[0]
    assert call.info == CallInfo(task=TASK, prompt=PROMPT, prompt_version=prompt.version,
                                 question_id="machine-learning-1")
    assert call.kwargs["json_schema"]["properties"]["answers"]
    assert pack.question("machine-learning-1").question in call.text
    assert report.prompt == prompt.version == "pack_exemplars@1"


def test_the_writer_names_the_model_that_answered() -> None:
    pack = load_pack(KNOWLEDGE, "kraken-ml-engineer")
    pack = pack.model_copy(update={"questions": pack.questions[:1]})
    model = TaskChatModel({TASK: Completion(text=reply(), model="served-name")},
                          model_name="configured")
    exemplars, _ = generate_exemplars(pack, model, PROMPTS)
    assert {e.writer for e in exemplars} == {"generated:served-name"}
    line = exemplars_jsonl(exemplars).splitlines()[0]
    assert list(json.loads(line)) == ["question_id", "kind", "answer", "score", "why", "writer"]
    assert Exemplar.model_validate_json(line) == exemplars[0]


def test_the_kinds_the_prompt_and_the_shipped_exemplars_agree() -> None:
    assert set(get_args(ExemplarKind)) == set(KIND_SCORES)
    system = load_prompt(PROMPTS, PROMPT).spec.messages[0].content
    assert f"each of these {len(KIND_SCORES)} kinds" in system
    for kind, (lo, hi) in KIND_SCORES.items():
        span = str(lo) if lo == hi else f"{lo}-{hi}"
        assert f"- {kind} (score {span}):" in system, kind
    # the ranges are the human writers' own: every shipped exemplar falls inside its kind's
    for name in ("kraken-ml-engineer", "data-science-interviews"):
        for q in load_pack(KNOWLEDGE, name).questions:
            for e in q.exemplars:
                lo, hi = KIND_SCORES[e.kind]  # type: ignore[index]
                assert lo <= e.score <= hi, (name, q.id, e.kind, e.score)
