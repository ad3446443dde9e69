"""Login, browser ids and ownership: one user never sees another's interviews."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from interviewer.app.services import build_services
from interviewer.core.errors import ConfigError, NotFoundError
from interviewer.core.grade import CriterionScore, Grade, GradeProvenance, KeyPointHit
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.interview.session import InterviewSession
from interviewer.ui.auth import check_password, hash_password, parse_users
from interviewer.ui.identity import COOKIE, BrowserIdMiddleware, browser_id, owner_for
from interviewer.ui.profiles import FULL_LOOP, profile_named
from interviewer.ui.sessions import latest_open_session, open_session_for, owned_session


def test_passwords_plain_and_hashed() -> None:
    users = parse_users(f"alice:pw1, bob:{hash_password('pw2', 'salt', 1000)}")
    assert check_password(users, "alice", "pw1")
    assert check_password(users, "bob", "pw2")
    assert not check_password(users, "alice", "pw2")
    assert not check_password(users, "bob", "wrong")
    assert not check_password(users, "carol", "pw1")
    assert not check_password(users, "carol", "\x00unknown")  # the dummy never matches


@pytest.mark.parametrize("spec", ["alice", "al ice:pw", ":pw", "alice:"])
def test_bad_user_lists_are_refused(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_users(spec)


def test_owner_prefers_the_user_then_a_well_formed_browser_id() -> None:
    token = "A" * 43
    assert owner_for("alice", f"{COOKIE}={token}") == "user:alice"
    assert owner_for(None, f"x=1; {COOKIE}={token}") == f"browser:{token}"
    assert owner_for(None, f"{COOKIE}=../../etc") is None
    assert owner_for(None, None) is None
    assert browser_id("garbage;;==") is None


def _run_middleware(cookie: str | None) -> list[tuple[bytes, bytes]]:
    sent: list[dict] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(b"cookie", cookie.encode())] if cookie else []
    call = BrowserIdMiddleware(app)({"type": "http", "headers": headers}, None, send)  # type: ignore[arg-type]
    # A fresh thread: playwright's sync API (browser tests in the same run) keeps a loop running
    # in the main thread, where asyncio.run() refuses to start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, call).result()
    return sent[0]["headers"]


def test_middleware_gives_a_browser_an_id_once() -> None:
    headers = _run_middleware(None)
    (name, value), = headers
    assert name == b"set-cookie"
    text = value.decode()
    assert text.startswith(f"{COOKIE}=") and "HttpOnly" in text and "SameSite=Strict" in text
    token = text.split(";")[0].split("=", 1)[1]
    assert browser_id(f"{COOKIE}={token}") == token
    assert _run_middleware(f"{COOKIE}={token}") == []


class RecordingGrader:
    name = "recording"

    def __init__(self) -> None:
        self.answers: list[str] = []

    def grade(self, request: object) -> Grade:
        self.answers.append(request.answer)  # type: ignore[attr-defined]
        q = request.question  # type: ignore[attr-defined]
        return Grade(score=4.5, criteria=[CriterionScore(id="c", name="C", score=4)],
                     key_points=[KeyPointHit(point=p, covered=True) for p in q.key_points],
                     next_step="Keep going.", provenance=GradeProvenance(grader="reference"))


@pytest.fixture
def services(settings: Settings) -> object:
    return build_services(settings, grader=RecordingGrader(), offline=True)


def _session(services: object, owner: str, stage: str | None) -> InterviewSession:
    cfg = SessionConfig(pack="kraken-ml-engineer", stage=stage, owner=owner, questions=2, seed=1)
    session = InterviewSession.create(services, cfg)  # type: ignore[arg-type]
    session.start()
    return session


def test_only_the_owner_finds_and_resumes_an_interview(services: object) -> None:
    store = services.store  # type: ignore[attr-defined]
    pack = services.pack("kraken-ml-engineer")  # type: ignore[attr-defined]
    alice = _session(services, "user:alice", "technical-interviews")
    alice.send("My answer about Type I and Type II errors, alpha and beta.")
    bob = _session(services, "user:bob", "behavioral-interview")

    assert owned_session(store, "user:alice", alice.session_id).session_id == alice.session_id
    for who, sid in (("user:bob", alice.session_id), ("user:alice", bob.session_id),
                     (None, alice.session_id)):
        with pytest.raises(NotFoundError):
            owned_session(store, who, sid)

    technical = profile_named(pack, "Technical Interviews")
    assert open_session_for(store, "user:alice", pack.name, technical).session_id == \
        alice.session_id
    assert open_session_for(store, "user:bob", pack.name, technical) is None
    assert open_session_for(store, "user:alice", pack.name,
                            profile_named(pack, FULL_LOOP)) is None
    assert latest_open_session(store, "user:bob", pack.name).session_id == bob.session_id
    assert latest_open_session(store, None, pack.name) is None

    alice.end()
    assert open_session_for(store, "user:alice", pack.name, technical) is None


def test_full_loop_resumes_only_full_loops(services: object) -> None:
    store = services.store  # type: ignore[attr-defined]
    pack = services.pack("kraken-ml-engineer")  # type: ignore[attr-defined]
    loop = _session(services, "browser:x", None)
    found = open_session_for(store, "browser:x", pack.name, profile_named(pack, FULL_LOOP))
    assert found is not None and found.session_id == loop.session_id
    assert len(found.stages) > 1


def test_unknown_profile_name_falls_back_to_the_first_stage(services: object) -> None:
    pack = services.pack("kraken-ml-engineer")  # type: ignore[attr-defined]
    assert profile_named(pack, "nope").stage == "initial-screening"
    assert profile_named(pack, None).stage == "initial-screening"


def test_store_dir_is_the_settings_one(services: object, settings: Settings) -> None:
    assert Path(services.store.directory) == settings.transcripts_dir  # type: ignore[attr-defined]
