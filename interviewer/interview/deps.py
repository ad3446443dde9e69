"""What a session needs from the application, as a protocol: the session sits below `app/`, so it
names the parts it uses instead of importing `app.services.Services` (which fits this shape)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from interviewer.core.grade import Grader
    from interviewer.core.pack import Pack
    from interviewer.core.settings import Settings
    from interviewer.core.stores import TranscriptStore
    from interviewer.interview.llm_interviewer import Interviewer


class SessionServices(Protocol):
    settings: Settings
    grader: Grader
    interviewer: Interviewer
    store: TranscriptStore

    def pack(self, name: str) -> Pack:
        """The pack by name (loaded once)."""
        ...

    @property
    def max_answer_chars(self) -> int: ...
