"""The events a session appends to its transcript. Replaying them rebuilds the session.

Each event is one JSON line. The start event snapshots the planned questions (text, example
answer, key points), so a transcript stays readable and exportable when the pack changes later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from interviewer.core.agents import OFFLINE
from interviewer.core.grade import Grade
from interviewer.core.session import PlanItem, ReplyKind, SessionConfig

SCHEMA_VERSION = 1


def now() -> datetime:
    return datetime.now(UTC)


class QuestionSnapshot(BaseModel):
    id: str
    topic: str
    kind: str
    difficulty: str
    question: str
    example_answer: str
    key_points: list[str]
    provenance: str


class StageSnapshot(BaseModel):
    id: str
    name: str
    persona: str = ""


class _Event(BaseModel):
    at: datetime = Field(default_factory=now)


class SessionStarted(_Event):
    type: Literal["session_started"] = "session_started"
    schema_version: int = SCHEMA_VERSION
    session_id: str
    owner: str | None = None
    config: SessionConfig
    seed: int  # the seed actually used (drawn when the config had none)
    plan: list[PlanItem]
    stages: list[StageSnapshot]
    questions: list[QuestionSnapshot]
    pack_sha256: str | None = None
    interviewer: str  # an agent name (core/agents.py): "offline" or "llm:<model>"
    grader: str
    app_version: str | None = None


class Said(_Event):
    """Something the interviewer said that is not a question (opening, hint, feedback, ...)."""

    type: Literal["said"] = "said"
    kind: ReplyKind
    text: str
    stage_id: str | None = None
    question_id: str | None = None
    interviewer: str = OFFLINE
    prompt_version: str | None = None
    fallback: bool = False


class Asked(_Event):
    """A question or follow-up now waits for an answer."""

    type: Literal["asked"] = "asked"
    kind: Literal["question", "follow_up"]
    plan_index: int
    stage_id: str
    question_id: str
    follow_up: int = 0  # 0 = the planned question, n = the n-th follow-up
    text: str
    interviewer: str = OFFLINE
    prompt_version: str | None = None
    fallback: bool = False


class CandidateSaid(_Event):
    """Candidate input that was not graded (a command, a clarifying question, a derail)."""

    type: Literal["candidate"] = "candidate"
    handled_as: Literal["hint", "repeat", "clarify", "derail", "help", "empty", "too_long",
                        "unknown_command"]
    text: str
    plan_index: int | None = None


class Answered(_Event):
    """A graded answer. Written (fsync) before the interviewer replies."""

    type: Literal["answered"] = "answered"
    plan_index: int
    stage_id: str
    question_id: str
    follow_up: int
    prompt: str  # what was asked, as shown
    answer: str
    graded_text: str  # what the grader saw (the question's answers so far, joined)
    grade: Grade
    asked_at: datetime | None = None
    answered_at: datetime
    interviewer: str = OFFLINE
    interviewer_prompt_version: str | None = None


class Skipped(_Event):
    type: Literal["skipped"] = "skipped"
    plan_index: int
    stage_id: str
    question_id: str
    follow_up: int = 0


class Ended(_Event):
    type: Literal["ended"] = "ended"
    reason: Literal["completed", "ended_early"]


Event = Annotated[
    SessionStarted | Said | Asked | CandidateSaid | Answered | Skipped | Ended,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
