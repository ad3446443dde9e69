"""The Grade every grader returns, the request it grades, and the anchored criteria."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from interviewer.core.agents import GraderKind
from interviewer.core.findings import Finding
from interviewer.core.pack import Question, RubricCriterion


class Criterion(BaseModel):
    id: str
    name: str
    weight: float = 1.0
    description: str
    anchors: dict[int, str] = Field(default_factory=dict)  # score -> what it looks like


def _c(cid: str, name: str, desc: str, a1: str, a3: str, a5: str) -> Criterion:
    return Criterion(id=cid, name=name, description=desc, anchors={1: a1, 3: a3, 5: a5})


CRITERIA: dict[str, list[Criterion]] = {
    "technical": [
        _c("correctness", "Correctness", "Claims are technically right; no misconceptions.",
           "Wrong or asserts a known misconception.", "Mostly right with a slip or vague claim.",
           "Every claim is right and precise."),
        _c("completeness", "Completeness", "Covers the key points a strong answer needs.",
           "Covers none of the key points.", "Covers about half of the key points.",
           "Covers all key points (as the guide's example or better)."),
        _c("depth", "Depth", "Goes beyond definitions: trade-offs, examples, when to use what.",
           "Only restates the question or names terms.", "Some examples or reasoning.",
           "Concrete examples, trade-offs and judgement."),
        _c("communication", "Communication", "Clear, structured, concise.",
           "Hard to follow or off-topic.", "Understandable with some rambling.",
           "Crisp, well-ordered, easy to follow."),
    ],
    "behavioral": [
        _c("star", "STAR structure", "Situation, Task, Action, Result are all present.",
           "No story, only generalities.", "A story with some STAR parts missing.",
           "A clear Situation, Task, Action and measurable Result."),
        _c("specificity", "Specificity", "Concrete details: names of systems, numbers, dates.",
           "Vague and hypothetical.", "Some concrete details.",
           "Specific, verifiable details and numbers."),
        _c("ownership", "Ownership & reflection", "What *you* did and what you learned.",
           "No personal role or lesson.", "Personal role clear, little reflection.",
           "Clear ownership and an honest lesson applied later."),
        _c("relevance", "Relevance", "Answers the question asked and ties it to the role.",
           "Off-topic.", "Partly relevant.", "Directly relevant and linked to the role/company."),
    ],
    "conversational": [
        _c("relevance", "Relevance", "Answers what was asked.",
           "Off-topic.", "Partly relevant.", "Directly answers the question."),
        _c("specificity", "Specificity", "Concrete reasons and examples, not platitudes.",
           "Generic platitudes.", "Some specifics.", "Specific, personal and well-researched."),
        _c("motivation", "Motivation & fit", "Genuine interest in the company, role and domain.",
           "No visible interest.", "Some interest, generic.",
           "Informed enthusiasm tied to the company's mission."),
        _c("communication", "Communication", "Clear, structured, concise.",
           "Hard to follow.", "Understandable.", "Crisp and well-ordered."),
    ],
}


def criteria_for(question: Question) -> list[Criterion]:
    """Take-home questions are graded on their brief's rubric; the rest by their kind."""
    if question.kind == "take_home" and question.rubric:
        return [_from_rubric(r) for r in question.rubric]
    return CRITERIA.get(question.kind, CRITERIA["technical"])


def _from_rubric(r: RubricCriterion) -> Criterion:
    return Criterion(id=r.id, name=r.name, weight=r.weight, description=r.description)


class GradeRequest(BaseModel):
    """What a grader needs. `question` may be a pack question or a free-standing one (SAF)."""

    question: Question
    answer: str
    pack: str | None = None
    # follow-up questions shown for this question: text copied from them is not the candidate's
    asked: list[str] = Field(default_factory=list)
    # the pack's questions an answer to this one could be mistaken for (`Pack.neighbours`): an
    # answer much closer to one of their example answers answers that question instead
    neighbours: list[Question] = Field(default_factory=list)


