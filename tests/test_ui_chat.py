"""The chat page's behaviour with Chainlit faked: two tabs on one interview, buttons of an
earlier interview, resuming another stage, the history list, interview mode's end review and
returned text. Each `Chat` drives a real `InterviewSession` on a real transcript store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from session_support import FULL, POOR, KeywordGrader, make_services

from interviewer.core.events import Answered, Asked, CandidateSaid, Ended, Event, Skipped
from interviewer.core.settings import Settings
from interviewer.interview.session import InterviewSession
from interviewer.ui import chat as chat_mod
from interviewer.ui.chat import Chat
from interviewer.ui.profiles import ChatChoices, profile_named

T = TypeVar("T")
OWNER = "browser:" + "a" * 43


class Page:
    """What the faked Chainlit put on the page, in order (steps nest under their parent)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.open_steps: list[FakeStep] = []

    def mark(self) -> int:
        return len(self.items)

    def messages(self, since: int = 0) -> list[FakeMessage]:
        return [i for i in self.items[since:] if isinstance(i, FakeMessage)]

    def texts(self, since: int = 0) -> list[str]:
        return [m.content for m in self.messages(since)]

    def steps(self, since: int = 0) -> list[FakeStep]:
        return [i for i in self.items[since:] if isinstance(i, FakeStep)]


PAGE = Page()


class FakeAction:
    def __init__(self, name: str, payload: dict[str, Any], label: str = "",
                 icon: str | None = None, tooltip: str = "") -> None:
        self.name, self.payload, self.label = name, payload, label


class FakeMessage:
    def __init__(self, content: str = "", author: str | None = None,
                 actions: list[FakeAction] | None = None, elements: list[Any] | None = None
                 ) -> None:
        self.content, self.author = content, author
        self.actions = list(actions or [])
        self.elements = list(elements or [])

    async def send(self) -> FakeMessage:
        if self not in PAGE.items:
            PAGE.items.append(self)
        return self

    async def update(self) -> bool:
        return True

    async def stream_token(self, token: str) -> None:
        self.content += token

    async def remove_actions(self) -> None:
        self.actions = []

    async def remove(self) -> None:
        if self in PAGE.items:
            PAGE.items.remove(self)


