"""Progress reads both transcript stores the same way: the JSONL files and PostgreSQL give the
same progress for the same sessions, and the cache follows each store's changes (a session that
goes on, another owner's sessions). The PostgreSQL server is Debian's, started for this module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from servers import PostgresServer, create_database, postgres_server
from session_support import FULL, PARTIAL, POOR, make_services

from interviewer.app.privacy import delete_user_data
from interviewer.app.services import Services
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.progress import Progress
from interviewer.transcripts.progress_cache import cache_files, load_digests, progress_for
from interviewer.transcripts.store import JsonlTranscriptStore, TranscriptStore

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def _script(services: Services) -> list[str]:
    """The same sessions on any store; returns their ids in order."""
    plays = [("user:alice", 1, [FULL, POOR]), ("user:alice", 2, ["/skip", PARTIAL]),
             ("user:bob", 3, [POOR, POOR]), ("user:alice", 4, [POOR])]
    ids = []
    for owner, seed, answers in plays:
        s = InterviewSession.create(services, SessionConfig(
            pack="mini", stage="technical", questions=2, seed=seed, owner=owner,
            max_follow_ups=0))
        s.start()
        for a in answers:
            s.send(a)
        if not s.finished:
            s.end()
        ids.append(s.session_id)
    return ids


def _normal(p: Progress, ids: list[str]) -> str:
    """Progress with session ids and times replaced by their order (they differ per run)."""
    text = p.model_dump_json()
    for n, sid in enumerate(ids):
        text = text.replace(sid, f"session-{n}")
    return text


def _strip_times(p: Progress) -> Progress:
    q = p.model_copy(deep=True)
    q.first_at = q.last_at = None
    for t in q.topics:
        t.last_seen = None
        for h in t.history:
            h.at = NOW
    for qp in q.questions:
        qp.last_seen = qp.due = None
        for h in qp.history:
            h.at = NOW
        for k in qp.key_points:
            k.last_seen = None
    return q


def test_both_stores_give_the_same_progress(settings: Settings, pg: PostgresServer,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    files = make_services(settings)
    pg_settings = Settings(data_dir=tmp_path_factory.mktemp("pg-data"),
                           knowledge_dir=settings.knowledge_dir)
    store = PostgresTranscriptStore(create_database(pg, "progress_same"))
    try:
        db = make_services(pg_settings)
        db.store = store
        results = []
        for svc in (files, db):
            ids = _script(svc)
            p = progress_for(svc.store, "user:alice", svc.pack("mini"),
                             cache_dir=svc.settings.progress_dir, now=NOW)
            results.append(_normal(_strip_times(p), ids))
            assert p.sessions == 3 and p.answered == 4
        assert results[0] == results[1]
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["files", "postgres"])
def test_the_cache_follows_the_store(backend: str, settings: Settings, pg: PostgresServer
                                     ) -> None:
    svc = make_services(settings)
    store: TranscriptStore
    if backend == "postgres":
        from interviewer.transcripts.pg_store import PostgresTranscriptStore

        store = PostgresTranscriptStore(create_database(pg, "progress_cache"))
        svc.store = store
    else:
        store = JsonlTranscriptStore(settings.transcripts_dir)
    try:
        _script(svc)
        cache = settings.progress_dir
        assert load_digests(store, "user:alice", cache_dir=cache).rebuilt == 3
        assert load_digests(store, "user:alice", cache_dir=cache).rebuilt == 0
        assert load_digests(store, "user:bob", cache_dir=cache).rebuilt == 1
        s = InterviewSession.create(svc, SessionConfig(pack="mini", stage="technical",
                                                       questions=2, seed=5, owner="user:alice",
                                                       max_follow_ups=0))
        s.start()
        s.send(FULL)
        found = load_digests(store, "user:alice", cache_dir=cache)
        assert found.rebuilt == 1 and len(found.digests) == 4
        s.send(POOR)  # the session goes on: read again, the rest from the cache
        found = load_digests(store, "user:alice", cache_dir=cache)
        assert found.rebuilt == 1
        mine = next(d for d in found.digests if d.session_id == s.session_id)
        assert [a.score for a in mine.attempts] == [5.0, 1.0]
        assert load_digests(store, None, cache_dir=cache).digests == []  # nobody's sessions
        # a deletion request removes the sessions and the cache, on either store
        progress_for(store, "user:alice", svc.pack("mini"), cache_dir=cache)
        assert len(cache_files(cache, "user:alice")) == 2
        report = delete_user_data(settings, "user:alice", store=store)
        assert set(cache_files(cache, "user:bob")) and not cache_files(cache, "user:alice")
        assert len(report.sessions) == 4
        assert progress_for(store, "user:alice", svc.pack("mini"), cache_dir=cache).sessions == 0
        assert progress_for(store, "user:bob", svc.pack("mini"), cache_dir=cache).sessions == 1
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
