"""Transcripts: durable JSONL store (fsync, 0600, torn tail), resume after a crash (simulated and
a real SIGKILL), summary, and exports that show hostile candidate text as text."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from session_support import FULL, PARTIAL, POOR, make_services

from interviewer.app.services import Services
from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.events import Answered, Said
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.export import (
    export,
    md_block,
    md_escape,
    to_html,
    to_json,
    to_markdown,
)
from interviewer.transcripts.store import JsonlTranscriptStore, TranscriptStoreError

TESTS_DIR = Path(__file__).resolve().parent
HOSTILE = ("<script>alert('x')</script> **bold** [link](javascript:alert(1)) "
           "<img src=x onerror=alert(2)>\n# heading\n```\nfence\n```\n- list & <b>tag</b>")


@pytest.fixture
def services(settings: Settings) -> Services:
    return make_services(settings)


def _session(services: Services, **kw: object) -> InterviewSession:
    cfg = {"pack": "mini", "stage": "technical", "questions": 3, "seed": 2, **kw}
    return InterviewSession.create(services, SessionConfig(**cfg))  # type: ignore[arg-type]


def _answered(store: JsonlTranscriptStore, sid: str) -> list[str]:
    return [e.answer for e in store.load(sid) if isinstance(e, Answered)]


def _played(services: Services, *answers: str
            ) -> tuple[InterviewSession, JsonlTranscriptStore, Path]:
    """A session started and sent these answers, its JSONL store and its file."""
    s = _session(services)
    s.start()
    for answer in answers:
        s.send(answer)
    store = services.store
    assert isinstance(store, JsonlTranscriptStore)
    return s, store, store.path(s.session_id)


def test_files_are_private_and_one_event_per_line(services: Services) -> None:
    s, store, path = _played(services, FULL)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    lines = path.read_text().splitlines()
    assert all(json.loads(line)["type"] for line in lines)
    assert json.loads(lines[0])["type"] == "session_started"
    assert len(s.session_id) == 32 and int(s.session_id, 16) >= 0  # a uuid


def test_torn_last_line_is_ignored_and_resume_loses_no_answered_turn(
        services: Services) -> None:
    s, store, path = _played(services, FULL, PARTIAL)
    before = _answered(store, s.session_id)
    # simulate a crash mid-write: a partial event at the end of the file
    with open(path, "ab") as f:
        f.write(b'{"at":"2026-01-01T00:00:00Z","type":"answered","plan_in')
    assert _answered(store, s.session_id) == before == [FULL, PARTIAL]
    fresh = make_services(services.settings)
    resumed = InterviewSession.resume(fresh, s.session_id)
    assert resumed.status().answered == 2
    assert [r.kind for r in resumed.resume_replies()] == ["notice", "follow_up"]
    resumed.send(FULL)  # the next append cuts the torn tail first
    assert _answered(fresh.store, s.session_id) == [FULL, PARTIAL, FULL]  # type: ignore[arg-type]
    for line in path.read_text().splitlines():
        json.loads(line)  # every line is whole again


def test_truncated_last_event_is_dropped_cleanly(services: Services) -> None:
    """Cut the file inside its last event (answered): resume decides again from the rest."""
    s, store, path = _played(services, FULL, FULL)
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    # drop everything after the second answer, then tear that answer's line in half
    idx = max(i for i, line in enumerate(lines) if b'"type":"answered"' in line)
    path.write_bytes(b"".join(lines[:idx]) + lines[idx][: len(lines[idx]) // 2])
    resumed = InterviewSession.resume(make_services(services.settings), s.session_id)
    assert resumed.status().answered == 1
    assert resumed.current_question is not None  # the torn answer's question is open again


def test_resume_between_answer_and_next_question(services: Services) -> None:
    """A crash after the answer was saved but before the next question: it is asked on resume."""
    s, store, path = _played(services, FULL)
    lines = path.read_text().splitlines(keepends=True)
    idx = max(i for i, line in enumerate(lines) if '"type":"answered"' in line)
    path.write_text("".join(lines[: idx + 1]))
    resumed = InterviewSession.resume(make_services(services.settings), s.session_id)
    kinds = [r.kind for r in resumed.resume_replies()]
    assert kinds == ["notice", "feedback", "question"]
    assert resumed.status().question_number == 2


def test_corrupt_middle_line_is_an_error_not_silence(services: Services) -> None:
    s, store, path = _played(services, FULL)
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = "{not json\n"
    path.write_text("".join(lines))
    with pytest.raises(TranscriptStoreError, match="line 2"):
        store.load(s.session_id)


@pytest.mark.parametrize("tail", [b'{"broken', b'{"broken\n', b'{"type":"said"}'])
def test_a_torn_last_line_is_skipped_with_a_warning_and_the_next_append_starts_clean(
        services: Services, tail: bytes, caplog: pytest.LogCaptureFixture) -> None:
    """What a crash mid-write leaves (no newline, or not JSON), appended while the app runs:
    every earlier event loads, and the same store's next append does not glue onto it."""
    s, store, path = _played(services, FULL, PARTIAL)
    before = store.load(s.session_id)
    with open(path, "ab") as f:
        f.write(tail)
    with caplog.at_level("WARNING", logger="interviewer.transcripts.store"):
        assert store.load(s.session_id) == before
        assert [i.session_id for i in store.list()] == [s.session_id]
    assert "partial event" in caplog.text and str(path) in caplog.text
    s.send(FULL)  # the same process goes on writing (the UI server did not restart)
    assert _answered(store, s.session_id) == [FULL, PARTIAL, FULL]
    for line in path.read_bytes().splitlines():
        json.loads(line)  # every line whole: the fragment was cut, not glued to
    assert path.read_bytes().endswith(b"\n")


