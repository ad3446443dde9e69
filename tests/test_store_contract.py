"""One contract for every transcript store: the JSONL files and PostgreSQL pass the same tests.

Append-only, durable before acknowledged, a crash mid-write loses only the unacknowledged event
and never leaves a torn one behind, exactly one answered event per turn across resumes (also
by another store object, as another app instance would), resume by id, per-user listing.
Compare-and-append: of two processes appending from the same point at the same instant exactly
one wins and the other is told the session moved on (also through the session's record step).
Deletion: a deleted session is gone for every reader, later appends are refused, other owners'
sessions are untouched, and `interviewer data delete --owner X` does it on either backend.
Each backend says how to simulate its own kind of crash (a torn last line; an uncommitted
transaction), and everything after that is asserted the same way. A real SIGKILL of a process
mid-session runs against both. The PostgreSQL server is Debian's, started for this module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from pydantic import SecretStr
from servers import PostgresServer, create_database, free_port, postgres_server
from session_support import FULL, PARTIAL, POOR, KeywordGrader, make_pack

from interviewer.app.services import Services, make_transcript_store
from interviewer.core.errors import InputError, NotFoundError, SessionMovedOnError
from interviewer.core.events import (
    EVENT_ADAPTER,
    Answered,
    Event,
    Said,
    SessionStarted,
)
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.core.stores import TranscriptStore
from interviewer.core.transcript import Transcript
from interviewer.interview.offline import OfflineInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.store import (
    JsonlTranscriptStore,
    TranscriptStoreError,
    session_info,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]  # real servers

TESTS_DIR = Path(__file__).resolve().parent
BACKENDS = ["files", "postgres"]
HOSTILE = ("<script>alert('x')</script> nul:\x00 tab:\t emoji:\U0001f600 rtl:\u202e "
           "quote:\" backslash:\\ newline:\n```\nfence\n``` zebracorn drift")


# --- backends ------------------------------------------------------------------------------------

class Backend(Protocol):
    name: str
    settings: Settings

    def new_store(self) -> TranscriptStore:
        """A fresh store object, as a restarted (or another) app instance would open."""
        ...

    def env(self) -> dict[str, str]:
        """Environment that makes `make_transcript_store(Settings())` open this store."""
        ...

    def crash_mid_append(self, sid: str, event: Event) -> None:
        """Leave what a crash in the middle of appending `event` leaves."""
        ...

    def keep_first(self, sid: str, n: int) -> None:
        """As if only the first `n` events had ever been made durable."""
        ...

    def corrupt(self, sid: str, n: int) -> None:
        """Damage the `n`-th stored event (1-based)."""
        ...


@dataclass
class FileBackend:
    settings: Settings
    name: str = "files"

    def new_store(self) -> TranscriptStore:
        return JsonlTranscriptStore(self.settings.transcripts_dir)

    def env(self) -> dict[str, str]:
        return {"INTERVIEWER_DATA_DIR": str(self.settings.data_dir)}

    def _path(self, sid: str) -> Path:
        return JsonlTranscriptStore(self.settings.transcripts_dir).path(sid)

    def crash_mid_append(self, sid: str, event: Event) -> None:
        line = EVENT_ADAPTER.dump_json(event)
        with open(self._path(sid), "ab") as f:
            f.write(line[: len(line) // 2])

    def keep_first(self, sid: str, n: int) -> None:
        path = self._path(sid)
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:n]))

    def corrupt(self, sid: str, n: int) -> None:
        path = self._path(sid)
        lines = path.read_bytes().splitlines(keepends=True)
        lines[n - 1] = b"{not json\n"
        path.write_bytes(b"".join(lines))


class _ProcessDied(Exception):
    pass


class _DiesAfterEventInsert:
    """A psycopg connection whose process "dies" once the event row is written."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def transaction(self) -> Any:
        return self._conn.transaction()

    def execute(self, query: Any, params: Any = None) -> Any:
        cur = self._conn.execute(query, params)
        if str(query).startswith("INSERT INTO interviewer_events"):
            raise _ProcessDied
        return cur


