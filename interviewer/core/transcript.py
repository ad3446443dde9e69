"""A readable view of a session built from its events: what exports and summaries work from."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.core.events import (
    Answered,
    Asked,
    CandidateSaid,
    Ended,
    Event,
    QuestionSnapshot,
    Said,
    SessionStarted,
    Skipped,
)
from interviewer.core.grade import Grade
from interviewer.core.text import shorten


class Exchange(BaseModel):
    """One prompt (the question or a follow-up) and the candidate's answer to it."""

    kind: Literal["question", "follow_up"]
    prompt: str
    answer: str | None = None
    grade: Grade | None = None
    asked_at: datetime | None = None
    answered_at: datetime | None = None
    skipped: bool = False


TITLE_CHARS = 140


def question_title(question: str) -> str:
    """The question's first line, cut to a heading's length: a take-home brief runs to
    paragraphs, and a heading that holds them breaks (the same rule as `AnswerRef.title`)."""
    first = question.strip().splitlines()[0] if question.strip() else ""
    return shorten(first, TITLE_CHARS)


class QuestionRecord(BaseModel):
    plan_index: int
    stage_id: str
    question_id: str
    topic: str
    kind: str
    difficulty: str
    question: str
    example_answer: str
    key_points: list[str]
    exchanges: list[Exchange] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return question_title(self.question)

    @property
    def final_grade(self) -> Grade | None:
        """The grade of the last answer (it grades the question's answers together)."""
        graded = [x.grade for x in self.exchanges if x.grade is not None]
        return graded[-1] if graded else None

    @property
    def skipped(self) -> bool:
        return self.final_grade is None and any(x.skipped for x in self.exchanges)

    @property
    def asked(self) -> bool:
        return bool(self.exchanges)


class Line(BaseModel):
    """One line of the conversation, in order."""

    role: Literal["interviewer", "candidate"]
    kind: str
    text: str
    at: datetime
    stage_id: str | None = None
    question_id: str | None = None


class Transcript(BaseModel):
    session_id: str
    owner: str | None
    pack: str
    mode: str
    seed: int
    interviewer: str
    grader: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    stage_ids: list[str]
    stage_names: dict[str, str]
    questions: list[QuestionRecord]
    lines: list[Line]
    prompt_versions: list[str]
    grader_versions: list[str]

    @property
    def finished(self) -> bool:
        return self.end_reason is not None

    @property
    def ended_early(self) -> bool:
        return self.end_reason == "ended_early"

    @classmethod
    def from_events(cls, events: list[Event]) -> Transcript:
        start = events[0]
        if not isinstance(start, SessionStarted):
            raise ValueError("a transcript starts with session_started")
        snaps: dict[str, QuestionSnapshot] = {q.id: q for q in start.questions}
        records = []
        for i, item in enumerate(start.plan):
            s = snaps[item.question_id]
            records.append(QuestionRecord(
                plan_index=i, stage_id=item.stage_id, question_id=s.id, topic=s.topic,
                kind=s.kind, difficulty=s.difficulty, question=s.question,
                example_answer=s.example_answer, key_points=s.key_points,
            ))
        lines: list[Line] = []
        prompts: set[str] = set()
        graders: set[str] = set()
        ended: Ended | None = None
        for e in events[1:]:
            if isinstance(e, Asked):
                records[e.plan_index].exchanges.append(
                    Exchange(kind=e.kind, prompt=e.text, asked_at=e.at))
                lines.append(Line(role="interviewer", kind=e.kind, text=e.text, at=e.at,
                                  stage_id=e.stage_id, question_id=e.question_id))
                if e.prompt_version:
                    prompts.add(e.prompt_version)
            elif isinstance(e, Said):
                lines.append(Line(role="interviewer", kind=e.kind, text=e.text, at=e.at,
                                  stage_id=e.stage_id, question_id=e.question_id))
                if e.prompt_version:
                    prompts.add(e.prompt_version)
            elif isinstance(e, Answered):
                rec = records[e.plan_index]
                ex = _open_exchange(rec, e.follow_up, e.prompt, e.asked_at)
                ex.answer, ex.grade, ex.answered_at = e.answer, e.grade, e.answered_at
                lines.append(Line(role="candidate", kind="answer", text=e.answer, at=e.at,
                                  stage_id=e.stage_id, question_id=e.question_id))
                prov = e.grade.provenance
                graders.add("@".join(x for x in (prov.grader, prov.model or "",
                                                 prov.prompt_version or "") if x))
            elif isinstance(e, Skipped):
                rec = records[e.plan_index]
                ex = _open_exchange(rec, e.follow_up, "", None)
                ex.skipped = True
                lines.append(Line(role="candidate", kind="skip", text="/skip", at=e.at,
                                  stage_id=e.stage_id, question_id=e.question_id))
            elif isinstance(e, CandidateSaid):
                lines.append(Line(role="candidate", kind=e.handled_as, text=e.text, at=e.at))
            elif isinstance(e, Ended):
                ended = e
        return cls(
            session_id=start.session_id, owner=start.owner, pack=start.config.pack,
            mode=start.config.mode, seed=start.seed, interviewer=start.interviewer,
            grader=start.grader, started_at=start.at,
            ended_at=ended.at if ended else None, end_reason=ended.reason if ended else None,
            stage_ids=[s.id for s in start.stages],
            stage_names={s.id: s.name for s in start.stages},
            questions=records, lines=lines, prompt_versions=sorted(prompts),
            grader_versions=sorted(graders),
        )


def _open_exchange(rec: QuestionRecord, follow_up: int, prompt: str,
                   asked_at: datetime | None) -> Exchange:
    """The exchange an answer or skip belongs to (created if its `asked` line was lost)."""
    unanswered = [x for x in rec.exchanges if x.answer is None and not x.skipped]
    if unanswered:
        return unanswered[-1]
    ex = Exchange(kind="follow_up" if follow_up else "question", prompt=prompt or rec.question,
                  asked_at=asked_at)
    rec.exchanges.append(ex)
    return ex
