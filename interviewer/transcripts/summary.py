"""The end-of-session summary, shared by the exports and the UI so they never disagree."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from .model import Transcript


class ScoreItem(BaseModel):
    """A mean score over `count` graded answers (a criterion, topic or stage)."""

    id: str
    name: str
    score: float
    count: int


TITLE_CHARS = 140


class AnswerRef(BaseModel):
    question_id: str
    stage_id: str
    question: str
    topic: str
    score: float

    @property
    def title(self) -> str:
        """The question's first line, cut to a list item's length: a take-home brief runs to
        paragraphs, and a report's list names the question, it does not repeat it."""
        first = self.question.strip().splitlines()[0] if self.question.strip() else ""
        text = " ".join(first.split())
        if len(text) <= TITLE_CHARS:
            return text
        return text[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class SessionSummary(BaseModel):
    session_id: str
    pack: str
    mode: str
    stages: list[str]
    planned: int
    answered: int  # questions with a graded answer
    skipped: int
    finished: bool
    ended_early: bool
    overall: float | None = None  # mean of the final grade per answered question, 1-5
    criteria: list[ScoreItem] = Field(default_factory=list)
    topics: list[ScoreItem] = Field(default_factory=list)
    stage_scores: list[ScoreItem] = Field(default_factory=list)
    strongest: list[AnswerRef] = Field(default_factory=list)
    weakest: list[AnswerRef] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)

    def headline(self) -> str:
        score = f"{self.overall:.1f}/5" if self.overall is not None else "no graded answers"
        return (
            f"Overall {score} over {self.answered} answered question(s)"
            f" ({self.skipped} skipped, {self.planned} planned)"
        )


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2)


def summarize(transcript: Transcript, *, top: int = 2) -> SessionSummary:
    """Scores per criterion, topic and stage; strongest/weakest answers; next steps."""
    graded = [r for r in transcript.questions if r.final_grade is not None]
    crit: dict[str, list[float]] = defaultdict(list)
    crit_names: dict[str, str] = {}
    topics: dict[str, list[float]] = defaultdict(list)
    stages: dict[str, list[float]] = defaultdict(list)
    refs: list[AnswerRef] = []
    for rec in graded:
        grade = rec.final_grade
        assert grade is not None
        for c in grade.criteria:
            crit[c.id].append(float(c.score))
            crit_names[c.id] = c.name
        topics[rec.topic].append(grade.score)
        stages[rec.stage_id].append(grade.score)
        refs.append(AnswerRef(
            question_id=rec.question_id, stage_id=rec.stage_id, question=rec.question,
            topic=rec.topic, score=round(grade.score, 2),
        ))
    # each answer is on one side only: the top `top` and, from the rest, the bottom `top`
    by_score = sorted(refs, key=lambda r: (-r.score, r.question_id))
    if len(by_score) == 1:
        strongest, weakest = (by_score, []) if by_score[0].score >= 3.5 else ([], by_score)
    else:
        strongest = by_score[: min(top, len(by_score) // 2 or 1)]
        rest = by_score[len(strongest):]
        weakest = sorted(rest, key=lambda r: (r.score, r.question_id))[:top]
    stage_names = transcript.stage_names
    return SessionSummary(
        session_id=transcript.session_id, pack=transcript.pack, mode=transcript.mode,
        stages=list(transcript.stage_ids), planned=len(transcript.questions),
        answered=len(graded), skipped=sum(1 for r in transcript.questions if r.skipped),
        finished=transcript.finished, ended_early=transcript.ended_early,
        overall=_mean([r.final_grade.score for r in graded if r.final_grade]) if graded else None,
        criteria=[ScoreItem(id=k, name=crit_names[k], score=_mean(v), count=len(v))
                  for k, v in crit.items()],
        topics=[ScoreItem(id=k, name=k, score=_mean(v), count=len(v))
                for k, v in sorted(topics.items())],
        stage_scores=[ScoreItem(id=k, name=stage_names.get(k, k), score=_mean(v), count=len(v))
                      for k, v in stages.items()],
        strongest=strongest, weakest=weakest, next_steps=_next_steps(transcript),
    )


def _next_steps(transcript: Transcript, limit: int = 4) -> list[str]:
    """The graders' next steps for the weakest answers first, then a note on skipped ones."""
    steps: list[str] = []
    graded = sorted(
        (r for r in transcript.questions if r.final_grade is not None),
        key=lambda r: r.final_grade.score if r.final_grade else 5.0,
    )
    for rec in graded:
        grade = rec.final_grade
        if grade is None or grade.score >= 4.5:
            continue
        step = grade.next_step.strip()
        if step and step not in steps:
            steps.append(step)
        if len(steps) >= limit:
            break
    skipped = [r for r in transcript.questions if r.skipped]
    if skipped:
        topics = sorted({r.topic for r in skipped})
        steps.append("Prepare the skipped question(s) on: " + ", ".join(topics) + ".")
    if not steps and graded:
        steps.append("Strong session: try the full loop in interview mode, or a harder stage.")
    return steps
