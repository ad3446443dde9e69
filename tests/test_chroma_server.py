"""Scale-out: the same app on Chroma's own server (`chroma run`) and PostgreSQL, chosen by
settings only (CHROMA_HOST / CHROMA_PORT / INTERVIEWER_DATABASE_URL).

The index built on the server answers exactly like the embedded one, and two app instances (two
processes with their own data dirs, each wiring its parts with `build_services(settings)`)
share sessions: one starts an interview, the other resumes and continues it, grounding its LLM
interviewer in the index the first one built on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import (
    ChromaServer,
    PostgresServer,
    chroma_server,
    create_database,
    free_port,
    postgres_server,
)
from session_support import FULL, PARTIAL, POOR, make_pack

from interviewer.core.errors import IndexError_
from interviewer.core.events import Answered
from interviewer.core.settings import Settings
from interviewer.packs.embeddings import OfflineMiniLMEmbeddingFunction
from interviewer.packs.index import KnowledgeIndex, collection_name
from interviewer.transcripts.store import session_info

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]  # real servers

TESTS_DIR = Path(__file__).resolve().parent
REPLY_TIMEOUT = 300.0  # the machine is shared: a cold instance may take long to load
TIP = "Use numbers."  # the mini pack's only tip: an LLM interviewer sees it only via the index

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("how do you measure drift", {}),
    ("regularisation for a statistics question", {"stage": "technical"}),
    ("tell me about teamwork", {"kind": "question"}),
    ("recruiter call", {"kind": "stage"}),
    ("numbers", {"kind": "tip"}),
]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def embedder() -> OfflineMiniLMEmbeddingFunction:
    return OfflineMiniLMEmbeddingFunction()


def on_server(settings: Settings, chroma: ChromaServer) -> Settings:
    return settings.model_copy(update={"chroma_host": chroma.host, "chroma_port": chroma.port})


def test_index_on_the_server_answers_like_the_embedded_one(
        settings: Settings, chroma: ChromaServer, embedder: OfflineMiniLMEmbeddingFunction
) -> None:
    pack = make_pack(name="parity")
    remote = KnowledgeIndex(on_server(settings, chroma), embedder=embedder)
    local = KnowledgeIndex(settings, embedder=embedder)
    first = remote.build(pack)
    assert (first.added, first.total) == (first.total, len(pack.questions) + 4)
    assert not local.is_built(pack.name)  # it went to the server, not to the embedded store
    assert (chroma.path / "chroma.sqlite3").is_file()
    local.build(pack)
    for query, filters in QUERIES:
        got = remote.search(pack.name, query, k=4, **filters)
        want = local.search(pack.name, query, k=4, **filters)
        assert got, query
        assert [h.id for h in got] == [h.id for h in want], query
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-4)
        assert [h.model_dump(exclude={"score"}) for h in got] == [
            h.model_dump(exclude={"score"}) for h in want]
    # a new client (another instance) finds it built; a rebuild changes nothing
    again = KnowledgeIndex(on_server(settings, chroma), embedder=embedder)
    assert again.is_built(pack.name) and not again.is_built("never-built")
    assert again.build(pack).changes == 0
    names = [getattr(c, "name", c) for c in again.client.list_collections()]
    assert collection_name(pack.name) in names


def test_a_missing_chroma_server_is_an_index_error(settings: Settings) -> None:
    dead = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": free_port()})
    with pytest.raises((IndexError_, ValueError)):
        KnowledgeIndex(dead).search("mini", "anything")


def test_a_chroma_server_that_goes_away_mid_interview_does_not_break_the_turn(
        settings: Settings, tmp_path: Path, embedder: OfflineMiniLMEmbeddingFunction) -> None:
    from session_support import KeywordGrader

    from interviewer.app.services import build_services
    from interviewer.core.session import SessionConfig
    from interviewer.interview.session import InterviewSession
    from interviewer.llm.fakes import ScriptedChatModel

    with chroma_server(tmp_path / "doomed") as doomed:
        remote = on_server(settings, doomed)
        index = KnowledgeIndex(remote, embedder=embedder)
        index.build(make_pack())
        model = ScriptedChatModel(["Thank you, let us carry on."], repeat_last=True)
        svc = build_services(remote, grader=KeywordGrader(), model=model, index=index,
                             packs=[make_pack()])
        s = InterviewSession.create(svc, SessionConfig(pack="mini", stage="technical",
                                                       questions=2, max_follow_ups=0))
        s.start()
        assert any(TIP in c.text for c in model.calls)  # grounded while the server is up
        doomed.process.terminate()
        doomed.process.wait(timeout=60)
        with pytest.raises(IndexError_):
            index.search("mini", "drift")
        replies = s.send(FULL)  # the answer is kept and the interview goes on
    assert s.status().answered == 1 and replies


# --- two app instances -------------------------------------------------------------------------

_INSTANCE = textwrap.dedent("""
    # One app instance: its parts wired from settings (env) exactly as the UI and CLI do.
    import json, sys
    sys.path.insert(0, {tests!r})
    from session_support import KeywordGrader, make_pack
    from interviewer.core.session import SessionConfig
    from interviewer.interview.session import InterviewSession
    from interviewer.llm.fakes import ScriptedChatModel
    from interviewer.app.services import build_services
    from interviewer.core.settings import Settings
    from interviewer.packs.index import KnowledgeIndex

    settings = Settings()
    model = ScriptedChatModel(["Thank you, let us carry on."], repeat_last=True)
    svc = build_services(settings, grader=KeywordGrader(), model=model, packs=[make_pack()])
    sessions = {{}}

    def reply(**out):
        print(json.dumps(out), flush=True)

    reply(ready=True, store=type(svc.store).__name__, interviewer=svc.interviewer.name,
          index=type(getattr(svc.interviewer, "retriever", None)).__name__)
    for line in sys.stdin:
        cmd = json.loads(line)
        seen = len(model.calls)
        if cmd["op"] == "index":
            reply(changes=KnowledgeIndex(settings).build(make_pack()).changes)
            continue
        if cmd["op"] == "start":
            s = InterviewSession.create(svc, SessionConfig(**cmd["config"]))
            replies = s.start()
        elif cmd["op"] == "resume":
            s = InterviewSession.resume(svc, cmd["sid"])
            replies = s.resume_replies()
        else:
            s = sessions[cmd["sid"]]
            replies = s.send(cmd["text"])
        sessions[s.session_id] = s
        reply(sid=s.session_id, kinds=[r.kind for r in replies],
              status=s.status().model_dump(mode="json"),
              prompts=[c.text for c in model.calls[seen:]])
