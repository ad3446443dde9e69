"""The small model interface the core talks to, and the factory that picks a model.

Code receives a `ChatModel`; nothing is created at import. The OpenAI-compatible implementation
lives in `llm_openai.py`; scripted fakes for tests and offline evals live in `llm_fakes.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from interviewer.core.settings import Settings

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    role: Role
    content: str


class Completion(BaseModel):
    text: str
    finish_reason: str | None = None  # "stop", "length", ...
    model: str | None = None


class CallInfo(BaseModel):
    """What a model call is for, typed: passed next to the messages so logs and fakes read it
    instead of parsing the prompt's prose. Never sent to the endpoint."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    task: str  # e.g. "opening", "follow_up", "grade", "grade_retry", "enrich", "exemplars"
    prompt: str | None = None  # the prompt's name
    prompt_version: str | None = None  # as recorded in the transcript ("name@version[+...]")
    question_id: str | None = None
    stage_id: str | None = None


class ChatModel(Protocol):
    """An OpenAI-compatible chat model, real or fake."""

    model_name: str

    def complete(
        self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0, max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Completion:
        """One reply. With `json_schema`, ask for JSON (schema, JSON mode or plain text)."""
        ...

    def stream(
        self, messages: list[Message], *, temperature: float = 0.7,
        max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Iterator[str]:
        """The reply token by token."""
        ...


def make_chat_model(settings: Settings, role: Literal["interviewer", "grader"]) -> ChatModel | None:
    """The configured model for a role, or None when running offline."""
    if not settings.llm_configured:
        return None
    from interviewer.llm.openai_compat import OpenAIChatModel

    return OpenAIChatModel.from_settings(settings, role)