def test_a_whole_last_event_that_lost_its_newline_is_kept(services: Services) -> None:
    s, store, path = _played(services, FULL)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    before = store.load(s.session_id)
    s.send(PARTIAL)
    assert store.load(s.session_id)[: len(before)] == before
    assert _answered(store, s.session_id) == [FULL, PARTIAL]


def test_a_corrupt_line_says_where_and_what_in_plain_words(services: Services) -> None:
    s, store, path = _played(services, FULL)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = '{"type":"said","kind":"notice"}\n'  # a valid JSON line that is not an event
    path.write_text("".join(lines))
    with pytest.raises(TranscriptStoreError) as err:
        store.load(s.session_id)
    message = str(err.value)
    assert message == f"{path}: line 3 is corrupt: said event: field 'text' is missing"
    lines[2] = "{not json\n"
    path.write_text("".join(lines))
    with pytest.raises(TranscriptStoreError, match=r"line 3 is corrupt: not valid JSON \("):
        store.load(s.session_id)
    lines[2] = '{"type":"nonsense"}\n'
    path.write_text("".join(lines))
    with pytest.raises(TranscriptStoreError, match="line 3 is corrupt: unknown event type "
                                                   "'nonsense'"):
        store.load(s.session_id)


def test_list_reports_unreadable_sessions_instead_of_dropping_them(
        services: Services, caplog: pytest.LogCaptureFixture) -> None:
    good, store, _ = _played(services, FULL)
    bad, _, bad_path = _played(services, FULL)
    lines = bad_path.read_text().splitlines(keepends=True)
    lines[1] = "{not json\n"
    bad_path.write_text("".join(lines))
    with caplog.at_level("WARNING", logger="interviewer.transcripts.store"):
        assert [i.session_id for i in store.list()] == [good.session_id]
        store.list()  # the UI lists on every page load: one warning per damaged file
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert bad.session_id in warnings[0] and "line 2 is corrupt: not valid JSON" in warnings[0]
    [unreadable] = store.unreadable()
    assert unreadable.session_id == bad.session_id and unreadable.path == bad_path
    assert "line 2 is corrupt" in unreadable.reason


def test_ids_are_checked_and_unknown_ids_not_found(services: Services) -> None:
    store = services.store
    for bad in ("../../etc/passwd", "abc", "x" * 32):
        with pytest.raises(InputError):
            store.load(bad)
    with pytest.raises(NotFoundError):
        store.load("a" * 32)


