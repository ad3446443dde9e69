"""One chat on the page: drives an `InterviewSession` and shows its replies with Chainlit.

The session is synchronous (grading runs an ONNX model, a model call may take seconds), so its
event stream runs in a worker thread and is handed to the page as it comes: text deltas stream
into a message, each finished reply replaces its message with the authoritative text plus cards,
steps, charts, downloads and buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chainlit as cl

from interviewer.app.services import Services
from interviewer.core.errors import (
    InputError,
    InterviewerError,
    NotFoundError,
    SessionMovedOnError,
)
from interviewer.core.markdown import md_block, md_escape
from interviewer.core.pack import Pack, Question
from interviewer.core.session import (
    InterviewerReply,
    PlanKind,
    ReplyDone,
    SessionConfig,
    StreamEvent,
    TextDelta,
)
from interviewer.core.summary import summarize
from interviewer.core.text import shorten
from interviewer.core.transcript import Transcript
from interviewer.interview.session import InterviewSession
from interviewer.review.engine import ANSWER_MAX_CHARS, review_uploads
from interviewer.review.intake import Upload
from interviewer.transcripts.progress import Progress
from interviewer.transcripts.store import SessionInfo
from interviewer.ui import render
from interviewer.ui.charts import score_chart, with_config
from interviewer.ui.downloads import transcript_files
from interviewer.ui.profiles import ChatChoices, ProfileSpec, profile_for_stage
from interviewer.ui.sessions import interview_outcome, latest_stage, owned_session
from interviewer.ui.uploads import MAX_FILES_PER_MESSAGE, check_upload, upload_note

log = logging.getLogger(__name__)

AUTHOR = "Interviewer"
GRADING_DETAIL = "How this was graded"
TURN_ACTIONS = [("hint", "Hint", "lightbulb"), ("skip", "Skip", "skip-forward"),
                ("repeat", "Repeat question", "repeat"), ("end", "End and grade", "flag")]
COMMAND_FOR = {"hint": "/hint", "skip": "/skip", "repeat": "/repeat", "end": "/end"}


def file_elements(transcript: Transcript) -> list[Any]:
    return [cl.File(name=name, content=data, mime=mime, display="inline")
            for name, mime, data in transcript_files(transcript)]


def history_line(info: SessionInfo, pack: Pack, *, early: bool = False,
                 score: float | None = None) -> str:
    names = {s.id: s.name for s in pack.stages}
    stage = names.get(info.stages[0], info.stages[0]) if len(info.stages) == 1 else "Full loop"
    state = "in progress" if not info.finished else "ended early" if early else "finished"
    graded = f"**{score:.1f} / 5** · " if score is not None else ""
    return (f"{info.started_at:%Y-%m-%d %H:%M} UTC · {md_escape(stage)} · {info.mode} · "
            f"{graded}{info.answered}/{info.planned} answered · {state}")


def turn_actions(session_id: str) -> list[cl.Action]:
    """The buttons under an open question. Each carries its interview's id: a button left on
    the page by an earlier interview is refused instead of acting on the current one."""
    return [cl.Action(name=name, payload={"session_id": session_id}, label=label, icon=icon,
                      tooltip=f"{label} (or type /{name})")
            for name, label, icon in TURN_ACTIONS]


def new_interview_action(label: str = "Start a new interview") -> cl.Action:
    return cl.Action(name="new_interview", payload={}, label=label, icon="rotate-ccw")


def history_action() -> cl.Action:
    return cl.Action(name="history", payload={}, label="My interviews", icon="history")


def progress_action() -> cl.Action:
    return cl.Action(name="progress", payload={}, label="My progress", icon="trending-up")


def weak_plan_action() -> cl.Action:
    return cl.Action(name="weak_plan", payload={}, label="Practise my weak spots",
                     icon="target", tooltip="A new interview from your history: lowest last "
                     "grade first, then the questions not seen for longest")


WEAK_PLAN_GREETING = ("**Practising your weak spots.** The questions come from your earlier "
                      "interviews: the lowest last grade first, then those you have not seen "
                      "for longest (or not yet). Each question says why it was chosen.")


@dataclass
class _Failed:
    error: BaseException


async def pump(make: Callable[[], Iterator[StreamEvent]]) -> AsyncIterator[StreamEvent]:
    """Run a blocking event stream in a worker thread; yield its events on the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[StreamEvent | _Failed | None] = asyncio.Queue()

    def work() -> None:
        try:
            for event in make():
                loop.call_soon_threadsafe(queue.put_nowait, event)
        except BaseException as e:  # noqa: BLE001 - handed to the loop and re-raised there
            loop.call_soon_threadsafe(queue.put_nowait, _Failed(e))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = loop.run_in_executor(None, work)
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        await worker