@dataclass
class PostgresBackend:
    settings: Settings
    url: str
    name: str = "postgres"
    opened: list[Any] = field(default_factory=list)

    def new_store(self) -> TranscriptStore:
        from interviewer.transcripts.pg_store import PostgresTranscriptStore

        store = PostgresTranscriptStore(self.url)
        self.opened.append(store)
        return store

    def env(self) -> dict[str, str]:
        return {"INTERVIEWER_DATABASE_URL": self.url}

    def crash_mid_append(self, sid: str, event: Event) -> None:
        """The store's own write path on a connection like its own that dies right after the
        event row went in, before the session row is updated and before COMMIT."""
        import psycopg

        from interviewer.transcripts.pg_store import PostgresTranscriptStore

        store = PostgresTranscriptStore(self.url)
        store.exists(sid)  # creates the tables if needed
        conn = psycopg.connect(self.url, autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
        with pytest.raises(_ProcessDied):
            store._append_once(_DiesAfterEventInsert(conn), sid, event,  # type: ignore[arg-type]
                               EVENT_ADAPTER.dump_json(event).decode())
        conn.close()
        store.close()

    def keep_first(self, sid: str, n: int) -> None:
        import psycopg

        with psycopg.connect(self.url) as conn:
            conn.execute("DELETE FROM interviewer_events WHERE session_id = %s AND seq > %s",
                         (sid, n))
            bodies = [r[0] for r in conn.execute(
                "SELECT body FROM interviewer_events WHERE session_id = %s ORDER BY seq",
                (sid,))]
            info = session_info([EVENT_ADAPTER.validate_json(b) for b in bodies])
            conn.execute("UPDATE interviewer_sessions SET events = %s, updated_at = %s, "
                         "answered = %s, finished = %s WHERE session_id = %s",
                         (n, info.updated_at, info.answered, info.finished, sid))

    def corrupt(self, sid: str, n: int) -> None:
        import psycopg

        with psycopg.connect(self.url) as conn:
            conn.execute("UPDATE interviewer_events SET body = '{not json' "
                         "WHERE session_id = %s AND seq = %s", (sid, n))

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def pg_url(pg: PostgresServer) -> str:
    return create_database(pg, "contract")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Backend]:
    if request.param == "files":
        yield FileBackend(settings)
        return
    import psycopg

    url: str = request.getfixturevalue("pg_url")
    with psycopg.connect(url, autocommit=True) as conn:  # each test starts on empty tables
        conn.execute("DROP TABLE IF EXISTS interviewer_events, interviewer_sessions, "
                     "interviewer_schema")
    b = PostgresBackend(settings.model_copy(update={"database_url": SecretStr(url)}), url)
    yield b
    b.close()


# --- helpers -------------------------------------------------------------------------------------

def services_on(backend: Backend, store: TranscriptStore | None = None) -> Services:
    pack = make_pack()
    return Services(settings=backend.settings, grader=KeywordGrader(),
                    interviewer=OfflineInterviewer(), store=store or backend.new_store(),
                    packs={pack.name: pack})


def new_session(services: Services, **kw: Any) -> InterviewSession:
    cfg = {"pack": "mini", "stage": "technical", "questions": 3, "seed": 2, **kw}
    return InterviewSession.create(services, SessionConfig(**cfg))


def answered(store: TranscriptStore, sid: str) -> list[str]:
    return [e.answer for e in store.load(sid) if isinstance(e, Answered)]


def turns(store: TranscriptStore, sid: str) -> list[tuple[int, int]]:
    return [(e.plan_index, e.follow_up) for e in store.load(sid) if isinstance(e, Answered)]


def last_index(events: list[Event], kind: type) -> int:
    return max(i for i, e in enumerate(events) if isinstance(e, kind))


# --- the contract --------------------------------------------------------------------------------