class FakeStep:
    def __init__(self, name: str = "", type: str = "undefined", **_: Any) -> None:
        self.name, self.output = name, ""
        self.children: list[FakeStep] = []

    async def __aenter__(self) -> FakeStep:
        parent = PAGE.open_steps[-1] if PAGE.open_steps else None
        (parent.children if parent else PAGE.items).append(self)
        PAGE.open_steps.append(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        PAGE.open_steps.pop()


class FakeElement:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        figure = kwargs.get("figure")  # cl.Plotly keeps its figure as JSON in `content`
        self.content = figure.to_json() if figure is not None else kwargs.get("content", "")


@pytest.fixture(autouse=True)
def fake_chainlit(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    PAGE.items.clear()
    PAGE.open_steps.clear()
    fake = SimpleNamespace(Message=FakeMessage, ErrorMessage=FakeMessage, Action=FakeAction,
                           Step=FakeStep, File=FakeElement, Plotly=FakeElement)
    monkeypatch.setattr(chat_mod, "cl", fake)
    monkeypatch.setattr(chat_mod, "related_material", lambda *a, **k: [])  # no index build
    yield PAGE


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """One event loop per scenario, in a fresh thread (playwright's sync API, in the same run,
    keeps a loop in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make()).result()


def new_chat(settings: Settings, *, stage: str = "Technical Interview", mode: str = "practice",
             questions: int = 3, services: Any = None) -> Chat:
    svc = services or make_services(settings)
    pack = svc.pack("mini")
    return Chat(services=svc, pack=pack, owner=OWNER, profile=profile_named(pack, stage),
                choices=ChatChoices(mode=mode, questions=questions), max_upload_bytes=4096)


def events(chat: Chat, session_id: str) -> list[Event]:
    return chat.services.store.load(session_id)


def answered(evs: list[Event], plan_index: int) -> list[Answered]:
    return [e for e in evs if isinstance(e, Answered) and e.plan_index == plan_index]


def button_ids(msg: FakeMessage) -> set[str]:
    return {a.payload.get("session_id") for a in msg.actions if a.name in chat_mod.COMMAND_FOR}


# --- two tabs (or two processes) on one interview --------------------------------------------


def test_a_stale_tab_does_not_answer_a_question_that_moved_on(settings: Settings) -> None:
    """Tab 2 still shows Q1 after tab 1 answered it: its answer is not applied, it reloads from
    the transcript, says so, shows Q2 and returns the text. Separate services (two stores on
    one directory) stand in for two processes: the check is against the store."""
    tab1 = new_chat(settings)
    tab2 = new_chat(settings, services=make_services(settings))

    async def scenario() -> tuple[str, int]:
        await tab1.start_new()
        sid = tab1.session.session_id  # type: ignore[union-attr]
        await tab2.resume(sid)  # the second tab opens the same interview
        await tab1.on_text(FULL, [])  # Q1 answered; Q2 asked in tab 1
        mark = PAGE.mark()
        await tab2.on_text("MARKER-STALE " + FULL, [])
        return sid, mark

    sid, mark = run(scenario)
    evs = events(tab1, sid)
    assert len(answered(evs, 0)) == 1
    assert not any("MARKER-STALE" in e.answer for e in evs if isinstance(e, Answered))
    texts = PAGE.texts(mark)
    assert "moved on in another tab" in texts[0] and "MARKER-STALE" in texts[0]
    assert any("Question 2 of 3" in t for t in texts)
    assert tab2.session is not None and tab2.session.open_turn == (1, 0)

    run(lambda: tab2.on_text(FULL, []))  # now in step: applied to Q2
    assert len(answered(events(tab1, sid), 1)) == 1


def test_a_stale_tabs_button_is_not_applied(settings: Settings) -> None:
    tab1, tab2 = new_chat(settings), new_chat(settings)

    async def scenario() -> tuple[str, int]:
        await tab1.start_new()
        sid = tab1.session.session_id  # type: ignore[union-attr]
        await tab2.resume(sid)
        await tab1.on_text(FULL, [])
        mark = PAGE.mark()
        await tab2.on_action("skip", sid)  # would skip Q2, unseen in this tab
        return sid, mark

    sid, mark = run(scenario)
    assert not any(isinstance(e, Skipped) for e in events(tab1, sid))
    texts = PAGE.texts(mark)
    assert "moved on in another tab" in texts[0] and "that button was not applied" in texts[0]
    assert any("Question 2 of 3" in t for t in texts)


def test_a_hint_in_another_tab_does_not_block_an_answer(settings: Settings) -> None:
    """The same question is still open: the turn goes ahead on the reloaded session."""
    tab1, tab2 = new_chat(settings), new_chat(settings)

    async def scenario() -> str:
        await tab1.start_new()
        sid = tab1.session.session_id  # type: ignore[union-attr]
        await tab2.resume(sid)
        await tab1.on_action("hint", sid)
        await tab2.on_text(FULL, [])
        return sid

    sid = run(scenario)
    assert len(answered(events(tab1, sid), 0)) == 1
    assert not any("moved on" in t for t in PAGE.texts())


class _OvertakenWhileGrading:
    """A grader during whose work another tab answers the same question and wins the race:
    both tabs were in step when they checked the transcript, so only the write can tell."""

    name = "keyword"

    def __init__(self, other: Callable[[], object]) -> None:
        self.inner, self.other, self.fired = KeywordGrader(), other, False

    def grade(self, request: Any) -> Any:
        if not self.fired:
            self.fired = True
            self.other()
        return self.inner.grade(request)


def test_two_tabs_sending_at_the_same_instant_one_is_told(settings: Settings) -> None:
    """Both tabs pass the staleness check; the other tab's answer is recorded first. This tab's
    write is refused (compare-and-append): it says so, returns the text, shows where the
    interview stands, and the question is answered once."""
    tab1 = new_chat(settings)
    racing: dict[str, Any] = {}
    grader = _OvertakenWhileGrading(lambda: racing["session"].send(FULL))
    tab2 = new_chat(settings, services=make_services(settings, grader=grader))

    async def scenario() -> tuple[str, int]:
        await tab1.start_new()
        sid = tab1.session.session_id  # type: ignore[union-attr]
        await tab2.resume(sid)
        racing["session"] = tab1.session
        mark = PAGE.mark()
        await tab2.on_text("MARKER-RACE " + FULL, [])
        return sid, mark

    sid, mark = run(scenario)
    assert grader.fired
    evs = events(tab1, sid)
    assert len(answered(evs, 0)) == 1
    assert not any("MARKER-RACE" in e.answer for e in evs if isinstance(e, Answered))
    assert not any("MARKER-RACE" in e.text for e in evs if isinstance(e, CandidateSaid))
    texts = PAGE.texts(mark)
    assert "moved on in another tab" in texts[0] and "your message was not applied" in texts[0]
    assert "MARKER-RACE" in texts[0]  # the text is given back
    assert not any(t.startswith("Something went wrong") for t in texts)
    assert any("Question 2 of 3" in t for t in texts)
    assert tab2.session is not None and tab2.session.open_turn == (1, 0)
    run(lambda: tab2.on_text(FULL, []))  # in step again: applied to Q2
    assert len(answered(events(tab1, sid), 1)) == 1


def test_a_race_lost_after_part_of_the_turn_was_saved(settings: Settings) -> None:
    """The answer was recorded, then another tab wrote before this one's next event: the tab
    says what was saved is kept (not that the answer was refused) and shows where it stands."""
    tab1 = new_chat(settings)
    tab2 = new_chat(settings, services=make_services(settings))

    async def scenario() -> tuple[str, int]:
        await tab1.start_new()
        sid = tab1.session.session_id  # type: ignore[union-attr]
        await tab2.resume(sid)
        session = tab2.session
        assert session is not None
        real = session._record

        def record(event: Event) -> None:  # tab 1 reloads right after tab 2's answer
            real(event)
            if isinstance(event, Answered):
                session._record = real  # type: ignore[method-assign]
                InterviewSession.resume(tab1.services, sid).resume_replies()  # asks Q2

        session._record = record  # type: ignore[method-assign]
        mark = PAGE.mark()
        await tab2.on_text("MARKER-SAVED " + FULL, [])
        return sid, mark

    sid, mark = run(scenario)
    evs = events(tab1, sid)
    assert [e.answer for e in answered(evs, 0)] == ["MARKER-SAVED " + FULL]
    texts = PAGE.texts(mark)
    told = [t for t in texts if "moved on in another tab" in t]
    assert len(told) == 1 and "what was saved is kept" in told[0]
    assert "not applied" not in told[0] and "MARKER" not in told[0]
    assert not any(t.startswith("Something went wrong") for t in texts)
    assert "Question 2 of 3" in texts[-1]  # where it stands: Q2, asked once
    assert [e.plan_index for e in evs if isinstance(e, Asked)] == [0, 1]
    assert tab2.session is not None and not tab2.session.behind_store()


# --- buttons of an earlier interview ---------------------------------------------------------


def test_buttons_of_an_earlier_interview_are_refused(settings: Settings) -> None:
    old = new_chat(settings)

    async def scenario() -> tuple[str, Chat, FakeMessage]:
        await old.start_new()
        assert old.bar is not None
        bar = old.bar
        await old.retire()  # what "Start a new interview" does before the new one starts
        new = new_chat(settings, services=old.services)
        await new.start_new()
        for name in ("hint", "skip", "end"):
            await new.on_action(name, old.session.session_id)  # type: ignore[union-attr]
        return old.session.session_id, new, bar  # type: ignore[union-attr]

    old_sid, new, old_bar = run(scenario)
    assert old_bar.actions == []  # the old buttons are gone from the page
    assert new.session is not None and new.session.session_id != old_sid
    assert not new.session.finished
    assert [e for e in events(new, new.session.session_id)
            if isinstance(e, (CandidateSaid, Skipped, Ended))] == []
    assert sum("belongs to an earlier interview" in t for t in PAGE.texts()) == 3
    question = [m for m in PAGE.messages() if "Question 1 of 3" in m.content][-1]
    assert button_ids(question) == {new.session.session_id}


def test_buttons_carry_their_interview(settings: Settings) -> None:
    chat = new_chat(settings)
    run(chat.start_new)
    question = [m for m in PAGE.messages() if "Question 1 of 3" in m.content][-1]
    assert chat.session is not None and button_ids(question) == {chat.session.session_id}
    run(lambda: chat.on_action("hint", chat.session.session_id))  # type: ignore[union-attr]
    assert any(t.startswith("**Hint:**") for t in PAGE.texts())


# --- resuming from "My interviews" and the list itself -----------------------------------------


def test_resuming_another_stage_adopts_it_for_the_next_interview(settings: Settings) -> None:
    screen = new_chat(settings, stage="Recruiter Screen", mode="interview", questions=2)
    page = new_chat(settings, stage="Behavioral Interview", services=screen.services)

    async def scenario() -> int:
        await screen.start_new()
        await page.start_new()
        mark = PAGE.mark()
        await page.switch_to(screen.session.session_id,  # type: ignore[union-attr]
                             "Behavioral Interview")
        return mark

    mark = run(scenario)
    assert page.profile.stage == "screen"
    assert (page.choices.mode, page.choices.questions) == ("interview", 2)
    assert "stage picker above still says Behavioral Interview" in PAGE.texts(mark)[0]
    assert page.config().stage == "screen"  # "Start a new interview" starts a Recruiter Screen


def test_history_says_ended_early_and_how_it_is_ordered(settings: Settings) -> None:
    chat = new_chat(settings)

    async def scenario() -> int:
        await chat.start_new()
        await chat.on_text(FULL, [])
        await chat.retire()  # abandoned for a new interview
        mark = PAGE.mark()
        await chat.show_history()
        return mark

    mark = run(scenario)
    header, *rows = PAGE.messages(mark)
    assert "most recently active first" in header.content and "newest first" not in header.content
    assert not header.actions  # the buttons are on the rows
    row, = rows  # one interview: one row, with its score and its own buttons
    assert "**5.0 / 5** · 1/3 answered · ended early" in row.content
    assert [a.label for a in row.actions] == ["Download #1"]  # finished: nothing to resume


def test_each_history_row_has_its_score_and_its_buttons(settings: Settings) -> None:
    chat = new_chat(settings)

    async def scenario() -> int:
        await chat.start_new()
        await chat.on_text(FULL, [])
        await chat.retire()
        await chat.start_new()  # in progress, nothing graded yet
        mark = PAGE.mark()
        await chat.show_history()
        return mark

    mark = run(scenario)
    _, newer, older = PAGE.messages(mark)
    assert "in progress" in newer.content and "/ 5**" not in newer.content
    assert [a.label for a in newer.actions] == ["Download #1", "Resume #1"]
    assert {a.payload["session_id"] for a in newer.actions} == {chat.session.session_id}  # type: ignore[union-attr]
    assert "**5.0 / 5**" in older.content and [a.label for a in older.actions] == ["Download #2"]


# --- interview mode's end, returned text, the opening ------------------------------------------


def test_interview_mode_ends_with_a_review_per_question(settings: Settings) -> None:
    chat = new_chat(settings, mode="interview", questions=2)

    async def scenario() -> None:
        await chat.start_new()
        await chat.on_text(FULL, [])
        await chat.on_action("skip", chat.session.session_id)  # type: ignore[union-attr]

    run(scenario)
    assert chat.session is not None and chat.session.finished
    assert not any("Key points covered" in t for t in PAGE.texts())  # nothing before the end
    review, = [s for s in PAGE.steps() if s.name == "Review, question by question"]
    first, second = review.children
    assert first.name.startswith("1. Tell me about tech") and first.name.endswith("5.0 / 5")
    assert "Key points covered (3/3)" in first.output and "Key points missed (0)" in first.output
    assert "**Example answer**" in first.output and "zebracorn drift" in first.output
    assert second.name.endswith("skipped") and "**Skipped.**" in second.output
    assert "**Example answer**" in second.output


def test_practice_mode_has_no_end_review(settings: Settings) -> None:
    chat = new_chat(settings, questions=1)

    async def scenario() -> None:
        await chat.start_new()
        await chat.on_action("end", chat.session.session_id)  # type: ignore[union-attr]

    run(scenario)
    assert any("Final report" in t for t in PAGE.texts())
    assert not [s for s in PAGE.steps() if s.name == "Review, question by question"]


def test_a_refused_long_answer_comes_back_collapsed_with_its_length(settings: Settings) -> None:
    chat = new_chat(settings)
    text = "MARKER-LONG " + "x" * 20_488  # 20,500 characters, over the 20,000 limit

    async def scenario() -> int:
        await chat.start_new()
        mark = PAGE.mark()
        await chat.on_text(text, [])
        return mark

    mark = run(scenario)
    notice = PAGE.texts(mark)[0]
    assert "20,500 characters" in notice and len(notice) < 1000
    kept, = PAGE.steps(mark)
    assert kept.name == "Your text, kept (20,500 characters)"
    assert text in kept.output and kept.output.startswith("```")


def test_a_short_returned_text_stays_in_the_notice(settings: Settings) -> None:
    chat = new_chat(settings)

    async def scenario() -> int:
        await chat.start_new()
        await chat.on_action("end", chat.session.session_id)  # type: ignore[union-attr]
        mark = PAGE.mark()
        await chat.on_text(POOR, [])  # to an ended interview: returned, not graded
        return mark

    mark = run(scenario)
    assert any("Your text, kept:" in t and "I am not sure" in t for t in PAGE.texts(mark))
    assert not [s for s in PAGE.steps(mark) if s.name.startswith("Your text")]


def test_the_opening_of_a_one_question_stage_reads_naturally(settings: Settings) -> None:
    chat = new_chat(settings, questions=1)
    run(chat.start_new)
    opening = next(t for t in PAGE.texts() if t.startswith("Hi, I'm"))
    assert "1 question, so take your time with it." in opening
    assert "one at a time" not in opening


def test_full_loop_header_counts_the_stages_questions_as_its_greeting_does(
        settings: Settings) -> None:
    """QA: the greeting said 3 questions while the header said "Question 1 of 9"."""
    chat = new_chat(settings, stage="Full loop", questions=2)

    async def scenario() -> None:
        await chat.start_new()

    run(scenario)
    greeting = next(t for t in PAGE.texts() if t.startswith("Hi, I'm"))
    header = next(t for t in PAGE.texts() if t.startswith("*Question"))
    assert "In this stage I'll ask you 2 questions" in greeting
    assert header.startswith("*Question 1 of 2 · Recruiter Screen · stage 1 of 3*")
