"""Transcripts in PostgreSQL: the same append-only contract as the JSONL files, shared by every
app instance that points at the same database (a session started on one resumes on another).

One row per event, numbered per session, plus one row per session with what `list` shows. An
append is one transaction: it locks the session row, inserts the next event and updates the
session row, so a crash or a lost connection leaves either the whole event or nothing (no torn
writes), and two instances appending to one session queue up instead of interleaving. A
compare-and-append reads the session's event count under that row lock and writes only if it is
still the count the writer has seen (the primary key on (session_id, seq) backs this up), so of
two instances racing from the same point exactly one wins. Deleting a session deletes its row,
and its events with it (ON DELETE CASCADE). When the
connection drops during an append, the store reconnects and looks at the session's last event
before trying again, so an event whose commit succeeded but whose acknowledgement was lost is
not written twice (exactly once per turn).

Event bodies are stored as the same JSON text the file store writes (a `text` column: `jsonb`
would reject the `\\u0000` a pasted answer may carry).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from interviewer.core.errors import (
    NotFoundError,
    SessionMovedOnError,
    TranscriptCorruptError,
    TranscriptStoreError,
)
from interviewer.core.events import EVENT_ADAPTER, Answered, Ended, Event, SessionStarted
from interviewer.core.stores import SessionInfo, StoredSession
from interviewer.transcripts.store import check_id, describe_invalid, new_session_id

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

SCHEMA_VERSION = 1
# Serialises schema creation when several instances start at once (any constant works).
_SCHEMA_LOCK = 0x1E7E_5710

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS interviewer_sessions (
        session_id text PRIMARY KEY,
        owner text,
        pack text NOT NULL,
        stages text[] NOT NULL,
        mode text NOT NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        planned integer NOT NULL,
        answered integer NOT NULL DEFAULT 0,
        finished boolean NOT NULL DEFAULT false,
        events integer NOT NULL DEFAULT 0
    )""",
    """CREATE INDEX IF NOT EXISTS interviewer_sessions_owner
        ON interviewer_sessions (owner, updated_at DESC)""",
    """CREATE TABLE IF NOT EXISTS interviewer_events (
        session_id text NOT NULL REFERENCES interviewer_sessions ON DELETE CASCADE,
        seq integer NOT NULL,
        type text NOT NULL,
        plan_index integer,
        at timestamptz NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (session_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS interviewer_schema (
        version integer PRIMARY KEY
    )""",
]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class PostgresTranscriptStore:
    """`TranscriptStore` on PostgreSQL. One connection per store, used by one thread at a time
    (the UI calls the store from worker threads); it is reopened after a failure."""

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        self._url = url
        self._connect_timeout = connect_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        self._schema_ready = False

    # --- connection -----------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self.close()
        try:
            conn = psycopg.connect(self._url, autocommit=True,
                                   connect_timeout=self._connect_timeout)
            conn.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as e:
            raise TranscriptStoreError(f"cannot connect to the transcript database: {e}") from e
        self._conn = conn
        if not self._schema_ready:
            self._create_schema(conn)
            self._schema_ready = True
        return conn

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        import psycopg

        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO interviewer_schema (version) VALUES (%s) "
                             "ON CONFLICT DO NOTHING", (SCHEMA_VERSION,))
                row = conn.execute("SELECT max(version) FROM interviewer_schema").fetchone()
        except psycopg.Error as e:
            raise TranscriptStoreError(f"cannot create the transcript tables: {e}") from e
        if row and row[0] > SCHEMA_VERSION:
            raise TranscriptStoreError(
                f"the transcript database has schema {row[0]}; this version reads "
                f"{SCHEMA_VERSION} (upgrade the app)")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _run(self, what: str, op: Callable[[psycopg.Connection[Any]], T], *,
             retry: bool = True) -> T:
        """Run `op` on the connection; a dropped connection is reopened and `op` tried once
        more when `retry` (reads and the de-duplicating append are safe to repeat)."""
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                conn = self._connect()
                try:
                    return op(conn)
                except psycopg.OperationalError as e:
                    self.close()
                    if attempt == 2 or not retry:
                        raise TranscriptStoreError(f"cannot {what}: {e}") from e
                except psycopg.Error as e:
                    raise TranscriptStoreError(f"cannot {what}: {e}") from e
        raise AssertionError("unreachable")

    # --- the TranscriptStore protocol ---------------------------------------------------------

    def new_id(self) -> str:
        return new_session_id()

    def exists(self, session_id: str) -> bool:
        sid = check_id(session_id)
        row = self._run("read the session list", lambda c: c.execute(
            "SELECT 1 FROM interviewer_sessions WHERE session_id = %s", (sid,)).fetchone())
        return row is not None

    def append(self, session_id: str, event: Event) -> None:
        """Durably record one event: returns once its transaction has committed."""
        self._append(session_id, event, expected=None)

    def compare_and_append(self, session_id: str, event: Event, expected: int) -> None:
        """`append` if the session still holds exactly `expected` events, checked under the
        session row's lock in the same transaction as the insert."""
        self._append(session_id, event, expected=expected)

    def _append(self, session_id: str, event: Event, *, expected: int | None) -> None:
        sid = check_id(session_id)
        body = EVENT_ADAPTER.dump_json(event).decode("utf-8")
        tries = {"n": 0}

        def op(conn: psycopg.Connection[Any]) -> None:
            tries["n"] += 1
            if tries["n"] > 1 and self._last_body(conn, sid) == body:
                return  # the earlier try committed; only its acknowledgement was lost
            self._append_once(conn, sid, event, body, expected=expected)

        self._run(f"write transcript {sid}", op)

    def delete(self, session_id: str) -> bool:
        """Delete the session row and (cascading) its events in one transaction. It waits for
        an append in progress (the row lock); an append after it is refused."""
        sid = check_id(session_id)

        def op(conn: psycopg.Connection[Any]) -> bool:
            with conn.transaction():
                cur = conn.execute("DELETE FROM interviewer_sessions WHERE session_id = %s",
                                   (sid,))
                return cur.rowcount > 0

        return self._run(f"delete transcript {sid}", op)

    def find_sessions(self, owner: str | None = None) -> list[StoredSession]:
        """Every session row (of `owner`): ownership is a column, so damaged events do not hide
        a session. No local files hold them."""
        query = "SELECT session_id, owner FROM interviewer_sessions"
        params: tuple[str, ...] = ()
        if owner is not None:
            query += " WHERE owner = %s"
            params = (owner,)
        query += " ORDER BY session_id"
        rows = self._run("read the session list",
                         lambda c: c.execute(query, params).fetchall())
        return [StoredSession(session_id=r[0], owner=r[1]) for r in rows]

    def _last_body(self, conn: psycopg.Connection[Any], sid: str) -> str | None:
        row = conn.execute("SELECT body FROM interviewer_events WHERE session_id = %s "
                           "ORDER BY seq DESC LIMIT 1", (sid,)).fetchone()
        return row[0] if row else None

    def _append_once(self, conn: psycopg.Connection[Any], sid: str, event: Event,
                     body: str, *, expected: int | None = None) -> None:
        at = _aware(event.at)
        with conn.transaction():
            if isinstance(event, SessionStarted):
                conn.execute(
                    "INSERT INTO interviewer_sessions (session_id, owner, pack, stages, mode, "
                    "started_at, updated_at, planned) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (session_id) DO NOTHING",
                    (sid, event.owner, event.config.pack, [s.id for s in event.stages],
                     event.config.mode, at, at, len(event.plan)))
            row = conn.execute("SELECT events FROM interviewer_sessions WHERE session_id = %s "
                               "FOR UPDATE", (sid,)).fetchone()
            if row is None:
                if expected:
                    raise NotFoundError(f"no transcript for session {sid!r} (it was deleted)")
                raise TranscriptStoreError(f"session {sid} was never started (or was deleted): "
                                           "its first event must be session_started")
            if expected is not None and int(row[0]) != expected:
                raise SessionMovedOnError(sid, expected=expected, found=int(row[0]))
            seq = int(row[0]) + 1
            plan_index = getattr(event, "plan_index", None)
            conn.execute(
                "INSERT INTO interviewer_events (session_id, seq, type, plan_index, at, body) "
                "VALUES (%s, %s, %s, %s, %s, %s)", (sid, seq, event.type, plan_index, at, body))
            conn.execute(
                "UPDATE interviewer_sessions SET events = %s, updated_at = %s, "
                "finished = finished OR %s, "
                "answered = CASE WHEN %s THEN (SELECT count(DISTINCT plan_index) "
                "  FROM interviewer_events WHERE session_id = %s AND type = 'answered') "
                "  ELSE answered END "
                "WHERE session_id = %s",
                (seq, at, isinstance(event, Ended), isinstance(event, Answered), sid, sid))

    def load(self, session_id: str) -> list[Event]:
        sid = check_id(session_id)
        rows = self._run(f"read transcript {sid}", lambda c: c.execute(
            "SELECT seq, body FROM interviewer_events WHERE session_id = %s ORDER BY seq",
            (sid,)).fetchall())
        if not rows:
            raise NotFoundError(f"no transcript for session {session_id!r}")
        events: list[Event] = []
        for seq, body in rows:
            try:
                events.append(EVENT_ADAPTER.validate_json(body))
            except ValidationError as e:
                raise TranscriptCorruptError(f"session {sid}", f"event {seq}",
                                             describe_invalid(e)) from e
        if not isinstance(events[0], SessionStarted):
            raise TranscriptStoreError(f"session {sid}: does not start with a session_started "
                                       "event")
        return events

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        query = ("SELECT session_id, owner, pack, stages, mode, started_at, updated_at, "
                 "answered, planned, finished FROM interviewer_sessions")
        params: tuple[str, ...] = ()
        if owner is not None:
            query += " WHERE owner = %s"
            params = (owner,)
        query += " ORDER BY updated_at DESC, session_id"
        rows = self._run("read the session list",
                         lambda c: c.execute(query, params).fetchall())
        return [SessionInfo(
            session_id=r[0], owner=r[1], pack=r[2], stages=list(r[3]), mode=r[4],
            started_at=r[5], updated_at=r[6], answered=r[7], planned=r[8], finished=r[9],
        ) for r in rows]
