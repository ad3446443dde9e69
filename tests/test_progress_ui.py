"""My progress and Practise my weak spots on the chat page, with Chainlit faked (the fakes of
test_ui_chat): only the chat's owner's interviews count, the chart and the HTML report come
with the summary, the example answers behind the most-missed key points are there, and the
weak-spot start asks the weakest question first and says why."""

from __future__ import annotations

from session_support import FULL, POOR, make_services
from test_ui_chat import OWNER, PAGE, FakeElement, fake_chainlit, new_chat, run  # noqa: F401

from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.ui import progress_view
from interviewer.ui.chat import Chat


def _session(chat: Chat, answers: list[str], plan: str = "standard") -> str:
    async def go() -> str:
        await chat.start_new(plan)  # type: ignore[arg-type]
        for a in answers:
            await chat.on_text(a, [])
        await chat.on_action("end", chat.session.session_id)  # type: ignore[union-attr]
        return chat.session.session_id  # type: ignore[union-attr]

    return run(go)


def test_my_progress_shows_the_owners_chart_report_and_example_answers(
        settings: Settings) -> None:
    svc = make_services(settings)
    mine = new_chat(settings, services=svc, questions=2)
    sid1 = _session(mine, [POOR, "/skip", FULL])  # the follow-up on POOR skipped
    sid2 = _session(mine, [FULL, FULL], plan="weak")  # the POOR question again first
    other = new_chat(settings, services=svc, questions=2)
    other.owner = "browser:" + "b" * 43
    _session(other, [POOR, POOR])

    mark = PAGE.mark()
    run(mine.show_progress)
    msg = PAGE.messages(mark)[0]
    # the plan is drawn at random: whether POOR got a follow-up (so /skip skipped it, not the
    # next question) depends on the question; count what the transcripts hold
    graded = sum(r.final_grade is not None for sid in (sid1, sid2)
                 for r in Transcript.from_events(svc.store.load(sid)).questions)
    assert msg.content.startswith(f"**Your progress** · 2 session(s), {graded} graded answer(s)")
    assert "| Machine Learning |" in msg.content and "Practise next" in msg.content
    assert "Key points most often missed" in msg.content
    assert [a.name for a in msg.actions] == ["weak_plan"]
    plotly = [e for e in msg.elements if isinstance(e, FakeElement) and "figure" in e.kwargs]
    assert len(plotly) == 1
    fig = plotly[0].kwargs["figure"]
    assert max(len(t.x) for t in fig.data) == 2  # a topic practised in both sessions: 2 points
    report, = [e for e in msg.elements if e.kwargs.get("name") == progress_view.REPORT_NAME]
    html = report.kwargs["content"].decode()
    assert "<svg" in html and OWNER in html and "b" * 43 not in html
    examples, = [s for s in PAGE.steps(mark) if s.name.startswith("Example answers")]
    assert examples.children and "zebracorn" in examples.children[0].output
    events = svc.store.load(sid2)
    assert events[0].plan[0].question_id == svc.store.load(sid1)[0].plan[0].question_id  # type: ignore[union-attr]


def test_the_weak_spot_start_asks_the_weakest_question_first_and_says_why(
        settings: Settings) -> None:
    svc = make_services(settings)
    chat = new_chat(settings, services=svc, questions=2)
    _session(chat, [FULL, POOR])
    weakest = chat.session.plan[1].question_id  # type: ignore[union-attr]

    weak = new_chat(settings, services=svc, questions=2)
    mark = PAGE.mark()
    run(lambda: weak.start_new("weak"))
    texts = PAGE.texts(mark)
    assert texts[0].startswith("**Practising your weak spots.**")
    question = next(t for t in texts if "Question 1 of 2" in t)
    assert "*Why this question: your last grade on it was 1.0/5" in question
    assert weak.session is not None and weak.session.plan[0].question_id == weakest
    assert weak.session.config.plan == "weak"


def test_progress_without_an_owner_says_why_nothing_shows(settings: Settings) -> None:
    chat = new_chat(settings)
    chat.owner = None
    mark = PAGE.mark()
    run(chat.show_progress)
    assert "Progress is kept per user" in PAGE.texts(mark)[0]


def test_no_history_yet(settings: Settings) -> None:
    chat = new_chat(settings)
    mark = PAGE.mark()
    run(chat.show_progress)
    msg = PAGE.messages(mark)[0]
    assert "No graded answers yet" in msg.content and msg.elements == []