class CriterionScore(BaseModel):
    id: str
    name: str
    score: int = Field(ge=1, le=5)
    rationale: str = ""


class KeyPointHit(BaseModel):
    point: str
    covered: bool
    evidence: str | None = None  # the answer's words that show it
    similarity: float | None = None
    # False: the grader cannot tell whether an answer makes this point (the reference grader,
    # when even the guide's example answer does not come near it: a rubric descriptor such as
    # "gives a specific situation"); shown as something to check, never as missed
    measured: bool = True


class GradeProvenance(BaseModel):
    grader: GraderKind
    model: str | None = None
    prompt_version: str | None = None
    calibration_version: str | None = None
    # the reference grader's policy (every rule's number) the grade was given under
    policy_version: str | None = None
    # the answer scorer (a cross-encoder fitted on graded answers) that shared the grade
    scorer_version: str | None = None
    duration_ms: float = 0.0
    fallback_reason: str | None = None  # set when the LLM failed and the reference grade stands
    # set when the question's grade is not this grading's own verdict: a follow-up answer that
    # added nothing keeps the earlier grade (see interview/settle.py)
    settled: str | None = None


class WrongClaim(BaseModel):
    """A wrong claim found in the answer, why it is wrong, and what is true instead (when the
    pack says): what the grade card shows under "Watch out"."""

    text: str  # the answer's words
    problem: str  # e.g. "a known misconception: ..."
    correction: str = ""
    misconception: str = ""  # the pack's claim it asserts, when it is a listed misconception


class Grade(BaseModel):
    score: float = Field(ge=1, le=5)  # 5 = as good as or better than the guide's example
    criteria: list[CriterionScore]
    key_points: list[KeyPointHit]
    strengths: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)
    misconceptions: list[str] = Field(default_factory=list)  # wrong claims found in the answer
    wrong_claims: list[WrongClaim] = Field(default_factory=list)  # the same, explained (reference)
    # wrong claims an earlier answer made and a follow-up answer put right: they no longer cap
    # the grade, and the card says so (interview/settle.py)
    corrected: list[WrongClaim] = Field(default_factory=list)
    # the pack question this answer seems to answer instead of the one asked (reference grader)
    other_question: str | None = None
    next_step: str
    low_confidence: bool = False
    confidence_reason: str | None = None
    provenance: GradeProvenance
    # a take-home reviewed as code (interviewer/review): what the analyzers found, most
    # serious first, and the question the interviewer asks about the most serious one
    findings: list[Finding] = Field(default_factory=list)
    follow_up: str | None = None

    def watch_out(self) -> list[str]:
        """The wrong claims as plain lines: explained where a grader said why, else as found."""
        explained = [f"“{w.text}”: {w.problem.rstrip('. ')}"
                     + (f". In fact: {w.correction}" if w.correction else "")
                     for w in self.wrong_claims]
        seen = {w.text for w in self.wrong_claims}
        return explained + [m for m in self.misconceptions if m not in seen]

    @property
    def covered(self) -> list[KeyPointHit]:
        return [k for k in self.key_points if k.covered]

    @property
    def missed(self) -> list[KeyPointHit]:
        return [k for k in self.key_points if not k.covered and k.measured]

    @property
    def unchecked(self) -> list[KeyPointHit]:
        """Points the grader could not check: the candidate judges these themselves."""
        return [k for k in self.key_points if not k.covered and not k.measured]

    @property
    def checked(self) -> list[KeyPointHit]:
        return [k for k in self.key_points if k.covered or k.measured]


class Grader(Protocol):
    """Anything that turns a GradeRequest into a Grade."""

    name: str

    def grade(self, request: GradeRequest) -> Grade: ...


def prepare_grader(grader: object, questions: list[Question]) -> None:
    """Let a grader embed a question's reference material before the first answer arrives (the
    reference grader; the LLM grader passes it to its fallback). Graders without it are fine."""
    prepare = getattr(grader, "prepare", None)
    if callable(prepare):
        prepare(questions)
