"""The interview session: a UI-independent state machine over a stage plan.

Usage (terminal, Chainlit, tests all do the same):

    services = build_services(settings)                 # interviewer.services
    session = InterviewSession.create(services, SessionConfig(pack="kraken-ml-engineer",
                                      stage="technical", mode="practice", questions=3, seed=7))
    for reply in session.start(): show(reply)            # opening + first question
    for reply in session.send(user_text): show(reply)    # an answer or a /command
    ...until session.finished; the last reply has kind "summary" with `reply.summary` set.

    # streaming (LLM tokens): the same calls with `stream_` yield TextDelta / ReplyDone events
    for event in session.stream_send(user_text): ...

    session = InterviewSession.resume(services, session_id)   # after a crash or a reload
    for reply in session.resume_replies(): show(reply)         # "welcome back" + current question

Every answered turn is appended to the transcript store (fsync) before any reply is returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .models import InterviewerReply, ReplyDone, SessionConfig, SessionStatus, StreamEvent

if TYPE_CHECKING:
    from ..services import Services
    from ..transcripts.model import Transcript
    from ..transcripts.summary import SessionSummary

COMMANDS = {
    "/hint": "a nudge in the right direction (never the answer)",
    "/skip": "skip this question",
    "/repeat": "repeat the current question",
    "/end": "end the interview now and see the summary",
    "/clarify": "ask a clarifying question (e.g. `/clarify do you mean online learning?`)",
    "/help": "this list",
}


class InterviewSession:
    """One candidate's interview. Not thread-safe: one session per chat."""

    session_id: str
    config: SessionConfig

    @classmethod
    def create(cls, services: Services, config: SessionConfig) -> InterviewSession:
        """Plan the questions (seeded), record the start event, return the session (not started)."""
        raise NotImplementedError

    @classmethod
    def resume(cls, services: Services, session_id: str) -> InterviewSession:
        """Rebuild a session from its transcript (a torn last line is ignored)."""
        raise NotImplementedError

    # --- the conversation ---------------------------------------------------------------------

    def start(self) -> list[InterviewerReply]:
        """The opening in the first stage's persona and the first question."""
        return _collect(self.stream_start())

    def send(self, text: str) -> list[InterviewerReply]:
        """Candidate input: a `/command`, a clarifying question, a derail attempt or an answer."""
        return _collect(self.stream_send(text))

    def answer(self, text: str) -> list[InterviewerReply]:
        """Grade `text` as the answer to the current question (no command parsing)."""
        raise NotImplementedError

    def hint(self) -> list[InterviewerReply]:
        raise NotImplementedError

    def skip(self) -> list[InterviewerReply]:
        raise NotImplementedError

    def repeat(self) -> list[InterviewerReply]:
        raise NotImplementedError

    def end(self) -> list[InterviewerReply]:
        """End early: closing + summary; answered turns stay graded."""
        raise NotImplementedError

    def resume_replies(self) -> list[InterviewerReply]:
        """What to show after `resume`: a notice and the question that is waiting for an answer."""
        raise NotImplementedError

    # --- streaming variants ---------------------------------------------------------------------

    def stream_start(self) -> Iterator[StreamEvent]:
        raise NotImplementedError

    def stream_send(self, text: str) -> Iterator[StreamEvent]:
        """Like `send`, yielding text deltas as the interviewer produces them."""
        raise NotImplementedError

    # --- state ----------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        raise NotImplementedError

    def status(self) -> SessionStatus:
        raise NotImplementedError

    def transcript(self) -> Transcript:
        raise NotImplementedError

    def summary(self) -> SessionSummary:
        raise NotImplementedError


def _collect(events: Iterator[StreamEvent]) -> list[InterviewerReply]:
    return [e.reply for e in events if isinstance(e, ReplyDone)]
