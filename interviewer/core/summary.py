"""The end-of-session summary, shared by the exports and the UI so they never disagree."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from interviewer.core.transcript import Transcript


class ScoreItem(BaseModel):
    """A mean score over `count` graded answers (a criterion, topic or stage)."""

    id: str
    name: str
    score: float
    count: int


STANDS_OUT = 0.25  # points from the session's mean for an answer to be named strongest/weakest


class AnswerRef(BaseModel):
    question_id: str
    stage_id: str
    question: str
    topic: str
    score: float

    @property
    def title(self) -> str:
        """A list names the question, it does not repeat it (a take-home brief runs to
        paragraphs)."""
        from interviewer.core.transcript import question_title

        return question_title(self.question)


def count(n: int, noun: str) -> str:
    """"1 question", "2 questions": a summary reads as prose, not as "question(s)"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
        """The summary's first line, in words that read naturally when nothing was answered."""
        if self.overall is None or not self.answered:
            if self.skipped:
                return (f"No answers graded: {count(self.skipped, 'question')} skipped of "
                        f"{self.planned} planned.")
            return f"No answers graded ({count(self.planned, 'question')} planned, none answered)."
        return (f"Overall {self.overall:.1f}/5 over {count(self.answered, 'answered question')} "
                f"({self.skipped} skipped, {self.planned} planned)")


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
    strongest, weakest = _contrast(refs, top)
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


def _contrast(refs: list[AnswerRef], top: int) -> tuple[list[AnswerRef], list[AnswerRef]]:
    """The answers worth naming: each on one side only, and only when it stands out from the
    session's mean (a single answer, or answers that all scored alike, name none)."""
    if not refs:
        return [], []
    mean = sum(r.score for r in refs) / len(refs)
    by_score = sorted(refs, key=lambda r: (-r.score, r.question_id))
    strongest = [r for r in by_score if r.score - mean >= STANDS_OUT - 1e-9][:top]
    rest = [r for r in reversed(by_score) if r not in strongest]
    weakest = [r for r in rest if mean - r.score >= STANDS_OUT - 1e-9][:top]
    return strongest, weakest


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
        noun = "question" if len(skipped) == 1 else "questions"
        steps.append(f"Prepare the skipped {noun} on: " + ", ".join(topics) + ".")
    if not steps and graded:
        steps.append(_after_a_strong_session(transcript))
    return steps


def _after_a_strong_session(transcript: Transcript) -> str:
    """What to try next after a strong session: something this session was not."""
    loop = len(transcript.stage_ids) > 1
    if transcript.mode == "practice":
        return ("Strong session: run the full loop in interview mode (no feedback until the end)."
                if loop else "Strong session: try the full loop in interview mode, or a harder "
                "stage.")
    if loop:
        return "Strong session: run the full loop again at a harder difficulty."
    return "Strong session: run it again at a harder difficulty, or try the full loop."
