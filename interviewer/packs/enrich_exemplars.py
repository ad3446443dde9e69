"""`pack add --enrich`: a configured model writes graded exemplars for each question a derived
pack asks (not the take-home briefs, which are reviewed, not graded by answer): one answer of each
kind the shipped packs' human exemplars have, from strong to plainly wrong, with its grade. The
reference grader reads a question's exemplars as evidence for a grade (issue 12), so a guide's
pack gets what the hand-made packs have, and a pack added offline works without them.

They go to the pack's `exemplars.jsonl` with writer "generated:<model>", so a person can tell them
from human ones. The reply is checked row by row: a row that does not parse, repeats a kind or has
a score outside its kind's range is dropped (the report lists it); a question whose reply is
unusable gets no exemplars and the report says why; nothing here fails the whole add.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from interviewer.core.errors import ModelError
from interviewer.core.pack import Exemplar, NonBlank, Pack, Question
from interviewer.llm import CallInfo, ChatModel
from interviewer.llm.prompts import Prompt, load_prompt
from interviewer.packs.enrich import json_text

PROMPT = "pack_exemplars"
PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {
    PROMPT: ("company", "role", "section", "question_kind", "question", "how_to_answer",
             "example_answer", "key_points", "misconceptions"),
}
TASK = "exemplars"  # CallInfo.task of these calls
WRITER_PREFIX = "generated:"  # + the model's name: a person tells them from human writers
# 13 answers of at most 120 words and a one-sentence reason each: about 2,500 tokens of JSON
MAX_TOKENS = 4000
# some spread between the answers of one kind across questions; the grades are checked anyway
TEMPERATURE = 0.4

ExemplarKind = Literal[
    "strong", "good", "adequate", "thin", "mixed", "keyword_stuffed", "keyword_stuffed_b",
    "confidently_wrong", "confidently_wrong_b", "evasive", "buzzword", "red_flag", "off_topic",
]
# The grades a kind may have (inclusive), as the shipped packs' human writers gave them
# (tests/test_enrich_exemplars.py checks those files against this); the prompt states the same.
KIND_SCORES: dict[ExemplarKind, tuple[int, int]] = {
    "strong": (5, 5), "good": (4, 4), "adequate": (3, 3), "thin": (2, 2), "mixed": (2, 3),
    "keyword_stuffed": (1, 2), "keyword_stuffed_b": (1, 2),
    "confidently_wrong": (1, 2), "confidently_wrong_b": (1, 2),
    "evasive": (1, 2), "buzzword": (1, 1), "red_flag": (1, 2), "off_topic": (1, 1),
}
NO_MISCONCEPTIONS = "(none listed)"


class ExemplarReply(BaseModel):
    """One answer of the model's reply."""

    kind: ExemplarKind
    answer: NonBlank
    score: int = Field(ge=1, le=5)
    why: str = ""


class ExemplarsOutput(BaseModel):
    """The model's reply for one question (the schema it is asked for; the reply itself is read
    row by row, so one bad row does not cost the others)."""

    answers: list[ExemplarReply] = Field(default_factory=list, max_length=len(KIND_SCORES))


OUTPUT_SCHEMA = ExemplarsOutput.model_json_schema()


class ExemplarReport(BaseModel):
    model: str
    prompt: str  # name@version
    questions: int  # questions asked (take-home briefs are not)
    written: int  # exemplars kept
    failed: dict[str, str] = Field(default_factory=dict)  # question id -> why it has none
    dropped: dict[str, list[str]] = Field(default_factory=dict)  # question id -> rows dropped


def asks_for_exemplars(q: Question) -> bool:
    """A take-home brief is reviewed as a submission, never graded against example answers."""
    return q.kind != "take_home"


def _error(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'row'}: {err['msg']}"
                     for err in e.errors()[:2])


