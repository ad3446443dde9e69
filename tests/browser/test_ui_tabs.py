"""Two tabs on one interview, and a refused over-long answer, in real Chromium."""

from __future__ import annotations

from pathlib import Path

from harness import ChatPage, RequestLog, Server

from interviewer.core.events import Answered
from interviewer.transcripts.store import JsonlTranscriptStore

ANSWER = ("MARKER-TAB-ONE. I have built fraud models in Python with scikit-learn and gradient "
          "boosting, deployed them behind a FastAPI service with monitoring and alerting.")
STALE = "MARKER-TAB-TWO. An answer typed in the tab that still shows the first question."


def test_a_stale_tab_is_told_and_catches_up(server: Server, context: object,
                                            requests_seen: RequestLog, output_dir: Path) -> None:
    first = context.new_page()  # type: ignore[attr-defined]
    tab1 = ChatPage(first, output_dir, "tabs-1")
    first.goto(server.url)
    tab1.wait_for("Question 1 of")
    tab1.wait_idle()

    second = context.new_page()  # type: ignore[attr-defined]  # same browser: same interview
    tab2 = ChatPage(second, output_dir, "tabs-2")
    second.goto(server.url)
    tab2.wait_for("Welcome back")
    tab2.wait_for("Question 1 of")
    tab2.wait_idle()

    tab1.send(ANSWER)
    first.get_by_text("Question 2 of").or_(first.get_by_text("Follow-up:")).first.wait_for()
    tab1.wait_idle()

    tab2.send(STALE)
    moved = tab2.wait_for("moved on in another tab")
    assert "MARKER-TAB-TWO" in moved  # the text comes back
    second.get_by_text("Question 2 of").or_(second.get_by_text("Follow-up:")).last.wait_for()
    tab2.wait_idle()
    tab2.shot("01-stale-tab-caught-up")

    store = JsonlTranscriptStore(server.data_dir / "transcripts")
    sessions = [store.load(i.session_id) for i in store.list()]
    mine, = [evs for evs in sessions if any(
        isinstance(e, Answered) and "MARKER-TAB-ONE" in e.answer for e in evs)]
    assert [e.plan_index for e in mine if isinstance(e, Answered)] == [0]
    assert not any(isinstance(e, Answered) and "MARKER-TAB-TWO" in e.answer for e in mine)
    assert requests_seen.outside() == []
    assert server.outbound() == []


def test_a_refused_long_answer_comes_back_collapsed(server: Server, page: object,
                                                    requests_seen: RequestLog,
                                                    output_dir: Path) -> None:
    chat = ChatPage(page, output_dir, "long")
    page.goto(server.url)  # type: ignore[attr-defined]
    chat.wait_for("Question 1 of")
    text = "MARKER-LONG " + "word " * 4_098  # 20,502 characters, over the 20,000 limit
    chat.send(text)
    notice = chat.wait_for("the limit is 20,000")
    assert f"{len(text):,} characters" in notice and len(notice) < 1_000
    step = page.get_by_text(f"Your text, kept ({len(text):,} characters)")  # type: ignore[attr-defined]
    step.first.click()
    page.get_by_text("MARKER-LONG", exact=False).first.wait_for()  # type: ignore[attr-defined]
    chat.shot("01-kept-collapsed")
    assert requests_seen.outside() == []
