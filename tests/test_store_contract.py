"""One contract for every transcript store: the JSONL files and PostgreSQL pass the same tests.

Append-only, durable before acknowledged, a crash mid-write loses only the unacknowledged event
and never leaves a torn one behind, exactly one answered event per turn across resumes (also
by another store object, as another app instance would), resume by id, per-user listing.
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
from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.events import (
    EVENT_ADAPTER,
    Answered,
    Event,
    Said,
    SessionStarted,
)
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.interview.offline import OfflineInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.store import (
    JsonlTranscriptStore,
    TranscriptStore,
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
                                   event: Event, body: str) -> None:
        calls.append(event.type)
        real(self, conn, sid, event, body)
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
