"""Append-only transcript storage: one JSONL file per session, fsync on every append.

Behind the small `TranscriptStore` protocol so a PostgreSQL store can replace it later. A crash
can tear only the last line; loading ignores it, and reopening for append cuts it off first so
the next event starts on a clean line.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from ..errors import InputError, InterviewerError, NotFoundError
from .events import EVENT_ADAPTER, Answered, Ended, Event, SessionStarted

_ID = re.compile(r"^[0-9a-f]{32}$")


class TranscriptStoreError(InterviewerError):
    """A transcript cannot be written or read."""


class SessionInfo(BaseModel):
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


class TranscriptStore(Protocol):
    def new_id(self) -> str: ...

    def append(self, session_id: str, event: Event) -> None:
        """Durably record one event; returns only once it is on disk."""
        ...

    def load(self, session_id: str) -> list[Event]: ...

    def exists(self, session_id: str) -> bool: ...

    def list(self, owner: str | None = None) -> list[SessionInfo]: ...


def new_session_id() -> str:
    return uuid.uuid4().hex


def check_id(session_id: str) -> str:
    """Session ids are uuid hex; anything else (e.g. a path) is refused."""
    sid = session_id.strip().lower().replace("-", "")
    if not _ID.match(sid):
        raise InputError(f"not a session id: {session_id!r}")
    return sid


class JsonlTranscriptStore:
    """Files `<dir>/<session_id>.jsonl`, mode 0600, in a 0700 directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._repaired: set[str] = set()

    def new_id(self) -> str:
        return new_session_id()

    def path(self, session_id: str) -> Path:
        return self.directory / f"{check_id(session_id)}.jsonl"

    def exists(self, session_id: str) -> bool:
        return self.path(session_id).is_file()

    def append(self, session_id: str, event: Event) -> None:
        path = self.path(session_id)
        line = EVENT_ADAPTER.dump_json(event) + b"\n"
        try:
            created = not path.exists()
            if created:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            elif session_id not in self._repaired:
                _cut_torn_tail(path)
            self._repaired.add(session_id)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.directory)
        except OSError as e:
            raise TranscriptStoreError(f"cannot write transcript {path}: {e}") from e

    def load(self, session_id: str) -> list[Event]:
        path = self.path(session_id)
        if not path.is_file():
            raise NotFoundError(f"no transcript for session {session_id!r}")
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise TranscriptStoreError(f"cannot read transcript {path}: {e}") from e
        lines = raw.split(b"\n")
        torn_tail = not raw.endswith(b"\n")
        events: list[Event] = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                events.append(EVENT_ADAPTER.validate_json(line))
            except ValidationError as e:
                if torn_tail and n == len(lines):
                    break  # a crash mid-write: the event was never acknowledged
                raise TranscriptStoreError(f"{path}: line {n} is corrupt: {e}") from e
        if not events or not isinstance(events[0], SessionStarted):
            raise TranscriptStoreError(f"{path}: does not start with a session_started event")
        return events

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in self.directory.glob("*.jsonl"):
            try:
                events = self.load(path.stem)
            except (TranscriptStoreError, InputError):
                continue
            info = session_info(events)
            if owner is None or info.owner == owner:
                out.append(info)
        return sorted(out, key=lambda i: i.updated_at, reverse=True)


def session_info(events: list[Event]) -> SessionInfo:
    start = events[0]
    assert isinstance(start, SessionStarted)
    answered = {(e.plan_index) for e in events if isinstance(e, Answered)}
    return SessionInfo(
        session_id=start.session_id, owner=start.owner, pack=start.config.pack,
        stages=[s.id for s in start.stages], mode=start.config.mode, started_at=start.at,
        updated_at=events[-1].at, answered=len(answered), planned=len(start.plan),
        finished=any(isinstance(e, Ended) for e in events),
    )


def _cut_torn_tail(path: Path) -> None:
    """Drop a partial last line left by a crash so the next append starts a clean line."""
    with open(path, "rb+") as f:
        data = f.read()
        if not data or data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        tail = data[keep:]
        try:
            json.loads(tail)
            f.write(b"\n")  # a complete event that only lost its newline
        except ValueError:
            f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(directory: Path) -> None:
    """Make creations and unlinks in `directory` durable (best effort where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