class _NoTurn:
    """`Chat.stream` drives no candidate turn (a start or a resume)."""


_NO_TURN = _NoTurn()


def _done(replies: list[InterviewerReply]) -> Iterator[StreamEvent]:
    for i, reply in enumerate(replies):
        yield ReplyDone(index=i, reply=reply)


@dataclass
class Chat:
    """The state of one chat: its services, owner, profile, session and the live action bar."""

    services: Services
    pack: Pack
    owner: str | None
    profile: ProfileSpec
    choices: ChatChoices
    max_upload_bytes: int
    session: InterviewSession | None = None
    bar: cl.Message | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    # --- starting, resuming ---------------------------------------------------------------------

    def config(self) -> SessionConfig:
        return SessionConfig(pack=self.pack.name, stage=self.profile.stage,
                             # typed: ChatChoices.mode holds one of MODES (profiles.py validates it)
                             mode=self.choices.mode,  # type: ignore[arg-type]
                             questions=self.choices.questions, difficulty=self.choices.difficulty,
                             owner=self.owner,
                             max_answer_chars=self.services.max_answer_chars,
                             max_messages_per_minute=self.services.settings.max_messages_per_minute)

    async def start_new(self, plan: PlanKind = "standard") -> None:
        config = self.config().model_copy(update={"plan": plan})
        self.session = await asyncio.to_thread(InterviewSession.create, self.services, config)
        if plan == "weak":
            await self.notice(WEAK_PLAN_GREETING)
        await self.stream(self.session.stream_start)

    async def resume(self, session_id: str) -> None:
        """Resume one of this owner's sessions (anyone else's is 'not found')."""
        info = owned_session(self.services.store, self.owner, session_id)
        session = await asyncio.to_thread(InterviewSession.resume, self.services,
                                          info.session_id)
        await self._show_resumed(session)

    async def _show_resumed(self, session: InterviewSession) -> None:
        self.session = session
        self._adopt(session.config)
        earlier = render.earlier_exchanges(session.transcript(),
                                           show_grades=session.config.mode == "practice")
        if earlier:
            async with cl.Step(name="Earlier in this interview", type="undefined",
                               show_input=False) as step:
                step.output = earlier
        await self.stream(session.stream_resume)

    def _adopt(self, config: SessionConfig) -> None:
        """The chat takes the stage and settings of the interview it shows, so "Start a new
        interview" starts another of that stage, not the one the page was opened on."""
        self.profile = profile_for_stage(self.pack, config.stage)
        self.choices = self.choices.model_copy(update={
            "mode": config.mode, "questions": config.questions,
            "difficulty": config.difficulty})

    async def retire(self) -> None:
        """Before a new interview replaces this one in the chat: its buttons go, and an
        unfinished interview is ended (kept, graded so far, marked ended early)."""
        async with self.lock:
            await self._drop_bar()
            session = self.session
            if session is None or session.finished:
                return
            if await asyncio.to_thread(session.behind_store):  # ended from where it stands
                session = await asyncio.to_thread(InterviewSession.resume, self.services,
                                                  session.session_id)
            if not session.finished:
                try:
                    await asyncio.to_thread(session.end)
                except SessionMovedOnError:  # another tab wrote meanwhile: end it from there
                    session = await asyncio.to_thread(InterviewSession.resume, self.services,
                                                      session.session_id)
                    if not session.finished:
                        await asyncio.to_thread(session.end)

    # --- turns ----------------------------------------------------------------------------------

    async def on_text(self, text: str, files: list[Any]) -> None:
        async with self.lock:
            await self._drop_bar()
            session = self.session
            if session is None:
                await self.notice("No interview is running. Start one below.",
                                  [new_interview_action()])
                return
            fresh = await self._fresh(session, text)
            if fresh is None:
                return
            session = fresh
            if files:
                await self._on_files(session, text, files)
                return
            await self.stream(lambda: session.stream_send(text), turn_text=text)

    async def _fresh(self, session: InterviewSession,
                     text: str | None) -> InterviewSession | None:
        """The session a turn applies to, or None when the interview moved on elsewhere (another
        tab, another process): checked against the durable transcript. Then the turn is not
        applied; the chat reloads from the transcript, says so, shows where it stands and
        returns the text. A hint or a repeat elsewhere leaves the same prompt open: the turn
        goes ahead on the reloaded session."""
        if not await asyncio.to_thread(session.behind_store):
            return session
        fresh = await asyncio.to_thread(InterviewSession.resume, self.services,
                                        session.session_id)
        if not fresh.finished and fresh.open_turn is not None and \
                fresh.open_turn == session.open_turn:
            self.session = fresh
            return fresh
        log.info("session %s moved on elsewhere; a stale turn was not applied",
                 session.session_id)
        await self._tell_moved_on(fresh, text, turn=True)
        return None

    async def _moved_on(self, session_id: str, text: str | None, *, turn: bool) -> None:
        """A write of this chat lost a race (`SessionMovedOnError`): another tab or process
        recorded first, so the session was behind although `_fresh` found it in step. Told
        like a stale turn: reload, say so, return the text, show where it stands."""
        log.info("session %s moved on elsewhere during a turn; its write was refused",
                 session_id)
        fresh = await asyncio.to_thread(InterviewSession.resume, self.services, session_id)
        await self._tell_moved_on(fresh, text, turn=turn)

    async def _tell_moved_on(self, fresh: InterviewSession, text: str | None, *,
                             turn: bool) -> None:
        """`turn`: the candidate's message (`text`) or button (None) was not applied at all;
        otherwise part of the turn was saved before another tab or process overtook it."""
        if turn:
            what = "that button was" if text is None else "your message was"
            note = (f"This interview moved on in another tab or window, so {what} not applied "
                    "here (nothing is answered twice). This tab now shows where it stands.")
        else:
            note = ("This interview moved on in another tab or window while this one was "
                    "saving; what was saved is kept. This tab now shows where it stands.")
            text = None
        if text and text.strip():
            note += render.kept_note(text)
        await self.notice(note)
        if text and not render.kept_inline(text):
            await self.kept_step(text)
        await self._show_resumed(fresh)

    async def _on_files(self, session: InterviewSession, text: str, files: list[Any]) -> None:
        """A take-home submission: the files (or a .zip) are reviewed as code, never run, and
        the review's grade is the answer's grade (interviewer/review)."""
        question = session.current_question
        if question is None or question.kind != "take_home":
            await self.notice("Files are accepted as answers to the take-home brief only. "
                              "Paste this answer as text instead.", self.turn_actions())
            return
        if len(files) > MAX_FILES_PER_MESSAGE:
            await self.notice(f"Attach at most {MAX_FILES_PER_MESSAGE} files, or the whole "
                              "project as one .zip.", self.turn_actions())
            return
        names = ", ".join(render.code(f.name) for f in files)
        try:
            for f in files:
                check_upload(Path(f.path), f.name, self.max_upload_bytes)
            await self.notice(f"Received {names}; reviewing it now (static analysis: "
                              "nothing you upload is run).")
            review = await asyncio.to_thread(
                review_uploads, [Upload(Path(f.path), f.name) for f in files], question,
                self.services.grader, self.services.settings, pack=self.pack.name, note=text)
        except (InputError, OSError) as e:
            await self.notice(f"That submission was not accepted: {md_escape(str(e))}. "
                              "Nothing was graded.", self.turn_actions())
            return
        answer = review.answer_text(min(session.max_message_chars, ANSWER_MAX_CHARS))
        await self.stream(lambda: _done(session.answer(answer, grade=review.grade)),
                          turn_text=answer)

    async def on_action(self, name: str, session_id: str) -> None:
        """A button under a question; `session_id` is the interview the button was shown for."""
        async with self.lock:
            session = self.session
            if session is not None and session_id != session.session_id:
                await self.notice("That button belongs to an earlier interview, so it did "
                                  "nothing. Use the buttons under the current question.")
                return
            await self._drop_bar()
            if session is None or session.finished:
                await self.notice("This interview has ended.", [new_interview_action()])
                return
            fresh = await self._fresh(session, None)
            if fresh is None:
                return
            await self.stream(lambda: fresh.stream_send(COMMAND_FOR[name]), turn_text=None)

    # --- rendering ------------------------------------------------------------------------------

    def turn_actions(self) -> list[cl.Action]:
        return turn_actions(self.session.session_id if self.session else "")

    async def notice(self, text: str, actions: list[cl.Action] | None = None) -> cl.Message:
        msg = cl.Message(content=text, author=AUTHOR, actions=actions or [])
        await msg.send()
        if actions and any(a.name in COMMAND_FOR for a in actions):
            self.bar = msg
        return msg

    async def _drop_bar(self) -> None:
        if self.bar is not None:
            await self.bar.remove_actions()
            self.bar = None

    async def stream(self, make: Callable[[], Iterator[StreamEvent]],
                     turn_text: str | None | _NoTurn = _NO_TURN) -> None:
        """Show a session call's events: deltas stream, each finished reply is rendered.
        `turn_text`: the candidate's text (None for a button) when the call applies a turn,
        returned to them if the turn loses a race with another tab."""
        live: cl.Message | None = None
        live_index: int | None = None
        last: cl.Message | None = None
        driven = self.session
        seen = driven.events_seen if driven is not None else 0
        try:
            async for event in pump(make):
                if isinstance(event, TextDelta):
                    if live is None or live_index != event.index:
                        live, live_index = cl.Message(content="", author=AUTHOR), event.index
                    await live.stream_token(event.text)
                else:
                    msg = live if live_index == event.index else None
                    live, live_index = None, None
                    last = await self.show(event.reply, msg)
        except SessionMovedOnError as e:
            if live is not None:  # a reply cut off by the refused write
                await live.remove()
            # the turn's first write was refused: nothing of it was applied
            untouched = e.expected <= seen and not isinstance(turn_text, _NoTurn)
            text = turn_text if isinstance(turn_text, str) else None
            await self._moved_on(e.session_id, text, turn=untouched)
            return
        except NotFoundError as e:
            await self.notice(f"Not found: {md_escape(str(e))}", [new_interview_action()])
        except InterviewerError as e:
            log.exception("session call failed")
            await cl.ErrorMessage(content=f"Something went wrong: {md_escape(str(e))}. "
                                  "Your answers so far are saved.", author=AUTHOR).send()
            if self.session is not None and not self.session.finished:
                await self.notice("You can continue with the current question.",
                                  self.turn_actions())
            return
        session = self.session
        if last is not None and self.bar is None and session is not None and \
                session.awaiting_answer and not session.finished:
            # a notice or a clarification: the question is still open, so keep the buttons
            last.actions = self.turn_actions()
            await last.update()
            self.bar = last

    async def show(self, reply: InterviewerReply, msg: cl.Message | None = None) -> cl.Message:
        msg = msg or cl.Message(content="", author=AUTHOR)
        msg.content = self.content_for(reply)
        msg.actions, msg.elements = [], []
        if reply.kind in ("question", "follow_up") and not (self.session and
                                                            self.session.finished):
            msg.actions = self.turn_actions()
        if reply.kind == "summary" and reply.summary is not None:
            msg.elements = self.report_elements(reply)
            msg.actions = [new_interview_action(), history_action(), progress_action(),
                           weak_plan_action()]
        feedback = reply.kind == "feedback" and reply.grade is not None
        if feedback:
            await self.grading_steps(reply)
        await msg.send()
        if reply.kind == "feedback" and reply.example_answer:
            async with cl.Step(name="Example answer", type="undefined", show_input=False) as step:
                step.output = render.defang(reply.example_answer)
        if reply.kind == "notice" and reply.kept_text and not render.kept_inline(reply.kept_text):
            await self.kept_step(reply.kept_text)
        if reply.kind == "summary" and self.session is not None and \
                self.session.config.mode == "interview":
            await self.review_steps(self.session.transcript())
        if msg.actions and msg.actions[0].name in COMMAND_FOR:
            await self._drop_bar()
            self.bar = msg
        return msg

    def progress(self, reply: InterviewerReply) -> str:
        """"Question 2 of 3 · Technical Interviews"; in a full loop the count is the stage's
        (what its interviewer's greeting said), with the stage's place in the loop."""
        if self.session is None or reply.question_id is None:
            return ""
        plan = self.session.plan
        pos = next((i for i, p in enumerate(plan)
                    if p.question_id == reply.question_id and p.stage_id == reply.stage_id), None)
        if pos is None:
            return ""
        stage = next((s.name for s in self.pack.stages if s.id == reply.stage_id), "")
        if not self.session.config.full_loop:
            return f"*Question {pos + 1} of {len(plan)} · {md_escape(stage)}*\n\n"
        here = plan[pos].stage_id
        stage_ids = list(dict.fromkeys(p.stage_id for p in plan))
        in_stage = [i for i, p in enumerate(plan) if p.stage_id == here]
        return (f"*Question {in_stage.index(pos) + 1} of {len(in_stage)} · "
                f"{md_escape(stage)} · stage {stage_ids.index(here) + 1} of "
                f"{len(stage_ids)}*\n\n")

    def content_for(self, reply: InterviewerReply) -> str:
        text = render.defang(reply.text)
        if reply.kind == "question":
            why = f"*Why this question: {md_escape(reply.reason)}*\n\n" \
                if reply.reason and not reply.repeated else ""
            note = ""
            question = self.pack.question(reply.question_id) if reply.question_id else None
            if question is not None and question.kind == "take_home":
                note = "\n\n" + upload_note(self.max_upload_bytes)
            return self.progress(reply) + why + text + note
        if reply.kind == "follow_up":
            return "**Follow-up:** " + text
        if reply.kind == "hint":
            return "**Hint:** " + text
        if reply.kind == "feedback":
            if reply.grade is None:
                return "**Skipped.** The example answer is below."
            partial = reply.example_answer is None
            return render.grade_card(reply.grade, title="Partial grade" if partial else "Grade",
                                     partial=partial)
        if reply.kind == "summary" and reply.summary is not None:
            return render.report(reply.summary)
        if reply.kind == "notice" and reply.kept_text:
            return text + render.kept_note(reply.kept_text)
        return text

    async def kept_step(self, kept: str) -> None:
        """Returned text, collapsed and verbatim: kept for the candidate without filling the
        chat (a refused answer can run to tens of thousands of characters)."""
        async with cl.Step(name=render.kept_label(kept), type="undefined",
                           show_input=False) as step:
            step.output = md_block(kept)

    async def review_steps(self, transcript: Transcript) -> None:
        """Interview mode's held-back feedback at the end: per question, collapsed, the grade
        card practice mode shows after each answer and the example answer."""
        records = [r for r in transcript.questions if r.asked]
        if not records:
            return
        async with cl.Step(name="Review, question by question", type="undefined",
                           show_input=False) as parent:
            for rec in records:
                async with cl.Step(name=render.review_title(rec), type="undefined",
                                   show_input=False) as step:
                    step.output = render.question_review(rec)
            parent.output = ("Each question's grade, key points covered and missed, and the "
                             "guide's example answer.")

    async def grading_steps(self, reply: InterviewerReply) -> None:
        """What the answer was graded against and how, as one quiet collapsed detail just
        before the grade card (two step chips under every answer were noise)."""
        grade = reply.grade
        assert grade is not None
        question = self.pack.question(reply.question_id) if reply.question_id else None
        parts = []
        if question is not None:
            parts.append(await asyncio.to_thread(self.retrieval_text, question))
        parts.append(render.grading_step(grade))
        async with cl.Step(name=GRADING_DETAIL, type="undefined", show_input=False) as step:
            step.output = "\n\n".join(parts)

    def retrieval_text(self, question: Question) -> str:
        """What the answer was graded against, and related guide material from the index."""
        lines = [f"Graded against the guide's question `{question.id}` ({question.topic}, "
                 f"{question.difficulty}, {question.provenance}): "
                 f"{len(question.key_points)} key points and its example answer."]
        hits = related_material(self.services, self.pack, question)
        if hits:
            lines += ["", "Related guide material (from the search index):"]
            lines += [f"- {h}" for h in hits]
        return "\n".join(lines)

    def report_elements(self, reply: InterviewerReply) -> list[Any]:
        assert reply.summary is not None
        elements: list[Any] = []
        fig = score_chart(reply.summary)
        if fig is not None:
            chart = cl.Plotly(name="scores", figure=fig, display="inline", size="large")
            chart.content = with_config(chart.content)
            elements.append(chart)
        if self.session is not None:
            elements += file_elements(self.session.transcript())
        return elements

    # --- the owner's saved interviews -----------------------------------------------------------

    async def show_history(self, limit: int = 8) -> None:
        """This owner's interviews (never anyone else's), each with Download and Resume."""
        infos = (await asyncio.to_thread(self.services.store.list, self.owner)
                 if self.owner else [])
        if not infos:
            await self.notice("No saved interviews yet.")
            return
        shown = infos[:limit]
        outcomes = await asyncio.to_thread(
            lambda: [interview_outcome(self.services.store, i) for i in shown])
        await cl.Message(content=f"**Your interviews** ({len(shown)} most recently active "
                         "first; each with its own buttons)", author=AUTHOR).send()
        for n, (info, (was_early, score)) in enumerate(zip(shown, outcomes, strict=True), 1):
            actions = [cl.Action(name="download_interview", label=f"Download #{n}",
                                 payload={"session_id": info.session_id}, icon="download")]
            if not info.finished:
                actions.append(cl.Action(name="resume_interview", label=f"Resume #{n}",
                                         payload={"session_id": info.session_id},
                                         icon="play"))
            line = history_line(info, self.pack, early=was_early, score=score)
            await cl.Message(content=f"{n}. {line}", author=AUTHOR, actions=actions).send()

    async def show_progress(self) -> None:
        """This owner's progress across interviews (never anyone else's): the summary, a chart
        per topic over time, the HTML report, and the example answers behind the key points
        missed most often."""
        from interviewer.ui.progress_view import (
            example_answers,
            progress_markdown,
            report_file,
            topic_chart,
        )

        if not self.owner:
            await self.notice("Progress is kept per user: sign in (or allow this page's "
                              "cookie) to see yours.")
            return
        progress = await asyncio.to_thread(self.load_progress)
        elements: list[Any] = []
        actions = [weak_plan_action()]
        if progress.sessions:
            fig = await asyncio.to_thread(topic_chart, progress)
            if fig is not None:
                elements.append(cl.Plotly(name="progress", figure=fig, display="inline",
                                          size="large"))
            name, mime, data = await asyncio.to_thread(report_file, progress, self.pack)
            elements.append(cl.File(name=name, content=data, mime=mime, display="inline"))
        await cl.Message(content=progress_markdown(progress), author=AUTHOR, elements=elements,
                         actions=actions).send()
        answers = example_answers(progress)
        if answers:
            async with cl.Step(name="Example answers for the key points you miss most",
                               type="undefined", show_input=False) as parent:
                for title, example in answers:
                    async with cl.Step(name=title, type="undefined", show_input=False) as step:
                        step.output = render.defang(example)
                parent.output = ("The guide's example answer to each question whose key points "
                                 "you missed most often.")

    def load_progress(self) -> Progress:
        from interviewer.transcripts.progress_cache import progress_for

        return progress_for(self.services.store, self.owner, self.pack,
                            cache_dir=getattr(self.services.settings, "progress_dir", None))

    async def download(self, session_id: str) -> None:
        info = owned_session(self.services.store, self.owner, session_id)  # NotFoundError
        transcript = await asyncio.to_thread(
            lambda: Transcript.from_events(self.services.store.load(info.session_id)))
        line = history_line(info, self.pack, early=transcript.ended_early,
                            score=summarize(transcript).overall)
        await cl.Message(content=f"Transcript of {line}",
                         author=AUTHOR, elements=file_elements(transcript)).send()

    async def switch_to(self, session_id: str, page_profile: str | None = None) -> None:
        """Resume another of the owner's interviews here. The page's stage picker cannot be set
        from the server, so when it names another stage the chat says which one is shown."""
        async with self.lock:
            await self._drop_bar()
            info = owned_session(self.services.store, self.owner, session_id)  # NotFoundError
            shown = profile_for_stage(self.pack, latest_stage(info)).name
            if page_profile is not None and page_profile != shown:
                await self.notice(
                    f"Resuming your {md_escape(shown)} interview. The stage picker above "
                    f"still says {md_escape(page_profile)}; a new interview started "
                    f"from this chat is another {md_escape(shown)}.")
            await self.resume(info.session_id)


def related_material(services: Services, pack: Pack, question: Question,
                     k: int = 3) -> list[str]:
    """Related guide questions and the closest tip, from the services' search index."""
    try:
        index = services.search_index(pack)
        questions = index.search(pack.name, question.question, k=k + 1, kind="question")
        tips = index.search(pack.name, question.question, k=1, kind="tip")
    except InterviewerError as e:
        log.warning("retrieval failed: %s", e)
        return []
    out = [f"question {render.code(h.question_id or h.id)} (similarity {h.score:.2f}): "
           f"{md_escape(h.question or _first_sentence(h.text))}"
           for h in questions if h.question_id != question.id][:k]
    titles = {f"{pack.name}:tip:{t.id}": t for t in pack.tips}
    for h in tips:
        tip = titles.get(h.id)
        if tip is not None:
            out.append(f"tip **{md_escape(tip.title)}** (similarity {h.score:.2f}): "
                       f"{render.defang(_first_sentence(tip.text))}")
    return out


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return shorten(text[: end + 1] if 0 < end < limit else text, limit)