def parse_reply(text: str) -> tuple[list[ExemplarReply], list[str]]:
    """The usable rows of a reply and why each other row was dropped; ModelError when no row is
    usable (not JSON, no "answers" list, or every row dropped)."""
    found = json_text(text)
    if found is None:
        raise ModelError("the reply is not a JSON object")
    try:
        data = json.loads(found)
    except json.JSONDecodeError as e:
        raise ModelError(f"the reply is not valid JSON: {e.msg} at character {e.pos}") from e
    rows = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ModelError('the reply has no "answers" list')
    kept: list[ExemplarReply] = []
    dropped: list[str] = []
    seen_answers: set[str] = set()
    for n, raw in enumerate(rows, 1):
        try:
            row = ExemplarReply.model_validate(raw)
        except ValidationError as e:
            dropped.append(f"answer {n}: {_error(e)}")
            continue
        low, high = KIND_SCORES[row.kind]
        key = " ".join(row.answer.lower().split())
        if not low <= row.score <= high:
            span = str(low) if low == high else f"{low}-{high}"
            dropped.append(f"answer {n} ({row.kind}): score {row.score} is outside {span}")
        elif any(r.kind == row.kind for r in kept):
            dropped.append(f"answer {n} ({row.kind}): a second answer of that kind")
        elif key in seen_answers:
            dropped.append(f"answer {n} ({row.kind}): the same text as an earlier answer")
        else:
            kept.append(row)
            seen_answers.add(key)
    if not kept:
        first = f": {dropped[0]}" if dropped else ""
        raise ModelError(f"no usable answer in the reply ({len(rows)} given){first}")
    return kept, dropped


def _values(q: Question, pack: Pack) -> dict[str, str]:
    misconceptions = "\n".join(
        f"- {m.claim}" + (f" -> {m.correction}" if m.correction else "")
        for m in q.misconceptions) or NO_MISCONCEPTIONS
    return {"company": pack.company, "role": pack.role, "section": q.section,
            "question_kind": q.kind, "question": q.question, "how_to_answer": q.how_to_answer,
            "example_answer": q.example_answer,
            "key_points": "\n".join(f"- {p}" for p in q.key_points),
            "misconceptions": misconceptions}


def exemplars_for_question(q: Question, pack: Pack, model: ChatModel, prompt: Prompt
                           ) -> tuple[list[Exemplar], list[str]]:
    """One question's graded exemplars and the rows dropped from the reply; ModelError when the
    reply is unusable."""
    values = _values(q, pack)
    messages = prompt.render(**{k: values[k] for k in PROMPT_VARIABLES[PROMPT]})
    completion = model.complete(messages, json_schema=OUTPUT_SCHEMA, temperature=TEMPERATURE,
                                max_tokens=MAX_TOKENS,
                                info=CallInfo(task=TASK, prompt=prompt.name,
                                              prompt_version=prompt.version, question_id=q.id))
    if completion.finish_reason == "length":
        raise ModelError(f"the reply was cut off at the token limit ({MAX_TOKENS})")
    rows, dropped = parse_reply(completion.text)
    writer = WRITER_PREFIX + (completion.model or model.model_name)
    return [Exemplar(question_id=q.id, kind=r.kind, answer=r.answer.strip(), score=r.score,
                     why=r.why.strip(), writer=writer) for r in rows], dropped


def generate_exemplars(pack: Pack, model: ChatModel, prompts_dir: Path,
                       progress: Callable[[int, int], None] | None = None
                       ) -> tuple[list[Exemplar], ExemplarReport]:
    """Every question that takes answers asked once; a failure leaves that question without
    exemplars. The prompt loads first, so a broken prompt file fails before any call."""
    prompt = load_prompt(prompts_dir, PROMPT)
    asked = [q for q in pack.questions if asks_for_exemplars(q)]
    out: list[Exemplar] = []
    failed: dict[str, str] = {}
    dropped: dict[str, list[str]] = {}
    for i, q in enumerate(asked, 1):
        try:
            rows, why_dropped = exemplars_for_question(q, pack, model, prompt)
        except ModelError as e:
            failed[q.id] = str(e)
        else:
            out += rows
            if why_dropped:
                dropped[q.id] = why_dropped
        if progress is not None:
            progress(i, len(asked))
    return out, ExemplarReport(model=model.model_name, prompt=prompt.version,
                               questions=len(asked), written=len(out), failed=failed,
                               dropped=dropped)


def exemplars_jsonl(exemplars: list[Exemplar]) -> str:
    """The lines of a pack's `exemplars.jsonl`, in the shipped files' key order."""
    return "".join(json.dumps(e.model_dump(), ensure_ascii=False) + "\n" for e in exemplars)
