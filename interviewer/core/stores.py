"""The transcript store contract: what sessions, the UI, the CLI and privacy requests may ask of
wherever transcripts live (JSONL files, PostgreSQL). Upper layers depend on this protocol, never
on a backend's files or tables.

The contract (tests/test_store_contract.py runs it against every backend):
- append-only and durable before acknowledged; a crash loses at most the unacknowledged event;
- `compare_and_append` writes only if the transcript still holds exactly the events the writer
  has seen, atomically across threads and processes: of two writers racing from the same point,
  exactly one wins and the other gets `SessionMovedOnError` (nothing of its event is written);
- `list(owner)` shows one owner's readable sessions; `find_sessions(owner)` finds every stored
  session by the owner its start event names, readable or not (what a deletion request goes by);
- `delete(session_id)` removes a session for good; an append to it afterwards is refused.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from interviewer.core.events import Event


class SessionInfo(BaseModel):
    """What a session list shows about one readable session."""

    session_id: str
    owner: str | None
    pack: str
    stages: list[str]
    mode: str
    started_at: datetime
    updated_at: datetime
    answered: int
    planned: int
    finished: bool


class StoredSession(BaseModel):
    """A stored session as a privacy request sees it: whose it is and which local files hold it
    (a transcript file; none for a database row), found even when its later events are damaged."""

    session_id: str
    owner: str | None
    files: list[Path] = Field(default_factory=list)


@runtime_checkable
class TranscriptStore(Protocol):
    def new_id(self) -> str: ...

    def append(self, session_id: str, event: Event) -> None:
        """Durably record one event; returns only once it is stored. The first event of a
        session must be its `session_started`; any other event for an unknown (or deleted)
        session is refused."""
        ...

    def compare_and_append(self, session_id: str, event: Event, expected: int) -> None:
        """Like `append`, but only if the transcript holds exactly `expected` events (the ones the
        writer has seen). Otherwise nothing is written and `SessionMovedOnError` is raised;
        `NotFoundError` when the session no longer exists."""
        ...

    def load(self, session_id: str) -> list[Event]: ...

    def exists(self, session_id: str) -> bool: ...

    def delete(self, session_id: str) -> bool:
        """Remove the session and every event of it; True if there was one. Idempotent."""
        ...

    def find_sessions(self, owner: str | None = None) -> list[StoredSession]:
        """Every stored session (of `owner`, or all), readable or not."""
        ...

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """Readable sessions (of `owner`, or all), most recently active first."""
        ...
