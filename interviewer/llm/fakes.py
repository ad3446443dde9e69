"""Chat models that never touch a network: scripted replies for tests and offline evals.

`ScriptedChatModel` plays back a list of replies and records every call (messages, keyword
arguments and the typed `CallInfo`: what the call is for) and every completion it returned, so a
test can assert on what the code sent, what the model answered, and what the code did with it.
A fake that must know the task or the question reads `info`, never the prompt's prose.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interviewer.core.errors import ModelError
from interviewer.llm import CallInfo, Completion, Message

Reply = str | Exception | Completion


class RecordedCall(BaseModel):
    """One call a fake model received."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    method: Literal["complete", "stream"]
    messages: list[Message]
    kwargs: dict[str, Any] = Field(default_factory=dict)
    info: CallInfo | None = None  # the task, prompt and question the caller said it is for

    @property
    def text(self) -> str:
        """Every message's content, joined: handy for `in` checks."""
        return "\n".join(m.content for m in self.messages)


class ScriptedChatModel:
    """Replies in order: a string (finish_reason "stop"), a Completion as given, or an exception
    (raised by `complete`, or when a stream is first read). Running out of replies raises
    ModelError, like a dead endpoint; `repeat_last` replays the last reply instead."""

    def __init__(
        self, replies: list[Reply] | None = None, *, model_name: str = "scripted",
        chunk_size: int = 4, repeat_last: bool = False,
    ) -> None:
        self.model_name = model_name
        self.replies: list[Reply] = list(replies or [])
        self.calls: list[RecordedCall] = []
        self.completions: list[Completion] = []  # what `complete` returned, in order
        self.chunk_size = max(1, chunk_size)
        self.repeat_last = repeat_last
        self._last: Reply | None = None

    def add(self, *replies: Reply) -> ScriptedChatModel:
        self.replies.extend(replies)
        return self

    @property
    def last_call(self) -> RecordedCall:
        if not self.calls:
            raise AssertionError("the scripted model was never called")
        return self.calls[-1]

    def _next(self) -> Reply:
        if self.replies:
            self._last = self.replies.pop(0)
            return self._last
        if self.repeat_last and self._last is not None:
            return self._last
        raise ModelError(f"scripted model {self.model_name!r} has no more replies")

    def _completion(self, reply: Reply) -> Completion:
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, Completion):
            return reply.model_copy(update={"model": reply.model or self.model_name})
        return Completion(text=reply, finish_reason="stop", model=self.model_name)

    def complete(
        self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0, max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Completion:
        self.calls.append(RecordedCall(
            method="complete", messages=list(messages),
            kwargs={"json_schema": json_schema, "temperature": temperature,
                    "max_tokens": max_tokens},
            info=info,
        ))
        completion = self._completion(self._next())
        self.completions.append(completion)
        return completion

    def stream(
        self, messages: list[Message], *, temperature: float = 0.7,
        max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Iterator[str]:
        self.calls.append(RecordedCall(
            method="stream", messages=list(messages),
            kwargs={"temperature": temperature, "max_tokens": max_tokens},
            info=info,
        ))
        reply = self._next()
        return self._chunks(reply)

    def _chunks(self, reply: Reply) -> Iterator[str]:
        """Like a real stream, a failure surfaces when the caller starts reading."""
        text = self._completion(reply).text
        for i in range(0, len(text), self.chunk_size):
            yield text[i:i + self.chunk_size]


class EchoChatModel(ScriptedChatModel):
    """Answers with the last user message: a stand-in that is always available (`--model stub`)."""

    def __init__(self, *, model_name: str = "echo", chunk_size: int = 4) -> None:
        super().__init__(model_name=model_name, chunk_size=chunk_size)

    def _next(self) -> Reply:
        last_user = next(
            (m.content for m in reversed(self.calls[-1].messages) if m.role == "user"), ""
        )
        return last_user
