"""`pack add --enrich`: a configured model adds misconceptions (with corrections), follow-ups and
hints to a derived pack. Everything it adds is merged into the question and also listed in the
question's `generated` items (`provenance: generated`), so a person can review what the guide did
not say. A question whose reply is unusable keeps its derived fields; the report says which.
The graded exemplars `--enrich` also writes come from `enrich_exemplars.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from interviewer.core.errors import ModelError
from interviewer.core.pack import GeneratedItem, Misconception, Pack, Question
from interviewer.llm import CallInfo, ChatModel
from interviewer.llm.prompts import load_prompt

PROMPT = "pack_enrich"
PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {
    PROMPT: ("company", "role", "section", "question", "how_to_answer", "example_answer",
             "key_points"),
}
MAX_TOKENS = 900
TEMPERATURE = 0.2
MAX_MISCONCEPTIONS = 4  # the pack schema's limit per question
MAX_FOLLOW_UPS = 3


class EnrichClaim(BaseModel):
    claim: str = Field(min_length=1)
    correction: str = ""


class EnrichOutput(BaseModel):
    """The model's reply for one question."""

    misconceptions: list[EnrichClaim] = Field(default_factory=list, max_length=3)
    follow_ups: list[str] = Field(default_factory=list, max_length=2)
    hints: list[str] = Field(default_factory=list, max_length=2)


OUTPUT_SCHEMA = EnrichOutput.model_json_schema()


class EnrichReport(BaseModel):
    model: str
    prompt: str  # name@version
    questions: int
    enriched: int
    items: int
    failed: dict[str, str] = Field(default_factory=dict)  # question id -> why


def json_text(text: str) -> str | None:
    """The JSON object in a reply (a fenced block or the outermost braces); also read by
    enrich_exemplars."""
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, re.S)
    if fenced:
        return fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start:end + 1] if 0 <= start < end else None


def enrich_question(q: Question, pack: Pack, model: ChatModel, prompts_dir: Path) -> Question:
    """One question with the model's additions merged in; ModelError when the reply is
    unusable."""
    prompt = load_prompt(prompts_dir, PROMPT)
    values = {"company": pack.company, "role": pack.role, "section": q.section,
              "question": q.question, "how_to_answer": q.how_to_answer,
              "example_answer": q.example_answer,
              "key_points": "\n".join(f"- {p}" for p in q.key_points)}
    messages = prompt.render(**{k: values[k] for k in PROMPT_VARIABLES[PROMPT]})
    completion = model.complete(messages, json_schema=OUTPUT_SCHEMA, temperature=TEMPERATURE,
                                max_tokens=MAX_TOKENS,
                                info=CallInfo(task="enrich", prompt=prompt.name,
                                              prompt_version=prompt.version, question_id=q.id))
    if completion.finish_reason == "length":
        raise ModelError("the reply was cut off at the token limit")
    text = json_text(completion.text)
    if text is None:
        raise ModelError("the reply is not a JSON object")
    try:
        out = EnrichOutput.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as e:
        raise ModelError(f"the reply does not fit the schema: {str(e).splitlines()[0]}") from e
    name = completion.model or model.model_name
    generated = list(q.generated)
    known = {m.claim.strip().lower() for m in q.misconceptions}
    misconceptions = list(q.misconceptions)
    for m in out.misconceptions:
        if len(misconceptions) >= MAX_MISCONCEPTIONS or m.claim.strip().lower() in known:
            continue
        misconceptions.append(Misconception(claim=m.claim.strip(),
                                            correction=m.correction.strip()))
        generated.append(GeneratedItem(field="misconceptions", text=m.claim.strip(),
                                       correction=m.correction.strip(), model=name))
    new_follow_ups = [f.strip() for f in out.follow_ups if f.strip()
                      and f.strip() not in q.follow_ups]
    follow_ups = (new_follow_ups + q.follow_ups)[:MAX_FOLLOW_UPS]
    generated += [GeneratedItem(field="follow_ups", text=f, model=name)
                  for f in new_follow_ups if f in follow_ups]
    new_hints = [h.strip() for h in out.hints if h.strip() and h.strip() not in q.hints]
    generated += [GeneratedItem(field="hints", text=h, model=name) for h in new_hints]
    return q.model_copy(update={"misconceptions": misconceptions, "follow_ups": follow_ups,
                                "hints": q.hints + new_hints, "generated": generated})


def enrich_pack(pack: Pack, model: ChatModel, prompts_dir: Path,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[Pack, EnrichReport]:
    """Every question asked once; a failure leaves that question as it was."""
    questions: list[Question] = []
    failed: dict[str, str] = {}
    for i, q in enumerate(pack.questions, 1):
        try:
            questions.append(enrich_question(q, pack, model, prompts_dir))
        except ModelError as e:
            failed[q.id] = str(e)
            questions.append(q)
        if progress is not None:
            progress(i, len(pack.questions))
    enriched = Pack.model_validate(pack.model_dump() | {
        "questions": [q.model_dump() for q in questions]})
    items = sum(len(q.generated) - len(old.generated)
                for q, old in zip(questions, pack.questions, strict=True))
    return enriched, EnrichReport(model=model.model_name,
                                  prompt=load_prompt(prompts_dir, PROMPT).version,
                                  questions=len(questions),
                                  enriched=len(questions) - len(failed), items=items,
                                  failed=failed)
