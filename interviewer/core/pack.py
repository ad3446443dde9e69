"""Knowledge packs: the pydantic schema, loading and validation.

A pack is a folder under the knowledge dir; its name is the folder's name. It holds the guide's
source text and `pack.yaml`. The guide parser lives in `guide_parser.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from interviewer.core.errors import NotFoundError, PackError

# guide: the guide's words; derived: the guide's words, the other fields derived from it offline
# (packs/derive.py); authored: written for the project; source: an outside data set.
Provenance = Literal["guide", "authored", "source", "derived"]
QuestionKind = Literal["technical", "behavioral", "take_home", "conversational"]
Difficulty = Literal["easy", "medium", "hard", "expert"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceInfo(_Model):
    """Where a pack's content came from, with its licence and attribution."""

    file: str
    sha256: str
    title: str | None = None
    url: str | None = None
    license: str | None = None
    attribution: str | None = None


class Stage(_Model):
    id: str
    order: int
    name: str
    description: str
    format: str = ""
    persona: str = ""
    focus: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    duration_minutes: int | None = None
    # How this stage's interviewer runs it (interview/plan.py): the first of `opens_with` that
    # is still free opens the stage (a recruiter starts with your background), the first of
    # `closes_with` ends it ("What questions do you have for us?"), and the questions between
    # go by `kind_order` (kinds not listed come last), then easy to hard.
    # (None when a pack does not say: a generated pack's YAML then stays as it was)
    opens_with: list[str] | None = None
    closes_with: list[str] | None = None
    kind_order: list[QuestionKind] | None = None
    # "derived": format, persona, focus and aliases were derived from the description
    provenance: Literal["guide", "authored", "derived"] | None = None

    @model_serializer(mode="wrap")
    def _without_unset_provenance(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Packs written before these fields existed dump as they did."""
        data = handler(self)
        if isinstance(data, dict):
            for key in ("provenance", "opens_with", "closes_with", "kind_order"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data


ASK_CHANCE_WEIGHTS = {"very high": 4.0, "high": 3.0, "medium": 2.0, "low": 1.0, "very low": 0.5}
# how a topic table writes a range of two levels: "Medium/High", "Low - Medium", "Low to High"
LEVEL_RANGE_RE = re.compile(r"\s*(?:/|-|\u2013|\u2014|\bto\b|\bor\b)\s*", re.IGNORECASE)


class Topic(_Model):
    name: str
    difficulty: str
    ask_chance: str

    @property
    def weight(self) -> float:
        """Ask chance as a sampling weight; a range ("Medium/High") weighs the mean of its ends."""
        parts = [p for p in LEVEL_RANGE_RE.split(self.ask_chance.strip().lower()) if p]
        weights = [ASK_CHANCE_WEIGHTS.get(p, 1.0) for p in parts] or [1.0]
        return sum(weights) / len(weights)


class Tip(_Model):
    id: str
    title: str
    text: str


class RubricCriterion(_Model):
    """One criterion of a take-home brief's rubric; weights are relative."""

    id: str
    name: str
    weight: float = 1.0
    description: str


class Misconception(_Model):
    """A common wrong claim and what is true instead. The correction is shown to a candidate
    who makes the claim, and it tells the grader what a right answer on the same topic says (a
    right answer is as close to the claim in embedding space as a wrong one)."""

    claim: NonBlank
    correction: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        return {"claim": value} if isinstance(value, str) else value



class Exemplar(_Model):
    """A graded example answer to one question, written for the pack (strong to plainly wrong,
    with the grade a careful panel gives it). The reference grader reads an answer's nearest
    exemplars as evidence for its grade: an answer that reads like a graded wrong one is pulled
    toward that grade, which the key points alone cannot do (issue 12)."""

    question_id: str
    kind: str
    answer: NonBlank
    score: int = Field(ge=1, le=5)
    why: str = ""
    writer: str = ""


class GeneratedItem(_Model):
    """An item a model wrote (`pack add --enrich`): merged into the question's list of that
    field, and kept here too so a person can review what was not in the guide."""

    field: Literal["misconceptions", "follow_ups", "hints"]
    text: NonBlank
    correction: str = ""
    model: str = ""
    provenance: Literal["generated"] = "generated"


class Question(_Model):
    id: str
    section: str
    topic: str
    kind: QuestionKind = "technical"
    stages: list[str] = Field(min_length=1)
    difficulty: Difficulty = "medium"
    question: NonBlank
    intent: str
    how_to_answer: NonBlank
    example_answer: NonBlank
    key_points: list[str] = Field(min_length=1, max_length=8)
    follow_ups: list[str] = Field(default_factory=list, max_length=3)
    misconceptions: list[Misconception] = Field(default_factory=list, max_length=4)
    hints: list[str] = Field(default_factory=list)
    rubric: list[RubricCriterion] = Field(default_factory=list)
    provenance: Provenance = "guide"
    generated: list[GeneratedItem] = Field(default_factory=list)
    # read from the pack's `exemplars.jsonl`, never written into `pack.yaml` or a dump
    exemplars: list[Exemplar] = Field(default_factory=list, exclude=True, repr=False)

    @model_serializer(mode="wrap")
    def _without_empty_generated(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Questions no model added to dump as they did before `generated` existed."""
        data = handler(self)
        if isinstance(data, dict) and not data.get("generated", True):
            data.pop("generated", None)
        return data


class Pack(_Model):
    name: str
    company: str
    role: str
    overview: str
    source: SourceInfo
    attribution: str | None = None
    stages: list[Stage] = Field(min_length=1)
    topics: list[Topic] = Field(default_factory=list)
    tips: list[Tip] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Pack:
        stage_ids = [s.id for s in self.stages]
        if len(set(stage_ids)) != len(stage_ids):
            raise ValueError("stage ids must be unique")
        qids = [q.id for q in self.questions]
        dupes = sorted({q for q in qids if qids.count(q) > 1})
        if dupes:
            raise ValueError(f"question ids must be unique: {dupes}")
        for q in self.questions:
            unknown = set(q.stages) - set(stage_ids)
            if unknown:
                raise ValueError(f"question {q.id} names unknown stages {sorted(unknown)}")
        by_id = {q.id: q for q in self.questions}
        for s in self.stages:
            for qid in [*(s.opens_with or []), *(s.closes_with or [])]:
                if qid not in by_id or s.id not in by_id[qid].stages:
                    raise ValueError(f"stage {s.id} opens or closes with {qid!r}, which is not "
                                     "one of its questions")
        return self

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Question:
        try:
            return self._questions_by_id[question_id]
        except KeyError:
            raise NotFoundError(f"pack {self.name!r} has no question {question_id!r}") from None

    def stage(self, ref: str) -> Stage:
        """Find a stage by id, alias or unambiguous id prefix."""
        key = ref.strip().lower()
        for s in self.stages:
            if key == s.id or key in (a.lower() for a in s.aliases):
                return s
        prefixed = [s for s in self.stages if s.id.startswith(key)]
        if len(prefixed) == 1:
            return prefixed[0]
        known = ", ".join(s.id for s in self.stages)
        raise NotFoundError(f"unknown stage {ref!r} in pack {self.name!r} (known: {known})")

    def questions_for(self, stage_id: str) -> list[Question]:
        return [q for q in self.questions if stage_id in q.stages]

    def neighbours(self, question: Question) -> list[Question]:
        """The questions an answer to `question` may be meant for instead (a candidate who
        misheard, or answers what they know): for a technical question the other questions of
        its section; for a behavioral or conversational one every other question of the pack
        (an answer about overfitting to "walk me through your background", issue 12). Take-home
        briefs are never among them."""
        if question.kind == "take_home":
            return []
        return [q for q in self.questions if q.id != question.id and q.kind != "take_home"
                and (question.kind != "technical" or q.section == question.section)]

    def topic(self, name: str) -> Topic | None:
        return next((t for t in self.topics if t.name == name), None)

    def find_question_by_text(self, text: str) -> Question | None:
        """Match a question's text loosely (case, spacing, trailing punctuation)."""
        norm = _normalise(text)
        return next((q for q in self.questions if _normalise(q.question) == norm), None)

    def stages_in_order(self) -> list[Stage]:
        return sorted(self.stages, key=lambda s: s.order)


# libyaml's loader when the wheel has it (10x faster on a large pack), else the pure-Python one
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(" ?.!")


PACK_FILE = "pack.yaml"
# graded example answers, one JSON object per line (optional; see `Exemplar`)
EXEMPLARS_FILE = "exemplars.jsonl"


def pack_path(knowledge_dir: Path, name: str) -> Path:
    return knowledge_dir / name / PACK_FILE


def list_packs(knowledge_dir: Path) -> list[str]:
    if not knowledge_dir.is_dir():
        return []
    return sorted(p.parent.name for p in knowledge_dir.glob(f"*/{PACK_FILE}"))


def load_pack(knowledge_dir: Path, name: str) -> Pack:
    """Load and validate one pack; unknown or invalid packs raise PackError with the cause."""
    path = pack_path(knowledge_dir, name)
    if not path.is_file():
        known = ", ".join(list_packs(knowledge_dir)) or "none"
        raise NotFoundError(f"unknown pack {name!r} (known: {known})")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    except yaml.YAMLError as e:
        raise PackError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise PackError(f"{path}: expected a mapping at the top level")
    if data.get("name") not in (None, name):
        raise PackError(f"{path}: name {data.get('name')!r} must equal its folder {name!r}")
    data["name"] = name
    try:
        pack = Pack.model_validate(data)
    except ValidationError as e:
        raise PackError(f"{path}: invalid pack:\n{e}") from e
    return with_exemplars(pack, load_exemplars(path.parent / EXEMPLARS_FILE))


def load_exemplars(path: Path) -> list[Exemplar]:
    """A pack's graded example answers (none when the file is absent)."""
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(Exemplar.model_validate_json(line))
        except ValidationError as e:
            raise PackError(f"{path}, line {n}: invalid exemplar:\n{e}") from e
    return out


def with_exemplars(pack: Pack, exemplars: list[Exemplar]) -> Pack:
    """The pack with each question's exemplars attached; an exemplar of an unknown question is
    an error (a renamed question would otherwise lose them silently)."""
    if not exemplars:
        return pack
    ids = {q.id for q in pack.questions}
    unknown = sorted({e.question_id for e in exemplars} - ids)
    if unknown:
        raise PackError(f"pack {pack.name}: exemplars of unknown questions {unknown}")
    by_q: dict[str, list[Exemplar]] = {}
    for e in exemplars:
        by_q.setdefault(e.question_id, []).append(e)
    for q in pack.questions:
        q.exemplars = by_q.get(q.id, [])
    return pack


def iter_packs(knowledge_dir: Path) -> Iterator[Pack]:
    for name in list_packs(knowledge_dir):
        yield load_pack(knowledge_dir, name)


def dump_yaml(data: object) -> str:
    """YAML that keeps long text readable (block style) and key order stable."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
