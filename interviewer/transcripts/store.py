"""Append-only transcript storage: one JSONL file per session, fsync on every append.

Implements `interviewer.core.stores.TranscriptStore` (PostgreSQL is the other backend). A crash
can tear only the last line (no newline, or not valid JSON): loading skips it with a warning, and
every append first checks the file's end and cuts such a line off, so an event never glues onto
a fragment. Any other unreadable line is an error that names the file, the line and the problem.

Appends to one file are serialised by an exclusive `flock` held from the end check to the fsync,
so writers in different processes queue up; `compare_and_append` counts the events under that
lock, which makes "append only if nobody else has" atomic across processes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from pathlib import Path

from pydantic import BaseModel, ValidationError

from interviewer.core.errors import (
    InputError,
    NotFoundError,
    SessionMovedOnError,
    TranscriptCorruptError,
    TranscriptStoreError,
)
from interviewer.core.events import EVENT_ADAPTER, Answered, Ended, Event, SessionStarted
from interviewer.core.stores import SessionInfo, StoredSession, TranscriptStore

# Re-exported: these lived here before the contract moved to interviewer.core.stores.
__all__ = ["JsonlTranscriptStore", "SessionInfo", "StoredSession", "TranscriptCorruptError",
           "TranscriptStore", "TranscriptStoreError", "UnreadableSession", "check_id",
           "describe_invalid", "fsync_dir", "new_session_id", "session_info"]

_ID = re.compile(r"^[0-9a-f]{32}$")
log = logging.getLogger(__name__)


class UnreadableSession(BaseModel):
    """A stored session that `list` cannot show, and why (so it is reported, not dropped)."""

    session_id: str
    path: Path
    reason: str


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
        # warnings given per file version: `list` runs on every page load in the UI
        self._warned: set[tuple[str, int, int, str]] = set()

    def new_id(self) -> str:
        return new_session_id()

    def path(self, session_id: str) -> Path:
        return self.directory / f"{check_id(session_id)}.jsonl"

    def exists(self, session_id: str) -> bool:
        return self.path(session_id).is_file()

    def append(self, session_id: str, event: Event) -> None:
        self._append(session_id, event, expected=None)

    def compare_and_append(self, session_id: str, event: Event, expected: int) -> None:
        self._append(session_id, event, expected=expected)

    def _append(self, session_id: str, event: Event, *, expected: int | None) -> None:
        path = self.path(session_id)
        line = EVENT_ADAPTER.dump_json(event) + b"\n"
        starting = isinstance(event, SessionStarted)
        try:
            created = starting and not path.exists()
            if created:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            # only a start event creates the file: an event for a deleted session must not
            # bring back a transcript with no beginning
            flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if starting else 0)
            try:
                fd = os.open(path, flags, 0o600)
            except FileNotFoundError:
                raise _missing(session_id, expected) from None
            try:
                _lock(fd)
                if os.fstat(fd).st_nlink == 0:  # deleted while this writer waited for the lock
                    raise _missing(session_id, expected)
                # every time, not once per process: a crash of another process (or a hand
                # edit) may have torn the end since this one last wrote
                _end_on_a_whole_line(fd, path)
                if expected is not None:
                    found = _count_lines(fd)
                    if found != expected:
                        raise SessionMovedOnError(session_id, expected=expected, found=found)
                os.write(fd, line)
                os.fsync(fd)  # also makes a cut-off tail durable
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.directory)
        except OSError as e:
            raise TranscriptStoreError(f"cannot write transcript {path}: {e}") from e

    def delete(self, session_id: str) -> bool:
        """Unlink the session's file, under the append lock so no write is half-way through;
        a writer still waiting for the lock then finds it gone and is refused."""
        path = self.path(session_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as e:
            raise TranscriptStoreError(f"cannot delete transcript {path}: {e}") from e
        try:
            _lock(fd)
            path.unlink()
        except FileNotFoundError:
            return False  # another deletion got there first
        except OSError as e:
            raise TranscriptStoreError(f"cannot delete transcript {path}: {e}") from e
        finally:
            os.close(fd)
        fsync_dir(self.directory)  # the unlink durable, like the appends
        return True

    def find_sessions(self, owner: str | None = None) -> list[StoredSession]:
        """Every session file whose first line is a start event (of `owner`), read from that
        line alone: a transcript damaged further down is still found (and can be deleted)."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.jsonl")):
            if not _ID.match(path.stem):
                continue  # not a session file
            start = _first_event(path)
            if start is None:
                continue
            found = start.get("owner")
            found_owner = found if isinstance(found, str) else None
            if owner is None or found_owner == owner:
                out.append(StoredSession(session_id=path.stem, owner=found_owner, files=[path]))
        return out

    def load(self, session_id: str) -> list[Event]:
        path = self.path(session_id)
        if not path.is_file():
            raise NotFoundError(f"no transcript for session {session_id!r}")
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise TranscriptStoreError(f"cannot read transcript {path}: {e}") from e
        lines = raw.split(b"\n")
        numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
        events: list[Event] = []
        for i, (n, line) in enumerate(numbered):
            try:
                events.append(EVENT_ADAPTER.validate_json(line))
            except ValidationError as e:
                if i == len(numbered) - 1 and _torn(line, newline=n < len(lines)):
                    # a crash mid-write: the event was never acknowledged, the rest stands
                    self._warn_once(path, f"{path}: skipped line {n}, a partial event left by "
                                          f"an interrupted write ({describe_invalid(e)})")
                    break
                raise TranscriptCorruptError(str(path), f"line {n}", describe_invalid(e)) from e
        if not events or not isinstance(events[0], SessionStarted):
            raise TranscriptStoreError(f"{path}: does not start with a session_started event")
        return events

    def unreadable(self) -> list[UnreadableSession]:
        """Stored sessions `list` leaves out because they cannot be read, with the reason."""
        return self._scan()[1]

    def _scan(self) -> tuple[list[SessionInfo], list[UnreadableSession]]:
        infos: list[SessionInfo] = []
        bad: list[UnreadableSession] = []
        if not self.directory.is_dir():
            return infos, bad
        for path in sorted(self.directory.glob("*.jsonl")):
            if not _ID.match(path.stem):
                continue  # not a session file
            try:
                infos.append(session_info(self.load(path.stem)))
            except NotFoundError:
                continue  # deleted since the directory was read
            except TranscriptStoreError as e:
                bad.append(UnreadableSession(session_id=path.stem, path=path, reason=str(e)))
        return infos, bad

    # last: below this, `list` in an annotation would name the method, not the type
    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """Readable sessions, newest first; each unreadable one is logged as a warning (see
        `unreadable`), since a session that silently disappears looks like lost data."""
        infos, bad = self._scan()
        for u in bad:
            self._warn_once(u.path, f"transcript {u.session_id} is unreadable and not listed: "
                                    f"{u.reason}")
        out = [i for i in infos if owner is None or i.owner == owner]
        return sorted(out, key=lambda i: i.updated_at, reverse=True)

    def _warn_once(self, path: Path, message: str) -> None:
        try:
            st = path.stat()
            key = (str(path), st.st_size, st.st_mtime_ns, message)
        except OSError:
            key = (str(path), -1, -1, message)
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", message)


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


