"""Progress across sessions, from the transcripts: the model (per topic, question, key point),
its rules (trend, spaced repetition, weakest first), the cache that must always agree with the
transcripts, and the weak-spot plan a session records and resumes."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from session_support import FULL, PARTIAL, POOR, KeywordGrader, make_pack, make_services

from interviewer.app.privacy import delete_user_data, find_user_data
from interviewer.app.services import Services
from interviewer.core.session import PlanItem, SessionConfig
from interviewer.core.settings import Settings
from interviewer.interview.session import InterviewSession
from interviewer.interview.weak_plan import build_weak_plan, reason_for
from interviewer.transcripts.progress import (
    GOOD_GRADE,
    QuestionAttempt,
    QuestionProgress,
    SessionDigest,
    compute_progress,
    describe_due,
    review_days,
    trend_of,
    weakness_order,
)
from interviewer.transcripts.progress_cache import (
    CACHE_VERSION,
    cache_file,
    cache_files,
    load_digests,
    progress_for,
)
from interviewer.transcripts.store import JsonlTranscriptStore

ALICE = "user:alice"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def play(services: Services, answers: list[str], *, stage: str = "technical", questions: int = 2,
         seed: int = 1, owner: str | None = ALICE, plan: str = "standard") -> InterviewSession:
    """A session answered in order (`/skip` skips); it ends when the answers run out."""
    s = InterviewSession.create(services, SessionConfig(
        pack="mini", stage=stage, questions=questions, seed=seed, owner=owner, max_follow_ups=0,
        plan=plan))  # type: ignore[arg-type]
    s.start()
    for a in answers:
        if s.finished:
            break
        s.send(a)
    if not s.finished:
        s.end()
    return s


def progress(services: Services, owner: str | None = ALICE, **kw: object):  # noqa: ANN201
    return progress_for(services.store, owner, services.pack("mini"),
                        cache_dir=services.settings.progress_dir, **kw)  # type: ignore[arg-type]


# --- the model ---------------------------------------------------------------------------------


def test_one_session_lists_each_question_once_with_its_grade(settings: Settings) -> None:
    svc = make_services(settings)
    s = play(svc, [FULL, POOR])
    p = progress(svc)
    first, second = (i.question_id for i in s.plan)
    assert p.sessions == 1 and p.answered == 2
    assert {q.id for q in p.questions} == {first, second}
    by_id = {q.id: q for q in p.questions}
    assert by_id[first].attempts == 1 and by_id[first].last == 5.0 and by_id[first].best == 5.0
    assert by_id[second].attempts == 1 and by_id[second].last == 1.0
    assert p.questions[0].id == second  # weakest first
    # the poor answer missed every key point of its question; the full one none
    missed = {(m.question_id, m.point) for m in p.missed_key_points}
    assert {qid for qid, _ in missed} == {second}
    assert len(missed) == 3
    assert all(m.example_answer and "zebracorn" in m.example_answer
               for m in p.missed_key_points)
    # topics: the pack's table first, each practised one with one point for this session
    assert [t.topic for t in p.topics][:3] == ["Machine Learning", "Statistics", "Programming"]
    practised = [t for t in p.topics if t.history]
    assert practised and all(t.history[0].session_id == s.session_id for t in practised)
    assert all(t.trend == "new" for t in practised)


def test_a_second_attempt_updates_last_best_trend_and_key_points(settings: Settings) -> None:
    svc = make_services(settings)
    one = play(svc, [POOR, FULL], seed=1)
    target = one.plan[0].question_id
    two = play(svc, [FULL], questions=1, plan="weak")
    assert two.plan[0].question_id == target  # the 1.0 first
    p = progress(svc)
    q = p.question(target)
    assert q is not None and q.attempts == 2 and q.last == 5.0 and q.best == 5.0
    assert q.trend == "improving"
    assert [h.session_id for h in q.history] == [one.session_id, two.session_id]
    topic = p.topic(q.topic)
    assert topic is not None
    assert [h.session_id for h in topic.history] == [one.session_id, two.session_id]
    assert topic.trend == "improving" and topic.change is not None and topic.change > 0
    points = {k.point: k for k in q.key_points}
    assert all(k.missed == 1 and k.covered == 1 and k.last == "covered" for k in points.values())
    # missed once, but covered last time: listed after points still missed
    assert all(m.last == "covered" for m in p.missed_key_points if m.question_id == target)


def test_skips_count_as_seen_not_as_graded_attempts(settings: Settings) -> None:
    svc = make_services(settings)
    s = play(svc, ["/skip", PARTIAL])
    skipped = s.plan[0].question_id
    q = progress(svc).question(skipped)
    assert q is not None and q.attempts == 0 and q.skipped == 1 and q.last_skipped
    assert q.last is None and q.weak
    assert progress(svc).questions[0].id == skipped  # a skip ranks as the weakest


def test_only_the_owners_sessions_of_the_pack_count(settings: Settings) -> None:
    svc = make_services(settings)
    play(svc, [FULL, FULL], owner=ALICE)
    play(svc, [POOR, POOR], owner="user:bob", seed=2)
    play(svc, [POOR], owner=None, seed=3)
    alice, bob, nobody = progress(svc), progress(svc, "user:bob"), progress(svc, None)
    assert (alice.sessions, bob.sessions, nobody.sessions) == (1, 1, 1)
    assert all(q.last == 5.0 for q in alice.questions)
    assert all(q.last == 1.0 for q in bob.questions)
    assert nobody.answered == 1
    other = compute_progress(load_digests(svc.store, ALICE).digests, owner=ALICE, pack="other")
    assert other.sessions == 0 and other.questions == []


def test_trend_review_days_and_order_rules() -> None:
    assert trend_of([]) == (None, None)
    assert trend_of([3.0]) == ("new", None)
    assert trend_of([1.0, 2.0, 3.0])[0] == "improving"
    assert trend_of([4.0, 2.0])[0] == "declining"
    assert trend_of([3.0, 3.1, 3.0])[0] == "steady"
    assert trend_of([5, 5, 5, 5, 1, 2, 3, 4, 5])[0] == "improving"  # the last 5 only
    assert review_days(1.0) < review_days(2.5) < review_days(3.5) < review_days(4.2) \
        < review_days(4.8)
    assert review_days(None) == review_days(1.0)  # a skip: as soon as a 1
    assert review_days(5.0, streak=3) == 4 * review_days(5.0)
    assert review_days(2.0, streak=3) == review_days(2.0)  # only good attempts in a row
    assert describe_due(NOW - timedelta(hours=1), NOW) == "now"
    assert describe_due(NOW + timedelta(days=2, hours=1), NOW) == "in 3 days"

    def q(qid: str, last: float | None, days_ago: float, *, skipped: bool = False,
          due_in: float = 1.0) -> QuestionProgress:
        seen = NOW - timedelta(days=days_ago)
        return QuestionProgress(id=qid, question=qid, topic="t", last=last, last_skipped=skipped,
                                last_seen=seen, due=NOW + timedelta(days=due_in))

    items = [q("good-due-later", 4.5, 1, due_in=10), q("weak-2", 2.0, 1), q("weak-1-old", 1.0, 9),
             q("good-due-now", 4.8, 20, due_in=-3), q("weak-1-new", 1.0, 1),
             q("skipped", None, 2, skipped=True), q("borderline", GOOD_GRADE - 0.01, 1)]
    ordered = [x.id for x in sorted(items, key=weakness_order)]
    assert ordered == ["weak-1-old", "skipped", "weak-1-new", "weak-2", "borderline",
                       "good-due-now", "good-due-later"]


def _digest(sid: str, day: int, scores: dict[str, float | None]) -> SessionDigest:
    at = NOW - timedelta(days=30 - day)
    return SessionDigest(session_id=sid, owner=ALICE, pack="mini", mode="practice",
                         stage_ids=["technical"], started_at=at, finished=True, attempts=[
                             QuestionAttempt(session_id=sid, at=at, stage_id="technical",
                                             question_id=qid, topic="Statistics", title=qid,
                                             score=score, missed=[] if score else ["p"])
                             for qid, score in scores.items()])


def test_topic_history_is_one_mean_per_session_in_time_order() -> None:
    digests = [_digest("b" * 32, 2, {"tech-3": 3.0, "tech-4": 5.0}),
               _digest("a" * 32, 1, {"tech-3": 1.0, "tech-4": None})]
    p = compute_progress(digests, owner=ALICE, pack="mini", pack_data=make_pack(), now=NOW)
    stats = p.topic("Statistics")
    assert stats is not None
    assert [(h.session_id, h.score) for h in stats.history] == [("a" * 32, 1.0),
                                                                 ("b" * 32, 4.0)]
    assert stats.latest == 4.0 and stats.best == 4.0 and stats.attempts == 3
    q4 = p.question("tech-4")
    assert q4 is not None and q4.attempts == 1 and q4.skipped == 1 and not q4.last_skipped
    assert q4.question == "Tell me about tech 4?"  # the pack's text, not the digest's title
    assert p.topic("Programming") is not None and p.topic("Programming").history == []  # type: ignore[union-attr]


# --- the cache ---------------------------------------------------------------------------------


def test_the_cache_is_used_updated_and_rebuilt_from_the_transcripts(settings: Settings) -> None:
    svc = make_services(settings)
    sessions = [play(svc, [FULL, POOR], seed=i) for i in range(3)]
    first = load_digests(svc.store, ALICE, cache_dir=settings.progress_dir)
    assert first.rebuilt == 3
    path = cache_file(settings.progress_dir, ALICE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.progress_dir.stat().st_mode) == 0o700
    assert "alice" not in path.name  # owners never in paths
    again = load_digests(svc.store, ALICE, cache_dir=settings.progress_dir)
    assert again.rebuilt == 0 and again.digests == first.digests

    # a session that goes on is read again, its new digest appended; one deleted is dropped
    resumed = InterviewSession.resume(svc, sessions[0].session_id)
    assert resumed.finished
    unfinished = InterviewSession.create(svc, SessionConfig(
        pack="mini", stage="technical", questions=2, seed=9, owner=ALICE, max_follow_ups=0))
    unfinished.start()
    assert load_digests(svc.store, ALICE, cache_dir=settings.progress_dir).rebuilt == 1
    before = path.read_bytes()
    unfinished.send(FULL)
    after = load_digests(svc.store, ALICE, cache_dir=settings.progress_dir)
    assert after.rebuilt == 1
    assert any(d.session_id == unfinished.session_id and len(d.attempts) == 1
               for d in after.digests)
    grown = path.read_bytes()
    assert grown.startswith(before) and grown.count(b"\n") == before.count(b"\n") + 1
    JsonlTranscriptStore(settings.transcripts_dir).path(sessions[1].session_id).unlink()
    gone = load_digests(svc.store, ALICE, cache_dir=settings.progress_dir)
    assert sessions[1].session_id not in {d.session_id for d in gone.digests}
    lines = path.read_text().splitlines()  # written whole again: a header and the live ones
    assert json.loads(lines[0]) == {"version": CACHE_VERSION, "owner": ALICE}
    assert sorted(json.loads(x)["sid"] for x in lines[1:]) == sorted(
        d.session_id for d in gone.digests)

    # a damaged cache, or one from another version, is rebuilt and agrees with the transcripts
    expected = progress(svc, now=NOW)
    for summary in cache_files(settings.progress_dir, ALICE):
        if summary != path:
            summary.unlink()  # so progress is computed from the digests below
    with path.open("ab") as f:
        f.write(b'{"sid": "torn')  # a torn append
    assert load_digests(svc.store, ALICE, cache_dir=settings.progress_dir).rebuilt == 3
    lines = path.read_text().splitlines()
    path.write_text("\n".join([json.dumps({"version": 0, "owner": ALICE}), *lines[1:]]))
    assert progress(svc, now=NOW) == expected
    assert load_digests(svc.store, ALICE, cache_dir=settings.progress_dir).rebuilt == 0


def test_a_cache_that_lies_is_not_trusted_over_a_changed_transcript(settings: Settings) -> None:
    """The cache is keyed by each transcript's signature: a transcript replaced under it (here:
    another session's content under the same id) is read again, not served from the cache."""
    svc = make_services(settings)
    a = play(svc, [FULL, FULL], seed=1)
    b = play(svc, [POOR, POOR], seed=1)
    assert progress(svc).sessions == 2
    store = JsonlTranscriptStore(settings.transcripts_dir)
    text = store.path(b.session_id).read_text().replace(b.session_id, a.session_id)
    store.path(a.session_id).write_text(text)
    store.path(b.session_id).unlink()
    p = progress(svc)
    assert p.sessions == 1 and all(q.last == 1.0 for q in p.questions)


