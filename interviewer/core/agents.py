"""Interviewer and grader names: the one typed home for "offline", "llm", "llm:<model>" and
"reference", so code compares constants and parses names in one place.

Names are stored as plain strings (events, provenance, eval records) and keep their format, so old
transcripts load unchanged: an interviewer is "offline" or "llm:<model>", a grader "reference" or
"llm". Which factory builds which kind: `interviewer/app/agents.py` (interviewers) and
`interviewer/grading/factory.py` (graders).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import BaseModel, ConfigDict

OFFLINE: Final = "offline"  # the written offline interviewer
LLM: Final = "llm"  # the LLM interviewer ("llm:<model>") or the LLM rubric grader
REFERENCE: Final = "reference"  # the offline reference grader
AUTO: Final = "auto"  # a grader choice: the LLM grader when a model is configured

InterviewerKind = Literal["offline", "llm"]
GraderKind = Literal["reference", "llm"]
GraderChoice = Literal["auto", "reference", "llm"]
GRADER_KINDS: tuple[GraderKind, ...] = get_args(GraderKind)
GRADER_CHOICES: tuple[GraderChoice, ...] = get_args(GraderChoice)


class AgentName(BaseModel):
    """A parsed name: its kind and, for a model-backed agent, the model ("llm:qwen2.5")."""

    model_config = ConfigDict(frozen=True)
    kind: str
    model: str | None = None

    @classmethod
    def parse(cls, name: str) -> AgentName:
        kind, sep, model = name.partition(":")
        return cls(kind=kind, model=model if sep else None)

    def __str__(self) -> str:
        return self.kind if self.model is None else f"{self.kind}:{self.model}"

    @property
    def offline(self) -> bool:
        return self.kind == OFFLINE


def llm_interviewer_name(model: str) -> str:
    """What the LLM interviewer is called in transcripts: "llm:<model>"."""
    return str(AgentName(kind=LLM, model=model))


def is_offline(name: str | None) -> bool:
    """An interviewer name of the offline interviewer (a missing name is an old transcript's)."""
    return name is None or AgentName.parse(name).offline