def describe_invalid(e: ValidationError) -> str:
    """What is wrong with a stored event, in plain words (no pydantic type names or URLs)."""
    parts = []
    for err in e.errors(include_url=False)[:3]:
        kind, loc, msg = err["type"], err["loc"], err["msg"]
        if kind == "json_invalid":
            detail = msg.removeprefix("Invalid JSON: ").replace("at line 1 column", "at column")
            parts.append(f"not valid JSON ({detail})")
        elif kind == "union_tag_not_found":
            parts.append("not an event (it has no type)")
        elif kind == "union_tag_invalid":
            parts.append(f"unknown event type {err.get('ctx', {}).get('tag', '?')!r}")
        elif kind in ("dict_type", "model_type", "model_attributes_type") and not loc:
            parts.append("not an event (a JSON object was expected)")
        else:
            event, field = (str(loc[0]), ".".join(str(x) for x in loc[1:])) if loc else ("", "")
            what = f"field {field!r} is missing" if kind == "missing" else (
                f"field {field!r}: {msg[0].lower()}{msg[1:]}" if field else msg)
            parts.append(f"{event} event: {what}" if event else what)
    more = e.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _torn(line: bytes, *, newline: bool) -> bool:
    """Whether a last line that is not a valid event is what a crash mid-write leaves: it lost
    its newline, or it is not even JSON (a whole line is a JSON object with no gap in it)."""
    if not newline:
        return True
    try:
        json.loads(line)
    except ValueError:
        return True
    return False


def _is_event(line: bytes) -> bool:
    try:
        EVENT_ADAPTER.validate_json(line)
    except ValidationError:
        return False
    return True


def _missing(session_id: str, expected: int | None) -> Exception:
    """The error for an event whose session has no file: deleted (a writer that has seen its
    events) or never started."""
    if expected:
        return NotFoundError(f"no transcript for session {session_id!r} (it was deleted)")
    return TranscriptStoreError(f"session {session_id} was never started (or was deleted): its "
                                "first event must be session_started")


def _first_event(path: Path) -> dict[str, object] | None:
    """The decoded first line of a session file when it is a start event, else None."""
    try:
        with path.open("rb") as f:
            data = json.loads(f.readline())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("type") == "session_started" else None


def _count_lines(fd: int) -> int:
    """Non-blank lines in the file: its events, once the end is on a whole line (blank lines
    are skipped by `load` too)."""
    size = os.fstat(fd).st_size
    count, offset, chunk, tail = 0, 0, 1 << 20, b""
    while offset < size:
        read = os.pread(fd, min(chunk, size - offset), offset)
        if not read:
            break
        offset += len(read)
        lines = (tail + read).split(b"\n")
        tail = lines.pop()
        count += sum(1 for line in lines if line.strip())
    return count + (1 if tail.strip() else 0)


def _lock(fd: int) -> None:
    """Serialise the appends to one file (another tab's session, another process) until `fd` is
    closed: checking the end and writing must not interleave with a write in progress."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _last_line(fd: int, size: int) -> tuple[int, bytes, bool]:
    """Offset and bytes of the last non-blank line and whether a newline follows it, reading
    back from the end only as far as needed (a transcript can be long; its last event rarely
    is)."""
    chunk = 8192
    while True:
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        body = data.rstrip()
        nl = body.rfind(b"\n")
        if nl >= 0 or start == 0:
            return start + nl + 1, body[nl + 1:], b"\n" in data[len(body):]
        chunk *= 4


def _end_on_a_whole_line(fd: int, path: Path) -> None:
    """Before an append: a torn last line (see `_torn`) is cut off and a whole event that only
    lost its newline gets it back, so the next event starts a line of its own and never turns
    a skippable tail into a corrupt middle line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    start, line, newline = _last_line(fd, size)
    if line and _torn(line, newline=newline) and not _is_event(line):
        log.warning("%s: cut off a partial last event (%d bytes) left by an interrupted write",
                    path, size - start)
        os.ftruncate(fd, start)
    elif not newline:
        os.write(fd, b"\n")  # O_APPEND: at the end


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
