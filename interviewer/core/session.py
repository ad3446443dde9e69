"""The typed values an interview session takes and returns.

The session is UI-independent: the terminal and the Chainlit app both render these replies. A
streaming call yields `TextDelta`s and then one `ReplyDone` per reply; `ReplyDone.reply.text` is
authoritative (the guard may replace streamed LLM text with the offline text), so a UI should
replace the streamed content with it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from interviewer.core.agents import OFFLINE
from interviewer.core.grade import Grade
from interviewer.core.pack import Difficulty
from interviewer.core.summary import SessionSummary

Mode = Literal["practice", "interview"]
# standard: drawn from the pack (weighted by the guide's topic table); weak: from the candidate's
# history, weakest first (interview/weak_plan.py)
PlanKind = Literal["standard", "weak"]
ReplyKind = Literal[
    "opening",        # the interviewer introduces themself in the stage's persona
    "question",       # one planned question (lead-in + the pack's question, verbatim)
    "follow_up",      # a probe after an answer with a gap
    "hint",           # points in a direction; never the example answer or key points
    "clarification",  # an in-role answer to a clarifying question (LLM only)
    "feedback",       # practice mode: grade, covered/missed, example answer
    "transition",     # closes one stage and hands over to the next (full loop)
    "closing",        # the interviewer wraps up
    "summary",        # the end: the score card (`summary` is set)
    "notice",         # input refused or a command's answer (empty, too long, unknown /command)
]

DEFAULT_MAX_ANSWER_CHARS = 20_000


class SessionConfig(BaseModel):
    """How a session is set up; stored in its transcript so a resume rebuilds the same plan."""

    pack: str
    stage: str | None = None  # stage id (or alias); None = the full loop, all stages in order
    mode: Mode = "practice"
    questions: int = Field(default=3, ge=1, le=50)  # per stage
    difficulty: Difficulty | None = None  # prefer questions of this difficulty
    seed: int | None = None  # None: a random seed is drawn and recorded
    max_follow_ups: int = Field(default=1, ge=0, le=3)  # per question
    follow_up_below: float = Field(default=4.0, ge=1, le=5)  # grade under this -> a follow-up
    # also follow up when more than this share of key points is missed, whatever the score
    # (a lenient grader can score an answer high that misses most points); None: off
    follow_up_missed_share: float | None = Field(default=None, ge=0, le=1)
    max_answer_chars: int = Field(default=DEFAULT_MAX_ANSWER_CHARS, ge=100)
    # messages per minute (a token bucket, bursts up to this many); None or 0: no limit. The
    # app's edges pass `settings.max_messages_per_minute`; scripted drivers (evals) leave it off.
    max_messages_per_minute: int | None = Field(default=None, ge=0)
    owner: str | None = None  # user id, so a multi-user UI keeps transcripts apart
    plan: PlanKind = "standard"

    @property
    def full_loop(self) -> bool:
        return self.stage is None


class PlanItem(BaseModel):
    stage_id: str
    question_id: str
    reason: str | None = None  # why a weak-spot plan chose it, shown when it is asked


class InterviewerReply(BaseModel):
    """One message from the interviewer (or the app) to the candidate."""

    kind: ReplyKind
    text: str
    stage_id: str | None = None
    question_id: str | None = None
    grade: Grade | None = None  # feedback replies (practice mode)
    example_answer: str | None = None  # feedback replies (practice mode)
    summary: SessionSummary | None = None  # the summary reply
    interviewer: str = OFFLINE  # an agent name (core/agents.py), so the UI can label it
    # the offline text stands in: the LLM's text failed the guard, or (a derail) was never asked for
    fallback: bool = False
    kept_text: str | None = None  # a refused answer, returned so nothing is lost
    repeated: bool = False  # the open question shown again (/repeat), not a new one
    reason: str | None = None  # a question of a weak-spot plan: why it was chosen


class TextDelta(BaseModel):
    """A streamed piece of the reply being produced (index = its position in this call)."""

    type: Literal["delta"] = "delta"
    index: int
    text: str


class ReplyDone(BaseModel):
    type: Literal["done"] = "done"
    index: int
    reply: InterviewerReply


StreamEvent = TextDelta | ReplyDone


class SessionStatus(BaseModel):
    """Where a session is, for a UI's progress bar."""

    session_id: str
    stage_id: str | None
    stage_name: str | None
    question_number: int  # 1-based position in the plan of the current question (0 before start)
    total_questions: int
    answered: int
    finished: bool
    mode: Mode
    interviewer: str