""")


class Instance:
    """A child process running one app instance, driven line by line over stdin/stdout."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _INSTANCE.format(tests=str(TESTS_DIR))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env)
        self.hello: dict[str, Any] | None = None

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"instance exited with {self.proc.wait(timeout=REPLY_TIMEOUT)}")
        return dict(json.loads(line))

    def ready(self) -> dict[str, Any]:
        if self.hello is None:
            self.hello = self.read()
        return self.hello

    def do(self, **cmd: Any) -> dict[str, Any]:
        self.ready()
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=REPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=60)


def test_a_session_started_on_one_instance_resumes_on_the_other(
        tmp_path: Path, chroma: ChromaServer, pg: PostgresServer) -> None:
    from interviewer.transcripts.pg_store import PostgresTranscriptStore

    url = create_database(pg, "two_instances")
    base = {k: v for k, v in os.environ.items()
            if k not in ("INTERVIEWER_DATABASE_URL", "CHROMA_HOST", "CHROMA_PORT")}
    shared = {**chroma.env, "INTERVIEWER_DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
              "ANONYMIZED_TELEMETRY": "False"}
    dirs = {name: tmp_path / name for name in ("a", "b")}
    a, b = (Instance({**base, **shared, "INTERVIEWER_DATA_DIR": str(d / "data")}, d)
            for d in dirs.values())
    started = time.monotonic()
    try:
        for inst in (a, b):  # both load in parallel
            assert inst.ready() == {"ready": True, "store": "PostgresTranscriptStore",
                                    "interviewer": "llm:scripted", "index": "KnowledgeIndex"}
        cfg = {"pack": "mini", "stage": "technical", "questions": 3, "seed": 5,
               "max_follow_ups": 1, "owner": "user:alice"}
        one = a.do(op="start", config=cfg)
        sid = one["sid"]
        assert one["kinds"][-1] == "question"
        assert one["prompts"] and not any(TIP in p for p in one["prompts"])  # no index yet
        assert a.do(op="index")["changes"] > 0  # instance A indexes the pack on the server
        one = a.do(op="send", sid=sid, text=PARTIAL)  # low score: a follow-up waits
        assert one["kinds"][-1] == "follow_up" and one["status"]["answered"] == 1

        two = b.do(op="resume", sid=sid)  # instance B never saw this session
        assert two["kinds"] == ["notice", "follow_up"]
        assert two["status"] == one["status"]
        two = b.do(op="send", sid=sid, text=FULL)
        assert two["kinds"][-1] == "question" and two["status"]["question_number"] == 2
        assert any(TIP in p for p in two["prompts"])  # grounded in the index A built
        two = b.do(op="send", sid=sid, text=POOR)

        back = a.do(op="resume", sid=sid)  # and back on A, which must not trust its memory
        assert back["status"] == two["status"]
        assert back["kinds"] == ["notice", "follow_up"]
        while not back["status"]["finished"]:
            back = a.do(op="send", sid=sid, text=FULL)
        elapsed = time.monotonic() - started
    finally:
        a.close()
        b.close()
    store = PostgresTranscriptStore(url)
    events = store.load(sid)
    turns = [(e.plan_index, e.follow_up) for e in events if isinstance(e, Answered)]
    assert turns == sorted(set(turns)) and len({p for p, _ in turns}) == 3  # each turn once
    assert [e.answer for e in events if isinstance(e, Answered)][:3] == [PARTIAL, FULL, POOR]
    assert [i.session_id for i in store.list("user:alice")] == [sid]
    assert store.list("user:bob") == []
    assert store.list("user:alice")[0] == session_info(events)
    store.close()
    for d in dirs.values():  # nothing of it was kept on an instance's own disk
        assert not (d / "data" / "transcripts").exists()
        assert not (d / "data" / "chroma").exists()
    print(f"two instances: {elapsed:.1f}s")