def test_an_unreadable_transcript_is_named_and_left_out(settings: Settings) -> None:
    svc = make_services(settings)
    good = play(svc, [FULL, FULL], seed=1)
    bad = play(svc, [POOR, POOR], seed=2)
    path = JsonlTranscriptStore(settings.transcripts_dir).path(bad.session_id)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b'{"type": "answered", "broken": true}\n'
    path.write_bytes(b"".join(lines))
    found = load_digests(svc.store, ALICE, cache_dir=settings.progress_dir)
    assert [d.session_id for d in found.digests] == [good.session_id]
    assert bad.session_id in found.unreadable and "line 3" in found.unreadable[bad.session_id]


def test_data_delete_removes_the_progress_cache(settings: Settings) -> None:
    svc = make_services(settings)
    play(svc, [FULL, POOR], owner=ALICE)
    play(svc, [FULL, POOR], owner="user:bob", seed=2)
    progress(svc)
    progress(svc, "user:bob")
    mine = cache_files(settings.progress_dir, ALICE)
    assert sorted(p.suffix for p in mine) == [".json", ".jsonl"]  # digests; progress, "mini"
    assert set(mine) <= set(find_user_data(settings, ALICE).files)
    report = delete_user_data(settings, ALICE)
    assert set(mine) <= set(report.deleted) and not any(p.exists() for p in mine)
    assert len(cache_files(settings.progress_dir, "user:bob")) == 2  # only hers went
    assert progress(svc).sessions == 0 and progress(svc, "user:bob").sessions == 1
    assert cache_files(settings.progress_dir, ALICE) == []  # nothing of hers to keep