def test_round_trip_starts_with_the_start_event(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    s.send(FULL)
    s.send(PARTIAL)
    fresh = backend.new_store()
    events = fresh.load(s.session_id)
    assert isinstance(events[0], SessionStarted) and events[0].session_id == s.session_id
    assert Transcript.from_events(events) == s.transcript()
    assert answered(fresh, s.session_id) == [FULL, PARTIAL]
    assert fresh.exists(s.session_id) and not fresh.exists(fresh.new_id())
    assert len(s.session_id) == 32 and int(s.session_id, 16) >= 0


def test_hostile_and_long_text_round_trips_exactly(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc, max_follow_ups=0)
    s.start()
    long = (HOSTILE + " ") * 150  # under max_answer_chars
    s.answer(HOSTILE)
    s.answer(long)
    assert answered(backend.new_store(), s.session_id) == [HOSTILE, long]


def test_crash_mid_append_is_ignored_and_resume_loses_no_answered_turn(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    s.send(FULL)
    s.send(PARTIAL)  # a follow-up is now waiting
    before = answered(svc.store, s.session_id)
    torn = Answered.model_validate({
        **next(e for e in svc.store.load(s.session_id) if isinstance(e, Answered)).model_dump(),
        "answer": "never acknowledged"})
    backend.crash_mid_append(s.session_id, torn)
    assert answered(backend.new_store(), s.session_id) == before == [FULL, PARTIAL]
    fresh = services_on(backend)
    resumed = InterviewSession.resume(fresh, s.session_id)
    assert resumed.status().answered == 2
    assert [r.kind for r in resumed.resume_replies()] == ["notice", "follow_up"]
    resumed.send(FULL)  # writing goes on cleanly after the crash
    assert answered(backend.new_store(), s.session_id) == [FULL, PARTIAL, FULL]


def test_crash_while_writing_an_answer_reopens_its_question(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    s.send(FULL)
    s.send(FULL)
    events = svc.store.load(s.session_id)
    idx = last_index(events, Answered)
    backend.keep_first(s.session_id, idx)  # everything from the second answer on is gone ...
    backend.crash_mid_append(s.session_id, events[idx])  # ... and that answer was torn
    resumed = InterviewSession.resume(services_on(backend), s.session_id)
    assert resumed.status().answered == 1
    assert resumed.current_question is not None  # its question is open again


def test_resume_between_answer_and_next_question(backend: Backend) -> None:
    """The answer was saved, the next question was not: it is asked on resume."""
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    s.send(FULL)
    events = svc.store.load(s.session_id)
    backend.keep_first(s.session_id, last_index(events, Answered) + 1)
    resumed = InterviewSession.resume(services_on(backend), s.session_id)
    assert [r.kind for r in resumed.resume_replies()] == ["notice", "feedback", "question"]
    assert resumed.status().question_number == 2


def test_a_corrupt_stored_event_is_an_error_not_silence(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    s.send(FULL)
    backend.corrupt(s.session_id, 2)
    with pytest.raises(TranscriptStoreError, match=r"\b2 is corrupt: not valid JSON \(") as err:
        backend.new_store().load(s.session_id)
    assert "pydantic" not in str(err.value) and "\n" not in str(err.value)  # one plain line


def test_ids_are_checked_and_unknown_ids_not_found(backend: Backend) -> None:
    store = backend.new_store()
    for bad in ("../../etc/passwd", "abc", "x" * 32, "'; DROP TABLE x; --"):
        with pytest.raises(InputError):
            store.load(bad)
        with pytest.raises(InputError):
            store.exists(bad)
    with pytest.raises(NotFoundError):
        store.load("a" * 32)
    assert store.list() == [] and store.list("nobody") == []


def test_an_event_for_a_session_never_started_is_refused(backend: Backend) -> None:
    store = backend.new_store()
    sid = store.new_id()
    with pytest.raises(TranscriptStoreError):
        store.append(sid, Said(kind="notice", text="hello"))  # PostgreSQL refuses here ...
        store.load(sid)  # ... the files refuse to read it


def test_exactly_once_per_turn_across_instances(backend: Backend) -> None:
    """Answer on one store object, resume on another (a second app instance), and back: every
    turn is answered once, in order, and both see the same transcript."""
    one, two = services_on(backend), services_on(backend)
    s = new_session(one, questions=3, max_follow_ups=1)
    s.start()
    s.send(PARTIAL)  # low score: a follow-up is asked
    on_two = InterviewSession.resume(two, s.session_id)
    assert [r.kind for r in on_two.resume_replies()] == ["notice", "follow_up"]
    on_two.send(FULL)
    on_two.send(POOR)
    back_on_one = InterviewSession.resume(one, s.session_id)
    assert back_on_one.status().answered == on_two.status().answered == 2
    while not back_on_one.finished:
        back_on_one.send(FULL)
    done = turns(one.store, s.session_id)
    assert done == sorted(set(done))  # no turn twice, in plan order
    assert answered(two.store, s.session_id)[:3] == [PARTIAL, FULL, POOR]
    assert one.store.load(s.session_id) == two.store.load(s.session_id)
    info = next(i for i in two.store.list() if i.session_id == s.session_id)
    assert info.finished and info.answered == 3 and info.planned == 3


def test_listing_is_per_user_and_matches_the_transcripts(backend: Backend) -> None:
    svc = services_on(backend)
    mine = [new_session(svc, owner="alice", seed=i) for i in range(2)]
    theirs = new_session(svc, owner="bob", stage="screen")
    anonymous = new_session(svc)
    mine[0].start()
    mine[0].send(FULL)
    mine[1].start()
    mine[1].end()
    theirs.start()
    store = backend.new_store()
    assert {i.session_id for i in store.list("alice")} == {s.session_id for s in mine}
    assert [i.session_id for i in store.list("bob")] == [theirs.session_id]
    assert store.list("carol") == []
    assert {i.session_id for i in store.list()} == (
        {s.session_id for s in mine} | {theirs.session_id, anonymous.session_id})
    listed = store.list()
    assert [i.updated_at for i in listed] == sorted((i.updated_at for i in listed), reverse=True)
    for info in listed:  # what the list says is what the transcript says
        assert info == session_info(store.load(info.session_id))
    by_id = {i.session_id: i for i in listed}
    assert by_id[mine[0].session_id].answered == 1 and not by_id[mine[0].session_id].finished
    assert by_id[mine[1].session_id].finished
    assert by_id[theirs.session_id].stages == ["screen"]


_KILLED_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from session_support import FULL, KeywordGrader, make_pack
    from interviewer.core.session import SessionConfig
    from interviewer.interview.offline import OfflineInterviewer
    from interviewer.interview.session import InterviewSession
    from interviewer.app.services import Services, make_transcript_store
    from interviewer.core.settings import Settings

    settings = Settings()
    pack = make_pack()
    services = Services(settings=settings, grader=KeywordGrader(),
                        interviewer=OfflineInterviewer(),
                        store=make_transcript_store(settings), packs={{pack.name: pack}})
    print("STORE", type(services.store).__name__, flush=True)
    cfg = SessionConfig(pack="mini", stage=None, questions=10, seed=1, max_follow_ups=0)
    s = None
    n = 0
    while True:
        if s is None or s.finished:
            s = InterviewSession.create(services, cfg)
            s.start()
        n += 1
        answer = FULL + " answer " + str(n)
        s.send(answer)
        print("ACK", s.session_id, answer, flush=True)
""")


def test_sigkill_mid_session_loses_no_acknowledged_answer(backend: Backend,
                                                          tmp_path: Path) -> None:
    """A process answers in a loop, reporting each acknowledged answer, and is SIGKILLed at a
    moment it does not choose; every acknowledged answer is stored, nothing torn, and each
    session resumes."""
    env = {k: v for k, v in os.environ.items() if k not in ("INTERVIEWER_DATABASE_URL",)}
    env.update(backend.env(), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD.format(tests=str(TESTS_DIR))],
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    acked: list[tuple[str, str]] = []
    kinds: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("STORE "):
                kinds.append(line.split()[1])
            if line.startswith("ACK "):
                _, sid, answer = line.rstrip("\n").split(" ", 2)
                acked.append((sid, answer))
            if len(acked) >= 14:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert kinds == [type(backend.new_store()).__name__]
    assert len(acked) >= 14
    store = backend.new_store()
    for sid in dict.fromkeys(sid for sid, _ in acked):
        mine = [a for s_, a in acked if s_ == sid]
        saved = answered(store, sid)
        assert saved[: len(mine)] == mine and len(saved) <= len(mine) + 1
        resumed = InterviewSession.resume(services_on(backend, store), sid)
        resumed.resume_replies()  # resumes cleanly whatever the kill interrupted
        assert resumed.status().answered >= len(mine)


# --- compare-and-append -------------------------------------------------------------------------

def test_compare_and_append_writes_only_from_the_point_the_writer_has_seen(
        backend: Backend) -> None:
    store = backend.new_store()
    assert isinstance(store, TranscriptStore)
    svc = services_on(backend, store)
    s = new_session(svc)
    s.start()
    n = len(store.load(s.session_id))
    store.compare_and_append(s.session_id, Said(kind="notice", text="in step"), n)
    for stale in (n, n - 1, n + 5):  # behind, further behind, ahead: refused, nothing written
        with pytest.raises(SessionMovedOnError, match="moved on") as err:
            backend.new_store().compare_and_append(
                s.session_id, Said(kind="notice", text="stale"), stale)
        assert (err.value.expected, err.value.found) == (stale, n + 1)
    events = backend.new_store().load(s.session_id)
    assert len(events) == n + 1 and [e.text for e in events if isinstance(e, Said)][-1] == \
        "in step"
    with pytest.raises(SessionMovedOnError):  # a start event for a session that exists
        store.compare_and_append(s.session_id, events[0], 0)


def test_a_session_object_that_was_overtaken_is_told_and_writes_nothing(
        backend: Backend) -> None:
    """The session's record step is a compare-and-append: an object that has not seen another
    object's answer cannot record its own on top."""
    one, two = services_on(backend), services_on(backend)
    s = new_session(one, max_follow_ups=0)
    s.start()
    behind = InterviewSession.resume(two, s.session_id)
    assert not behind.behind_store()
    s.send(FULL)  # answered elsewhere
    before = two.store.load(s.session_id)
    with pytest.raises(SessionMovedOnError):
        behind.send(PARTIAL)
    assert two.store.load(s.session_id) == before
    assert answered(two.store, s.session_id) == [FULL]
    caught_up = InterviewSession.resume(two, s.session_id)
    caught_up.send(PARTIAL)  # reloaded: in step again
    assert answered(one.store, s.session_id) == [FULL, PARTIAL]


_RACER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from session_support import FULL, KeywordGrader, make_pack
    from interviewer.app.services import Services, make_transcript_store
    from interviewer.core.errors import SessionMovedOnError
    from interviewer.core.events import Said
    from interviewer.core.settings import Settings
    from interviewer.interview.offline import OfflineInterviewer
    from interviewer.interview.session import InterviewSession

    who, sid, mode = sys.argv[1:4]
    settings = Settings()
    pack = make_pack()
    services = Services(settings=settings, grader=KeywordGrader(),
                        interviewer=OfflineInterviewer(),
                        store=make_transcript_store(settings), packs={{pack.name: pack}})
    print("STORE", type(services.store).__name__, flush=True)
    n = 0
    for command in sys.stdin:
        if command.strip() == "prepare":  # read the session as it stands
            n += 1
            if mode == "append":
                seen = len(services.store.load(sid))
            else:
                session = InterviewSession.resume(services, sid)
            print("READY", flush=True)
        elif command.strip() == "go":  # write from there, at the same instant as the other
            text = f"{{FULL}} from {{who}} round {{n}}"
            try:
                if mode == "append":
                    services.store.compare_and_append(sid, Said(kind="notice", text=text),
                                                      seen)
                else:
                    session.send(text)
                print("WON", text, flush=True)
            except SessionMovedOnError as e:
                print("MOVED_ON", e, flush=True)
""")


def _race(backend: Backend, sid: str, mode: str, rounds: int) -> list[str]:
    """Two processes on one session, released together each round; returns the winners'
    texts. Every round exactly one wins and the other is told the session moved on."""
    env = {k: v for k, v in os.environ.items() if k not in ("INTERVIEWER_DATABASE_URL",)}
    env.update(backend.env(), PYTHONUNBUFFERED="1")
    procs = [subprocess.Popen(
        [sys.executable, "-c", _RACER.format(tests=str(TESTS_DIR)), who, sid, mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for who in ("A", "B")]
    pipes = [(p.stdin, p.stdout) for p in procs if p.stdin and p.stdout]
    assert len(pipes) == 2
    winners: list[str] = []
    try:
        for _, out in pipes:
            assert out.readline().split() == ["STORE", type(backend.new_store()).__name__]
        for _ in range(rounds):
            for command in ("prepare", "go"):
                for into, _ in pipes:  # both are told before either answers
                    into.write(command + "\n")
                    into.flush()
                replies = [out.readline().rstrip("\n") for _, out in pipes]
                if command == "prepare":
                    assert replies == ["READY", "READY"]
            outcome = sorted(r.split(" ", 1)[0] for r in replies)
            assert outcome == ["MOVED_ON", "WON"], replies
            winners.append(next(r.split(" ", 1)[1] for r in replies if r.startswith("WON")))
            told = next(r for r in replies if r.startswith("MOVED_ON"))
            assert f"session {sid} moved on elsewhere" in told and "nothing was written" in told
    finally:
        for p in procs:
            if p.stdin is not None:
                p.stdin.close()
        for p in procs:
            p.wait(timeout=60)
    assert [p.returncode for p in procs] == [0, 0]
    return winners


def test_two_processes_appending_at_once_exactly_one_wins(backend: Backend) -> None:
    svc = services_on(backend)
    s = new_session(svc)
    s.start()
    before = svc.store.load(s.session_id)
    winners = _race(backend, s.session_id, "append", rounds=40)
    events = backend.new_store().load(s.session_id)
    assert events[: len(before)] == before and len(events) == len(before) + 40
    assert [e.text for e in events[len(before):] if isinstance(e, Said)] == winners
    assert {w.split(" from ")[1].split()[0] for w in winners} <= {"A", "B"}


def test_two_processes_answering_at_once_record_one_answer(backend: Backend) -> None:
    """Two tabs in two app processes send an answer to the same question at the same
    instant: one is recorded (and the interview moves on), the other is told."""
    svc = services_on(backend)
    s = new_session(svc, questions=4, max_follow_ups=0)
    s.start()
    winners = _race(backend, s.session_id, "session", rounds=3)
    store = backend.new_store()
    assert answered(store, s.session_id) == winners
    assert turns(store, s.session_id) == [(0, 0), (1, 0), (2, 0)]
    resumed = InterviewSession.resume(services_on(backend, store), s.session_id)
    assert resumed.status().answered == 3 and resumed.open_turn == (3, 0)


# --- deletion and owners -------------------------------------------------------------------------

def test_delete_removes_a_session_for_every_reader_and_nothing_else(backend: Backend) -> None:
    svc = services_on(backend)
    gone = new_session(svc, owner="alice")
    kept = new_session(svc, owner="alice", seed=9)
    other = new_session(svc, owner="bob")
    for s in (gone, kept, other):
        s.start()
        s.send(FULL)
    reader = backend.new_store()  # opened before the deletion, as another instance would be
    assert reader.load(gone.session_id)
    assert backend.new_store().delete(gone.session_id) is True
    for store in (reader, backend.new_store(), svc.store):
        assert not store.exists(gone.session_id)
        with pytest.raises(NotFoundError):
            store.load(gone.session_id)
        assert [i.session_id for i in store.list("alice")] == [kept.session_id]
        assert [f.session_id for f in store.find_sessions("alice")] == [kept.session_id]
        assert answered(store, kept.session_id) == [FULL]
        assert answered(store, other.session_id) == [FULL]
    assert backend.new_store().delete(gone.session_id) is False  # idempotent
    with pytest.raises(InputError):
        backend.new_store().delete("../" + gone.session_id)


def test_a_deleted_session_is_not_written_back(backend: Backend) -> None:
    """A tab still open on a session whose owner's data was deleted: its next turn is refused
    as not found, and no transcript without a beginning is left behind."""
    svc = services_on(backend)
    s = new_session(svc, owner="alice")
    s.start()
    assert backend.new_store().delete(s.session_id)
    with pytest.raises(NotFoundError):
        s.send(FULL)
    with pytest.raises(TranscriptStoreError):
        backend.new_store().append(s.session_id, Said(kind="notice", text="late"))
    store = backend.new_store()
    assert not store.exists(s.session_id) and store.find_sessions() == [] and store.list() == []


def test_owners_are_isolated_in_listing_finding_and_deleting(backend: Backend) -> None:
    svc = services_on(backend)
    by_owner = {o: [new_session(svc, owner=o, seed=i) for i in range(2)]
                for o in ("user:alice", "user:bob", "browser:" + "c" * 43)}
    anonymous = new_session(svc)
    for sessions in by_owner.values():
        for s in sessions:
            s.start()
    store = backend.new_store()
    for owner, sessions in by_owner.items():
        ids = {s.session_id for s in sessions}
        assert {i.session_id for i in store.list(owner)} == ids
        assert {f.session_id for f in store.find_sessions(owner)} == ids
        assert {f.owner for f in store.find_sessions(owner)} == {owner}
    assert store.list("user:ali") == [] and store.find_sessions("USER:ALICE") == []
    everyone = {f.session_id: f.owner for f in store.find_sessions()}
    assert everyone[anonymous.session_id] is None and len(everyone) == 7
    for s in by_owner["user:alice"]:
        store.delete(s.session_id)
    assert store.list("user:alice") == [] and store.find_sessions("user:alice") == []
    for owner in ("user:bob", "browser:" + "c" * 43):
        assert len(store.list(owner)) == 2 and len(store.find_sessions(owner)) == 2


def test_a_damaged_session_is_still_found_and_deleted(backend: Backend) -> None:
    """The files' `list` leaves out what it cannot read; a deletion request must not."""
    svc = services_on(backend)
    s = new_session(svc, owner="alice")
    s.start()
    s.send(FULL)
    backend.corrupt(s.session_id, 3)
    store = backend.new_store()
    with pytest.raises(TranscriptStoreError, match="corrupt"):
        store.load(s.session_id)
    assert [f.session_id for f in store.find_sessions("alice")] == [s.session_id]
    assert store.delete(s.session_id) and store.find_sessions("alice") == []


def test_data_delete_command_deletes_one_owner(backend: Backend, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`interviewer data delete --owner X` on this backend: X's sessions and exports go,
    everyone else's stay, and a second run finds nothing."""
    import interviewer.cli.main as cli
    from interviewer.transcripts.export import export

    for name, value in backend.env().items():
        monkeypatch.setenv(name, value)
    svc = services_on(backend)
    exports = backend.settings.data_dir / "exports"
    sessions = {o: [new_session(svc, owner=o, seed=i) for i in range(2)]
                for o in ("user:alice", "user:bob")}
    for owned in sessions.values():
        for s in owned:
            s.start()
            s.send(FULL)
            export(s.transcript(), "md", exports)
    alice = {s.session_id for s in sessions["user:alice"]}
    assert cli.main(["data", "delete", "--owner", "user:alice", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "of 2 session(s) of user:alice" in out and "cannot delete" not in out
    store = backend.new_store()
    assert store.find_sessions("user:alice") == [] and store.list("user:alice") == []
    assert not any(p.stem in alice for p in exports.iterdir())
    for s in sessions["user:bob"]:
        assert answered(store, s.session_id) == [FULL] and (exports / f"{s.session_id}.md").exists()
    assert cli.main(["data", "delete", "--owner", "user:alice", "--yes"]) == 0
    assert "nothing stored for user:alice" in capsys.readouterr().out
    assert cli.main(["data", "owners"]) == 0
    listed = capsys.readouterr().out
    assert "user:alice" not in listed and "user:bob  2 session(s)" in listed


# --- PostgreSQL only: the guarantees the files get from the single process ------------------------

@pytest.fixture
def pg_backend(pg_url: str, settings: Settings) -> Iterator[PostgresBackend]:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS interviewer_events, interviewer_sessions, "
                     "interviewer_schema")
    b = PostgresBackend(settings.model_copy(update={"database_url": SecretStr(pg_url)}), pg_url)
    yield b
    b.close()


def test_settings_choose_the_store(settings: Settings, pg_url: str) -> None:
    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    assert isinstance(make_transcript_store(settings), JsonlTranscriptStore)
    on_pg = make_transcript_store(
        settings.model_copy(update={"database_url": SecretStr(pg_url)}))
    assert isinstance(on_pg, PostgresTranscriptStore)
    on_pg.close()


def test_a_dropped_connection_is_reopened_and_the_event_written_once(
        pg_backend: PostgresBackend) -> None:
    import psycopg

    store = pg_backend.new_store()
    svc = services_on(pg_backend, store)
    s = new_session(svc, max_follow_ups=0)
    s.start()
    pid = store._run("pid", lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
    with psycopg.connect(pg_backend.url, autocommit=True) as admin:  # the server drops us
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    s.send(FULL)
    assert answered(pg_backend.new_store(), s.session_id) == [FULL]
    assert store._run("pid", lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0]) != pid


def test_a_lost_commit_acknowledgement_does_not_write_twice(
        pg_backend: PostgresBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit succeeded but the connection died before the reply: the retry sees the event
    already stored and does not add it again."""
    import psycopg

    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    store = pg_backend.new_store()
    svc = services_on(pg_backend, store)
    s = new_session(svc, max_follow_ups=0)
    s.start()
    real = PostgresTranscriptStore._append_once
    calls: list[str] = []

    def commit_then_lose_the_reply(self: PostgresTranscriptStore, conn: Any, sid: str,
                                   event: Event, body: str, **kw: Any) -> None:
        calls.append(event.type)
        real(self, conn, sid, event, body, **kw)
        if isinstance(event, Answered) and calls.count("answered") == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(PostgresTranscriptStore, "_append_once", commit_then_lose_the_reply)
    s.send(FULL)
    assert calls.count("answered") == 1  # the retry found it stored and did not write again
    assert answered(pg_backend.new_store(), s.session_id) == [FULL]
    assert Transcript.from_events(store.load(s.session_id)) == s.transcript()


def test_concurrent_appends_to_one_session_queue_up(pg_backend: PostgresBackend) -> None:
    """Two instances writing to one session at once: every event lands, whole, numbered
    without gaps (the session row lock serialises them)."""
    import psycopg

    svc = services_on(pg_backend)
    s = new_session(svc)
    stores = [pg_backend.new_store() for _ in range(3)]
    errors: list[BaseException] = []

    def write(store: TranscriptStore, who: int) -> None:
        try:
            for n in range(15):
                store.append(s.session_id, Said(kind="notice", text=f"{who}:{n}"))
        except BaseException as e:  # noqa: BLE001 - reported to the main thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(st, i)) for i, st in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    said = [e.text for e in pg_backend.new_store().load(s.session_id) if isinstance(e, Said)]
    assert sorted(said) == sorted(f"{i}:{n}" for i in range(3) for n in range(15))
    for i in range(3):  # each writer's own events stay in its order
        assert [x for x in said if x.startswith(f"{i}:")] == [f"{i}:{n}" for n in range(15)]
    with psycopg.connect(pg_backend.url) as conn:
        seqs = [r[0] for r in conn.execute(
            "SELECT seq FROM interviewer_events WHERE session_id = %s ORDER BY seq",
            (s.session_id,))]
        count = conn.execute("SELECT events FROM interviewer_sessions WHERE session_id = %s",
                             (s.session_id,)).fetchone()
    assert seqs == list(range(1, 47)) and count == (46,)


def test_two_instances_creating_the_tables_at_once(pg: PostgresServer) -> None:
    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    url = create_database(pg, "schema_race")
    stores = [PostgresTranscriptStore(url) for _ in range(4)]
    results: list[object] = []

    def first_use(store: PostgresTranscriptStore) -> None:
        try:
            results.append(store.list())
        except TranscriptStoreError as e:
            results.append(e)

    threads = [threading.Thread(target=first_use, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert results == [[], [], [], []]
    for st in stores:
        st.close()


def test_an_unreachable_database_is_a_store_error(settings: Settings) -> None:
    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    store = PostgresTranscriptStore(f"postgresql://nobody:secret-pw@127.0.0.1:{free_port()}/x",
                                    connect_timeout=5)
    with pytest.raises(TranscriptStoreError, match="cannot connect") as err:
        store.list()
    assert "secret-pw" not in str(err.value)