def test_sigkill_mid_session_loses_no_acknowledged_answer(settings: Settings,
                                                          tmp_path: Path) -> None:
    """A child answers questions in a loop and reports each acknowledged answer; it is killed
    with SIGKILL mid-session; every acknowledged answer is then in the transcript on resume."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from session_support import make_services, FULL
        from interviewer.core.settings import Settings
        from interviewer.interview.session import InterviewSession
        from interviewer.core.session import SessionConfig
        settings = Settings(data_dir={str(settings.data_dir)!r})
        s = InterviewSession.create(make_services(settings), SessionConfig(
            pack="mini", stage=None, questions=10, seed=1, max_follow_ups=0))
        print("SESSION", s.session_id, flush=True)
        s.start()
        n = 0
        while True:
            if s.finished:
                s = InterviewSession.create(make_services(settings), SessionConfig(
                    pack="mini", stage=None, questions=10, seed=1, max_follow_ups=0))
                print("SESSION", s.session_id, flush=True)
                s.start()
            n += 1
            answer = FULL + " answer " + str(n)
            s.send(answer)
            print("ACK", s.session_id, answer, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    acked: list[tuple[str, str]] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                _, sid, answer = line.rstrip("\n").split(" ", 2)
                acked.append((sid, answer))
            if len(acked) >= 15:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 15
    store = JsonlTranscriptStore(settings.transcripts_dir)
    for sid in {sid for sid, _ in acked}:
        saved = _answered(store, sid)
        assert [a for s_, a in acked if s_ == sid] == saved[: len([1 for s_, _ in acked
                                                                  if s_ == sid])]
        resumed = InterviewSession.resume(make_services(settings), sid)
        resumed.resume_replies()  # resumes cleanly whatever the kill interrupted
        assert resumed.status().answered >= len([1 for s_, _ in acked if s_ == sid])


# --- summary and exports -------------------------------------------------------------------------

def _finished(services: Services, answers: list[str]) -> InterviewSession:
    s = _session(services, max_follow_ups=0)
    s.start()
    for a in answers:
        s.send(a)
    if not s.finished:
        s.end()
    return s


def test_summary_scores_strongest_weakest_and_next_steps(services: Services) -> None:
    s = _finished(services, [FULL, POOR, "/skip"])
    summary = s.summary()
    assert (summary.answered, summary.skipped, summary.planned) == (2, 1, 3)
    assert summary.overall == pytest.approx((5.0 + 1.0) / 2)
    assert {c.id for c in summary.criteria} == {"correctness", "completeness", "depth",
                                                 "communication"}
    assert all(c.count == 2 for c in summary.criteria)
    assert summary.strongest[0].score == 5.0 and summary.weakest[0].score == 1.0
    assert summary.next_steps and any("skipped" in x for x in summary.next_steps)
    assert sum(t.count for t in summary.topics) == 2


class _TextAndTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_export_escapes_candidate_text_and_is_self_contained(services: Services) -> None:
    s = _finished(services, [HOSTILE + " zebracorn", FULL])
    page = to_html(s.transcript())
    parser = _TextAndTags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert "<script>alert('x')</script>" in "".join(parser.text)  # shown as text
    assert "&lt;script&gt;" in page
    assert "Content-Security-Policy" in page and "<svg" in page and "<style>" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    for rec in s.transcript().questions:
        if rec.asked:
            assert rec.question in "".join(parser.text)


def test_markdown_export_shows_candidate_text_as_text(services: Services) -> None:
    s = _finished(services, [HOSTILE, FULL])
    md = to_markdown(s.transcript())
    # the answer sits in a fence no line of it can close
    block = md_block(HOSTILE)
    assert block in md
    assert block.startswith("````text")  # longer than the ``` inside the answer
    # outside fences nothing of the answer can render as HTML
    outside = md.replace(block, "")
    assert "<script>" not in outside and "<img" not in outside
    assert "Score card" in md and "Example answer" in md


def test_md_escape_neutralises_markup() -> None:
    out = md_escape("<b>x</b> *y* [z](http://e) # not a heading\n- not a list\n1. nor this")
    assert "<" not in out and ">" not in out
    assert r"\*y\*" in out and r"\[z\]" in out
    assert "\n\\- not a list" in out.replace("  \n", "\n")
    assert "1\\. nor this" in out


def test_json_export_is_valid_and_embeddable(services: Services) -> None:
    s = _finished(services, [HOSTILE, FULL])
    text = to_json(s.transcript())
    assert "<script>" not in text and "<" not in text
    data = json.loads(text)
    answers = [x["answer"] for q in data["transcript"]["questions"] for x in q["exchanges"]
               if x["answer"]]
    assert HOSTILE in answers  # the exact text round-trips
    assert data["summary"]["answered"] == 2


def test_export_files_and_transcript_round_trip(services: Services, tmp_path: Path) -> None:
    s = _finished(services, [FULL, PARTIAL])
    t = Transcript.from_events(services.store.load(s.session_id))
    assert t == s.transcript()
    for fmt in ("md", "json", "html"):
        path = export(t, fmt, tmp_path / "out")  # type: ignore[arg-type]
        assert path.name == f"{s.session_id}.{fmt}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_size > 200


def test_transcript_records_versions_and_timestamps(services: Services) -> None:
    s = _finished(services, [FULL])
    events = services.store.load(s.session_id)
    ans = next(e for e in events if isinstance(e, Answered))
    assert ans.asked_at is not None and ans.asked_at <= ans.answered_at <= ans.at
    assert ans.grade.provenance.calibration_version == "keyword-test"
    assert ans.interviewer == "offline"
    t = s.transcript()
    assert t.grader_versions == ["reference"] and t.interviewer == "offline"
    assert any(isinstance(e, Said) and e.kind == "feedback" for e in events)


def test_an_answer_is_never_both_strongest_and_weakest(services: Services) -> None:
    one = _finished(services, [FULL]).summary()
    assert one.strongest == [] and one.weakest == []  # nothing to stand out from
    three = _finished(services, [FULL, POOR, PARTIAL]).summary()
    strong = {r.question_id for r in three.strongest}
    weak = {r.question_id for r in three.weakest}
    assert strong and weak and not strong & weak


def test_answers_that_scored_alike_are_neither_strongest_nor_weakest(services: Services) -> None:
    tied = _finished(services, [POOR, POOR]).summary()
    assert tied.strongest == [] and tied.weakest == []
    assert "2 answered questions" in tied.headline()


@pytest.mark.parametrize(("mode", "stage", "expect"), [
    ("practice", "technical", "full loop in interview mode"),
    ("interview", "technical", "harder difficulty, or try the full loop"),
    ("interview", None, "run the full loop again at a harder difficulty"),
])
def test_a_strong_session_is_told_to_try_something_it_was_not(
        services: Services, mode: str, stage: str | None, expect: str) -> None:
    from interviewer.core.summary import _after_a_strong_session

    cfg = {"pack": "mini", "questions": 1, "seed": 4, "mode": mode, "stage": stage}
    s = InterviewSession.create(services, SessionConfig(**cfg))  # type: ignore[arg-type]
    s.start()
    assert expect in _after_a_strong_session(s.transcript())