def test_the_last_progress_is_reused_until_a_transcript_or_the_pack_changes(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.transcripts import progress_cache

    svc = make_services(settings)
    play(svc, [FULL, POOR])
    reads: list[str | None] = []
    real = progress_cache.load_digests

    def counting(store: object, owner: str | None, **kw: object) -> object:
        reads.append(owner)
        return real(store, owner, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(progress_cache, "load_digests", counting)
    first = progress(svc, now=NOW)
    again = progress(svc, now=NOW + timedelta(days=1))
    assert len(reads) == 1  # the second came from the summary
    assert again.generated_at == NOW + timedelta(days=1)
    assert again.model_copy(update={"generated_at": NOW}) == first
    play(svc, [FULL], seed=4, questions=1)  # a new session: computed again
    assert progress(svc).sessions == 2 and len(reads) == 2
    pack = svc.pack("mini")
    edited = pack.model_copy(update={"topics": pack.topics[:1]})  # the pack changed
    p = progress_for(svc.store, ALICE, edited, cache_dir=settings.progress_dir)
    assert len(reads) == 3 and [t.topic for t in p.topics if t.in_table] == ["Machine Learning"]
    # a damaged summary is computed again
    summary = next(f for f in cache_files(settings.progress_dir, ALICE) if f.suffix == ".json")
    summary.write_text("{")
    redone = progress_for(svc.store, ALICE, edited, cache_dir=settings.progress_dir)
    assert len(reads) == 4 and redone.questions == p.questions


# --- the weak-spot plan ------------------------------------------------------------------------


def test_weak_plan_orders_weakest_then_unseen_then_due(settings: Settings) -> None:
    pack = make_pack()
    digests = [_digest("a" * 32, 1, {"tech-1": 4.8, "tech-2": 2.0}),
               _digest("b" * 32, 2, {"tech-3": 1.0, "tech-4": None})]
    p = compute_progress(digests, owner=ALICE, pack="mini", pack_data=pack, now=NOW)
    config = SessionConfig(pack="mini", stage="technical", questions=6, owner=ALICE, plan="weak")
    plan = build_weak_plan(pack, config, p, seed=1, now=NOW)
    ids = [i.question_id for i in plan]
    # 1.0 and the skip (a skip ranks as 1.0; same day, so by id), then 2.0
    assert ids[:3] == ["tech-3", "tech-4", "tech-2"]
    assert set(ids[3:5]) == {"tech-5", "tech-6"}  # never practised
    assert ids[5] == "tech-1"  # good, reviewed last
    reasons = [i.reason for i in plan]
    assert reasons[0] and "1.0/5" in reasons[0] and "28 days ago" in reasons[0]
    assert reasons[1] and "skipped" in reasons[1]
    assert reasons[3] == "you have not practised it yet."
    assert reasons[5] and "4.8/5" in reasons[5] and "due" in reasons[5]
    assert all(i.stage_id == "technical" for i in plan)
    # a fixed seed gives the same plan; no history gives a plan of unseen questions
    assert build_weak_plan(pack, config, p, seed=1, now=NOW) == plan
    empty = compute_progress([], owner=ALICE, pack="mini", pack_data=pack, now=NOW)
    fresh = build_weak_plan(pack, config.model_copy(update={"questions": 2}), empty, seed=1)
    assert len(fresh) == 2 and all(i.reason == "you have not practised it yet." for i in fresh)


def test_weak_plan_across_the_loop_starts_with_the_weakest_question(
        settings: Settings) -> None:
    pack = make_pack()
    beh = SessionDigest(session_id="c" * 32, owner=ALICE, pack="mini", mode="practice",
                        stage_ids=["behavioral"], started_at=NOW - timedelta(days=3),
                        finished=True, attempts=[QuestionAttempt(
                            session_id="c" * 32, at=NOW - timedelta(days=3),
                            stage_id="behavioral", question_id="beh-2", topic="Teamwork",
                            title="beh-2", score=1.5)])
    digests = [_digest("a" * 32, 1, {"tech-1": 2.5}), beh]
    p = compute_progress(digests, owner=ALICE, pack="mini", pack_data=pack, now=NOW)
    config = SessionConfig(pack="mini", stage=None, questions=1, owner=ALICE, plan="weak")
    plan = build_weak_plan(pack, config, p, seed=4, now=NOW)
    assert len(plan) == 3  # one per stage of the loop, ranked together
    assert (plan[0].stage_id, plan[0].question_id) == ("behavioral", "beh-2")
    assert ("technical", "tech-1") in {(i.stage_id, i.question_id) for i in plan}
    stages = [i.stage_id for i in plan]
    assert stages == sorted(stages, key=stages.index)  # grouped: one opening per stage


def test_a_weak_session_records_its_plan_and_reasons_and_resumes_them(
        settings: Settings) -> None:
    svc = make_services(settings)
    first = play(svc, [FULL, POOR])
    weak = first.plan[1].question_id
    s = InterviewSession.create(svc, SessionConfig(pack="mini", stage="technical", questions=2,
                                                   owner=ALICE, plan="weak", seed=5))
    replies = s.start()
    asked = [r for r in replies if r.kind == "question"]
    assert asked[0].question_id == weak and asked[0].reason is not None
    assert "1.0/5" in asked[0].reason
    start = svc.store.load(s.session_id)[0]
    assert start.config.plan == "weak"  # type: ignore[union-attr]
    assert start.plan[0] == PlanItem(stage_id="technical", question_id=weak,  # type: ignore[union-attr]
                                     reason=asked[0].reason)
    # more history arrives before the resume: the recorded plan stands, with its reasons
    play(svc, [FULL, FULL], seed=8)
    again = InterviewSession.resume(make_services(settings), s.session_id)
    back = [r for r in again.resume_replies() if r.kind == "question"]
    assert back[0].question_id == weak and back[0].reason == asked[0].reason
    assert again.plan == s.plan
    # a standard session carries no reasons
    plain = InterviewSession.create(svc, SessionConfig(pack="mini", stage="technical",
                                                       questions=1, owner=ALICE, seed=5))
    assert all(r.reason is None for r in plain.start())


def test_reason_texts() -> None:
    assert reason_for(None, NOW) == "you have not practised it yet."
    weak = QuestionProgress(id="x", question="x", topic="t", attempts=2, last=2.0, best=3.0,
                            last_seen=NOW - timedelta(days=3), due=NOW)
    assert reason_for(weak, NOW) == ("your last grade on it was 2.0/5 (3 days ago; 2 attempts, "
                                     "best 3.0).")
    good = weak.model_copy(update={"last": 4.5, "best": 4.5, "due": NOW + timedelta(days=5)})
    assert reason_for(good, NOW) == ("the one seen longest ago (due in 5 days): last seen "
                                     "3 days ago, last grade 4.5/5.")


def test_keyword_grader_scores_are_what_the_tests_assume() -> None:
    """The scenarios above lean on FULL = 5 and POOR = 1 with the keyword grader."""
    from interviewer.core.grade import GradeRequest

    pack = make_pack()
    g = KeywordGrader()
    q = pack.question("tech-1")
    assert g.grade(GradeRequest(question=q, answer=FULL)).score == 5.0
    assert g.grade(GradeRequest(question=q, answer=POOR)).score == 1.0


def test_an_unwritable_cache_only_costs_a_rebuild(settings: Settings,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    svc = make_services(settings)
    play(svc, [FULL, POOR])
    settings.progress_dir.write_text("a file where the cache folder should be")
    assert progress(svc).sessions == 1
    assert progress(svc).sessions == 1  # and again: nothing cached, nothing broken
    assert "progress cache" in caplog.text and "rebuilt next time" in caplog.text


def test_the_bench_section_runs_on_a_small_store(settings: Settings, tmp_path: Path) -> None:
    """`make bench`'s progress section end to end on 20 synthetic sessions (its timings are the
    bench's business; here: it runs, reads every session once, then only the new one)."""
    from evals import bench

    result = bench.bench_progress(settings, tmp_path, sessions=20, runs=2)
    assert result.metrics["progress_sessions"] == 20 + bench.NEW_SESSIONS
    assert {"progress_first_run_s", "progress_1000_p95_ms", "progress_1000_cpu_p95_ms",
            "progress_after_new_session_p50_ms", "weak_plan_1000_ms"} <= set(result.metrics)


def test_the_digests_file_is_compacted_when_superseded_lines_pile_up(
        settings: Settings) -> None:
    from interviewer.core.events import CandidateSaid
    from interviewer.transcripts.progress_cache import COMPACT_AT

    svc = make_services(settings)
    sid = play(svc, [FULL, POOR]).session_id
    path = cache_file(settings.progress_dir, ALICE)
    counts = []
    for _ in range(COMPACT_AT + 20):  # the session changes again and again (a long session)
        svc.store.append(sid, CandidateSaid(handled_as="help", text="/help"))
        assert load_digests(svc.store, ALICE, cache_dir=settings.progress_dir).rebuilt == 1
        counts.append(len(path.read_text().splitlines()))
    assert max(counts) <= 1 + COMPACT_AT * 1 + 16 + 1  # header + the allowance + the new line
    assert 2 in counts[1:]  # rewritten whole at least once: the header and the one session
    assert progress(svc).sessions == 1
