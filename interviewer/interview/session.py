"""The interview session: a UI-independent state machine over a stage plan.

Usage (terminal, Chainlit, tests all do the same):

    services = build_services(settings)                 # interviewer.app.services
    session = InterviewSession.create(services, SessionConfig(pack="kraken-ml-engineer",
                                      stage="technical", mode="practice", questions=3, seed=7))
    for reply in session.start(): show(reply)            # opening + first question
    for reply in session.send(user_text): show(reply)    # an answer or a /command
    ...until session.finished; the last reply has kind "summary" with `reply.summary` set.

    # streaming (LLM tokens): the same calls with `stream_` yield TextDelta / ReplyDone events
    for event in session.stream_send(user_text): ...

    session = InterviewSession.resume(services, session_id)   # after a crash or a reload
    for reply in session.resume_replies(): show(reply)         # "welcome back" + current question

Every answered turn is appended to the transcript store (fsync) before any reply is returned,
by compare-and-append: a session object that another one (a second tab, another process) has
overtaken raises `SessionMovedOnError` instead of writing; `resume` it to continue.

Every incoming message is held to the size limit (the session's, capped by the deployment's
`max_answer_chars`) and, when set, to a per-session rate limit before it is routed anywhere: an
over-long or too-fast message is refused with a notice that returns its text, and nothing of it
reaches a grader or a model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING

from interviewer.core.agents import OFFLINE
from interviewer.core.errors import GradingError, InputError, ModelError
from interviewer.core.events import (
    Answered,
    Asked,
    CandidateSaid,
    Ended,
    Event,
    QuestionSnapshot,
    Said,
    SessionStarted,
    Skipped,
    StageSnapshot,
    now,
)
from interviewer.core.grade import Grade, GradeRequest, prepare_grader
from interviewer.core.pack import Pack, Question
from interviewer.core.session import (
    InterviewerReply,
    PlanItem,
    ReplyDone,
    ReplyKind,
    SessionConfig,
    SessionStatus,
    StreamEvent,
    TextDelta,
)
from interviewer.core.summary import SessionSummary, summarize
from interviewer.core.transcript import Transcript
from interviewer.grading.features import is_non_answer
from interviewer.interview.guard import parse_input
from interviewer.interview.offline import (
    Composed,
    ComposeRequest,
    OfflineInterviewer,
    Task,
    feedback_text,
)
from interviewer.interview.plan import build_plan, draw_seed, plan_stages
from interviewer.interview.probe import choose_probe
from interviewer.interview.ratelimit import TokenBucket
from interviewer.interview.settle import (
    correction_text,
    corrects,
    settle_correction,
    settle_follow_up,
)

if TYPE_CHECKING:
    from interviewer.interview.deps import SessionServices as Services

COMMANDS = {
    "/hint": "a nudge in the right direction (never the answer)",
    "/skip": "skip this question",
    "/repeat": "repeat the current question",
    "/end": "end the interview now and see the summary",
    "/clarify": "ask a clarifying question, e.g. `/clarify do you mean online learning?`",
    "/help": "this list",
}
# A refused over-long message is saved in full up to this many times the limit (its head beyond).
KEEP_FACTOR = 5

_ALIASES = {"/?": "/help", "/next": "/skip", "/quit": "/end", "/exit": "/end", "/stop": "/end",
            "/again": "/repeat"}


def help_text() -> str:
    return "Commands:\n" + "\n".join(f"  {k:<9} {v}" for k, v in COMMANDS.items())


class _State:
    """Everything the session knows, rebuilt from events alone (live and on resume)."""

    def __init__(self, start: SessionStarted) -> None:
        self.start = start
        self.current = -1  # plan index of the question in play
        self.awaiting: Asked | None = None
        self.follow_ups: dict[int, int] = {}
        self.used_follow_ups: dict[int, list[str]] = {}
        self.answers: dict[int, list[str]] = {}
        self.grades: dict[int, Grade] = {}
        self.hints: dict[int, int] = {}
        self.last: Event = start
        self.ended: Ended | None = None
        # interviewer messages said since `last`: on a resume they are not said (recorded) again
        self.said_since: list[Said] = []

    def apply(self, e: Event) -> None:
        if isinstance(e, Asked):
            self.current, self.awaiting = e.plan_index, e
            if e.follow_up:
                self.follow_ups[e.plan_index] = e.follow_up
                self.used_follow_ups.setdefault(e.plan_index, []).append(e.text)
        elif isinstance(e, Answered):
            self.current, self.awaiting = e.plan_index, None
            self.answers.setdefault(e.plan_index, []).append(e.answer)
            self.grades[e.plan_index] = e.grade
        elif isinstance(e, Skipped):
            self.current, self.awaiting = e.plan_index, None
        elif isinstance(e, CandidateSaid) and e.handled_as == "hint" and e.plan_index is not None:
            self.hints[e.plan_index] = self.hints.get(e.plan_index, 0) + 1
        elif isinstance(e, Ended):
            self.ended = e
        if isinstance(e, Said):
            self.said_since.append(e)
        elif not isinstance(e, CandidateSaid):
            self.last = e
            self.said_since = []


class InterviewSession:
    """One candidate's interview. Not thread-safe: one session per chat."""

    def __init__(self, services: Services, pack: Pack, events: list[Event], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        start = events[0]
        if not isinstance(start, SessionStarted):
            raise InputError("a session's transcript must begin with its start event")
        self.services = services
        self.pack = pack
        self.session_id = start.session_id
        self.config = start.config
        self.plan: list[PlanItem] = start.plan
        self._events: list[Event] = []
        self._state = _State(start)
        self._index = 0
        for e in events:
            self._events.append(e)
            self._state.apply(e)
        self._stages = {s.id: s for s in pack.stages}
        self._replay: list[Said] = []  # during a resume: what was already said, in order
        self._stop_after_answer = False  # `/end` typed after an answer: end instead of asking on
        rate = self.config.max_messages_per_minute
        self._bucket = TokenBucket(rate, clock=clock) if rate else None

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def create(cls, services: Services, config: SessionConfig, *,
               clock: Callable[[], float] = time.monotonic) -> InterviewSession:
        """Plan the questions (seeded), record the start event, return the session (not started)."""
        pack = services.pack(config.pack)
        stages = plan_stages(pack, config.stage)  # raises NotFoundError for an unknown stage
        if config.stage is not None:
            config = config.model_copy(update={"stage": stages[0].id})
        seed = config.seed if config.seed is not None else draw_seed()
        if config.plan == "weak":  # from the owner's transcripts; recorded below, so a resume
            from interviewer.interview.weak_plan import plan_from_history  # replays it

            plan = plan_from_history(services, pack, config, seed)
        else:
            plan = build_plan(pack, config, seed)
        planned = {i.stage_id for i in plan}
        qs = [pack.question(i.question_id) for i in plan]
        start = SessionStarted(
            session_id=services.store.new_id(), owner=config.owner, config=config, seed=seed,
            plan=plan,
            stages=[StageSnapshot(id=s.id, name=s.name, persona=s.persona)
                    for s in stages if s.id in planned],
            questions=[QuestionSnapshot(
                id=q.id, topic=q.topic, kind=q.kind, difficulty=q.difficulty, question=q.question,
                example_answer=q.example_answer, key_points=list(q.key_points),
                provenance=q.provenance) for q in qs],
            pack_sha256=pack.source.sha256, interviewer=services.interviewer.name,
            grader=getattr(services.grader, "name", type(services.grader).__name__),
            app_version=_app_version(),
        )
        services.store.compare_and_append(start.session_id, start, 0)
        return cls(services, pack, [start], clock=clock)

    @classmethod
    def resume(cls, services: Services, session_id: str, *,
               clock: Callable[[], float] = time.monotonic) -> InterviewSession:
        """Rebuild a session from its transcript (a torn last line is ignored)."""
        events = services.store.load(session_id)
        start = events[0]
        assert isinstance(start, SessionStarted)
        pack = services.pack(start.config.pack)
        for item in start.plan:
            pack.question(item.question_id)  # NotFoundError if the pack lost a planned question
        return cls(services, pack, events, clock=clock)

    # --- the conversation ---------------------------------------------------------------------

    def start(self) -> list[InterviewerReply]:
        """The opening in the first stage's persona and the first question."""
        return _collect(self.stream_start())

    def send(self, text: str) -> list[InterviewerReply]:
        """Candidate input: a `/command`, a clarifying question, a derail attempt or an answer."""
        return _collect(self.stream_send(text))

    def answer(self, text: str, *, grade: Grade | None = None) -> list[InterviewerReply]:
        """Grade `text` as the answer to the current question (no command parsing). `grade`:
        the answer was graded already (a take-home reviewed as code, interviewer/review): it
        is recorded as given, with `text` as the answer."""
        return _collect(self._run(self._gated_answer(text, grade)))

    def hint(self) -> list[InterviewerReply]:
        return _collect(self._run(self._hint()))

    def skip(self) -> list[InterviewerReply]:
        return _collect(self._run(self._skip()))

    def repeat(self) -> list[InterviewerReply]:
        return _collect(self._run(self._repeat()))

    def end(self) -> list[InterviewerReply]:
        """End early: closing + summary; answered turns stay graded."""
        return _collect(self._run(self._end(early=True)))

    def resume_replies(self) -> list[InterviewerReply]:
        """What to show after `resume`: a notice and the question that is waiting for an answer."""
        return _collect(self.stream_resume())

    # --- streaming variants ---------------------------------------------------------------------

    def stream_start(self) -> Iterator[StreamEvent]:
        if self._state.current >= 0 or self._state.ended:
            return self.stream_resume()
        return self._run(self._advance())

    def stream_send(self, text: str) -> Iterator[StreamEvent]:
        """Like `send`, yielding text deltas as the interviewer produces them."""
        return self._run(self._send(text))

    def stream_end(self) -> Iterator[StreamEvent]:
        return self._run(self._end(early=True))

    def stream_send_then_end(self, text: str) -> Iterator[StreamEvent]:
        """`text` (an answer typed before `/end`) is handled as `send` would, but the interview
        then ends where it would have asked its next question or follow-up: the candidate
        never sees a question they were not going to answer."""

        def steps() -> Iterator[StreamEvent]:
            self._stop_after_answer = True
            try:
                yield from self._send(text)
            finally:
                self._stop_after_answer = False

        return self._run(steps())

    def stream_resume(self) -> Iterator[StreamEvent]:
        return self._run(self._resume())

    # --- state ----------------------------------------------------------------------------------

    @property
    def max_message_chars(self) -> int:
        """The session's limit, never above the deployment's (`settings.max_answer_chars`)."""
        return min(self.config.max_answer_chars, self.services.max_answer_chars)

    @property
    def finished(self) -> bool:
        return self._state.ended is not None

    @property
    def awaiting_answer(self) -> bool:
        return self._state.awaiting is not None

    @property
    def current_question(self) -> Question | None:
        a = self._state.awaiting
        return self.pack.question(a.question_id) if a else None

    @property
    def open_turn(self) -> tuple[int, int] | None:
        """The prompt awaiting an answer as (plan index, follow-up number), or None: two session
        objects on one interview expect the same answer exactly when these are equal."""
        a = self._state.awaiting
        return (a.plan_index, a.follow_up) if a else None

    @property
    def events_seen(self) -> int:
        """The transcript's events this object has seen (loaded or written): its next write
        expects the store to hold exactly these."""
        return len(self._events)

    def behind_store(self) -> bool:
        """Whether the durable transcript holds events this object has not seen: another object
        on the same interview (a second tab, another process) has moved it on since."""
        return len(self.services.store.load(self.session_id)) > len(self._events)

    def status(self) -> SessionStatus:
        st = self._state
        item = self.plan[st.current] if st.current >= 0 else None
        stage = self._stages.get(item.stage_id) if item else None
        return SessionStatus(
            session_id=self.session_id, stage_id=item.stage_id if item else None,
            stage_name=stage.name if stage else None, question_number=st.current + 1,
            total_questions=len(self.plan), answered=len(st.grades),
            finished=self.finished, mode=self.config.mode,
            interviewer=self.services.interviewer.name,
        )

    def transcript(self) -> Transcript:
        return Transcript.from_events(self._events)

    def summary(self) -> SessionSummary:
        return summarize(self.transcript())

    # --- internals: steps are generators of stream events ---------------------------------------

    def _run(self, steps: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        self._index = 0
        yield from steps

    def _record(self, event: Event) -> None:
        """Durable first (fsync), then in memory: a crash never loses an acknowledged event.
        Written only if the transcript still holds exactly the events this object has seen, so
        two tabs (or processes) sending at the same instant cannot both pass the staleness
        check: the later one gets `SessionMovedOnError` and nothing of its turn is recorded."""
        self.services.store.compare_and_append(self.session_id, event, len(self._events))
        self._events.append(event)
        self._state.apply(event)

    def _done(self, reply: InterviewerReply) -> ReplyDone:
        done = ReplyDone(index=self._index, reply=reply)
        self._index += 1
        return done

    def _notice(self, text: str, **extra: object) -> ReplyDone:
        # typed: extra reply fields are validated by the pydantic model
        return self._done(InterviewerReply(kind="notice", text=text, **extra))  # type: ignore[arg-type]

    def _request(self, task: Task, plan_index: int, **extra: object) -> ComposeRequest:
        item = self.plan[plan_index]
        stage = self._stages[item.stage_id]
        q = self.pack.question(item.question_id)
        in_stage = sum(1 for i in self.plan if i.stage_id == item.stage_id)
        stage_ids = list(dict.fromkeys(i.stage_id for i in self.plan))
        before = [i for i in self.plan[:plan_index] if i.stage_id == item.stage_id]
        prev = plan_index - 1
        context: dict[str, object] = {
            "stage_question_number": len(before) + 1, "stage_number":
            stage_ids.index(item.stage_id) + 1, "stages_total": len(stage_ids),
            "questions_total": len(self.plan), "mode": self.config.mode}
        if prev >= 0:
            last = self._state.grades.get(prev)
            context["last_score"] = last.score if last is not None else None
            context["last_skipped"] = last is None
        return ComposeRequest(
            task=task, pack=self.pack.name, company=self.pack.company, role=self.pack.role,
            stage=stage, question=q,
            question_number=plan_index + 1, questions_in_stage=in_stage,
            answers=list(self._state.answers.get(plan_index, [])),
            used_follow_ups=list(self._state.used_follow_ups.get(plan_index, [])),
            hint_number=self._state.hints.get(plan_index, 0), full_loop=self.config.full_loop,
            # typed: extra reply fields are validated by the pydantic model
            **(context | extra),  # type: ignore[arg-type]
        )

    def _compose(self, req: ComposeRequest) -> Generator[StreamEvent, None, Composed]:
        composed: Composed | None = None
        try:
            for item in self.services.interviewer.compose(req):
                if isinstance(item, Composed):
                    composed = item
                else:
                    yield TextDelta(index=self._index, text=item)
        except ModelError as e:  # the LLM interviewer falls back itself; this is a last resort
            composed = OfflineInterviewer().write(req).model_copy(
                update={"fallback": True, "fallback_reason": str(e)})
        if composed is None:
            composed = OfflineInterviewer().write(req)
        return composed

    def _said_before(self, kind: str, stage_id: str, question_id: str | None) -> Said | None:
        """During a resume: the message the interrupted run already said (and recorded) at this
        point, to be shown again from the record instead of being said a second time."""
        if not self._replay:
            return None
        said = self._replay[0]
        if (said.kind, said.stage_id, said.question_id) != (kind, stage_id, question_id):
            self._replay = []  # the run went another way: nothing further is a repeat
            return None
        return self._replay.pop(0)

    def _say(self, kind: ReplyKind, task: Task, plan_index: int,
             **extra: object) -> Generator[StreamEvent, None, None]:
        item = self.plan[plan_index]
        qid = item.question_id if kind not in ("opening", "transition", "closing") else None
        said = self._said_before(kind, item.stage_id, qid)
        if said is not None:
            yield self._done(InterviewerReply(
                kind=kind, text=said.text, stage_id=item.stage_id, question_id=qid,
                interviewer=said.interviewer or OFFLINE, fallback=said.fallback))
            return
        req = self._request(task, plan_index, **extra)
        composed = yield from self._compose(req)
        if not composed.text:
            return
        self._record(Said(kind=kind, text=composed.text, stage_id=item.stage_id, question_id=qid,
                          interviewer=composed.interviewer,
                          prompt_version=composed.prompt_version, fallback=composed.fallback))
        yield self._done(InterviewerReply(
            kind=kind, text=composed.text, stage_id=item.stage_id, question_id=qid,
            interviewer=composed.interviewer, fallback=composed.fallback))

    def _ask(self, plan_index: int) -> Generator[StreamEvent, None, None]:
        """Lead-in (interviewer's words) + the pack's question verbatim, as one reply."""
        item = self.plan[plan_index]
        q = self.pack.question(item.question_id)
        lead = yield from self._compose(self._request("lead_in", plan_index))
        tail = q.question.strip()
        if lead.text:
            yield TextDelta(index=self._index, text="\n\n" + tail)
            text = f"{lead.text.strip()}\n\n{tail}"
        else:
            yield TextDelta(index=self._index, text=tail)
            text = tail
        self._record(Asked(kind="question", plan_index=plan_index, stage_id=item.stage_id,
                           question_id=q.id, text=text, interviewer=lead.interviewer,
                           prompt_version=lead.prompt_version, fallback=lead.fallback))
        prepare_grader(self.services.grader, [q])  # while the candidate reads and thinks
        yield self._done(InterviewerReply(
            kind="question", text=text, stage_id=item.stage_id, question_id=q.id,
            interviewer=lead.interviewer, fallback=lead.fallback, reason=item.reason))

    def _advance(self) -> Generator[StreamEvent, None, None]:
        """Move to the next planned question: stage transition and opening as needed, or end."""
        st = self._state
        nxt = st.current + 1
        if nxt >= len(self.plan):
            yield from self._end(early=False)
            return
        if self._stop_after_answer:  # `/end` came with this answer: end, ask nothing more
            yield from self._end(early=True)
            return
        new_stage = st.current < 0 or self.plan[st.current].stage_id != self.plan[nxt].stage_id
        if new_stage:
            if st.current >= 0:
                yield from self._say("transition", "transition", st.current,
                                     next_stage=self._stages[self.plan[nxt].stage_id])
            yield from self._say("opening", "opening", nxt)
        yield from self._ask(nxt)

    def _throttled(self, text: str) -> ReplyDone | None:
        """The rate limit's refusal (the text returned, nothing recorded), or None to go on."""
        if self._bucket is None:
            return None
        wait = self._bucket.take()
        if wait is None:
            return None
        return self._notice(
            f"You are sending messages faster than {self._bucket.per_minute} a minute, so this "
            f"one was not sent. It is kept here: send it again in {math.ceil(wait)} s.",
            kept_text=text)

    def _gated_answer(self, text: str,
                      graded: Grade | None = None) -> Generator[StreamEvent, None, None]:
        refused = self._throttled(text)
        if refused is not None:
            yield refused
            return
        yield from self._answer(text, graded)

    def _send(self, text: str) -> Generator[StreamEvent, None, None]:
        refused = self._throttled(text)
        if refused is not None:
            yield refused
            return
        if self.finished:
            yield self._notice("This interview has ended. Start a new one to keep practising.",
                               kept_text=text if text.strip() else None)
            yield self._summary_reply()
            return
        if len(text) > self.max_message_chars:  # before any routing: commands included
            if self._state.awaiting is None:
                yield from self._resume()
                if self.finished:
                    return
            yield from self._too_long(text)
            return
        parsed = parse_input(text)
        if self._state.awaiting is None:  # not started, or resumed between answer and question
            yield from self._resume()
            if self.finished:
                return
            if parsed.kind != "command":  # the candidate has not seen this question yet
                if parsed.kind != "empty":
                    yield self._notice("Your message was not taken as an answer: the question "
                                       "above is new to you. It is kept here.", kept_text=text)
                return
        if parsed.kind == "command":
            yield from self._command(parsed.command or "", parsed.argument, text)
        elif parsed.kind == "derail":
            yield from self._derail(text, parsed.derail)
        elif parsed.kind == "clarify":
            yield from self._clarify(text)
        else:
            yield from self._answer(text)

    def _command(self, cmd: str, arg: str, raw: str) -> Generator[StreamEvent, None, None]:
        cmd = _ALIASES.get(cmd, cmd)
        if cmd == "/hint":
            yield from self._hint()
        elif cmd == "/skip":
            yield from self._skip()
        elif cmd == "/repeat":
            yield from self._repeat()
        elif cmd == "/end":
            yield from self._end(early=True)
        elif cmd == "/clarify" and arg:
            yield from self._clarify(arg)
        elif cmd == "/help" or cmd == "/clarify":
            yield self._notice(help_text())
        else:
            pi = self._state.current
            self._record(CandidateSaid(handled_as="unknown_command", text=raw, plan_index=pi))
            yield self._notice(f"Unknown command {cmd}. Your answer was not sent.\n{help_text()}")

    def _answer(self, text: str,
                graded: Grade | None = None) -> Generator[StreamEvent, None, None]:
        st = self._state
        asked = st.awaiting
        if asked is None:
            yield self._notice("There is no open question right now.")
            return
        if not text.strip():
            yield self._notice("I didn't catch an answer; nothing was graded. Here is the "
                               f"question again:\n\n{self._bare(asked)}",
                               stage_id=asked.stage_id, question_id=asked.question_id)
            return
        if len(text) > self.max_message_chars:
            yield from self._too_long(text)
            return
        q = self.pack.question(asked.question_id)
        pi = asked.plan_index
        graded_text = "\n\n".join([*st.answers.get(pi, []), text])
        prior = st.grades.get(pi)
        if prior is not None and prior.corrected and graded is None:
            graded_text = correction_text(st.answers.get(pi, []), prior.corrected, text)
        if graded is not None:
            grade, graded_text = graded, text
        else:
            try:
                grade = self.services.grader.grade(
                    GradeRequest(question=q, answer=graded_text, pack=self.pack.name,
                                 asked=st.used_follow_ups.get(pi, []),
                                 neighbours=self.pack.neighbours(q)))
            except (GradingError, ModelError) as e:
                yield self._notice(f"Your answer could not be graded ({e}). It is kept: send "
                                   "it again in a moment.", kept_text=text)
                return
        if asked.follow_up and pi in st.grades:
            before = st.grades[pi]
            revised = None
            if graded is None and not before.findings and before.wrong_claims and \
                    corrects(text, before.wrong_claims, q):
                revised_text = correction_text(st.answers.get(pi, []), before.wrong_claims, text)
                try:
                    retry = self.services.grader.grade(GradeRequest(
                        question=q, answer=revised_text, pack=self.pack.name,
                        asked=st.used_follow_ups.get(pi, []),
                        neighbours=self.pack.neighbours(q)))
                except (GradingError, ModelError):
                    retry = None  # the usual settling below still applies
                revised = settle_correction(before, retry) if retry is not None else None
                if revised is not None:
                    graded_text = revised_text
            if revised is not None:
                grade = revised
            else:
                if before.findings:  # a reviewed take-home: the code's findings stand
                    from interviewer.review.combine import reapply

                    grade = reapply(before, grade, q)
                grade = settle_follow_up(before, grade)
            if grade.follow_up:  # asked already
                grade = grade.model_copy(update={"follow_up": None})
        self._record(Answered(
            plan_index=pi, stage_id=asked.stage_id, question_id=q.id,
            follow_up=asked.follow_up, prompt=asked.text, answer=text, graded_text=graded_text,
            grade=grade, asked_at=asked.at, answered_at=now(), interviewer=asked.interviewer,
            interviewer_prompt_version=asked.prompt_version,
        ))
        yield from self._after_answer(pi)

    def _too_long(self, text: str) -> Generator[StreamEvent, None, None]:
        """Refuse an over-long message: returned in full, saved (up to KEEP_FACTOR x the
        limit), never graded or sent to a model."""
        limit = self.max_message_chars
        asked = self._state.awaiting
        keep = limit * KEEP_FACTOR
        saved = "saved in the transcript" if len(text) <= keep else \
            f"its first {keep:,} characters saved in the transcript"
        self._record(CandidateSaid(handled_as="too_long", text=text[:keep],
                                   plan_index=asked.plan_index if asked else None))
        yield self._notice(
            f"That message is {len(text):,} characters; the limit is {limit:,}. It was not "
            f"sent or graded, and it is kept (returned here and {saved}): shorten it and send "
            "it again.", kept_text=text, stage_id=asked.stage_id if asked else None,
            question_id=asked.question_id if asked else None)

    def _after_answer(self, pi: int) -> Generator[StreamEvent, None, None]:
        """Follow up on a gap (capped), else feedback (practice) and the next question."""
        st = self._state
        grade = st.grades[pi]
        q = self.pack.question(self.plan[pi].question_id)
        asked_follow_ups = st.follow_ups.get(pi, 0)
        # "I don't know" gets no probe into a story it did not tell (QA: "How did you balance
        # this work with your commitments?"): the candidate can ask for a hint, or move on
        gave_nothing = is_non_answer(st.answers.get(pi, [""])[-1])
        if grade.follow_up and not asked_follow_ups and self.config.max_follow_ups and \
                not self._stop_after_answer:
            yield from self._probe(pi, grade, q)  # the review's question on its worst finding
            return
        probe = None
        if _has_gap(grade, self.config.follow_up_below, self.config.follow_up_missed_share) and \
                asked_follow_ups < self.config.max_follow_ups and not gave_nothing and \
                not self._stop_after_answer:
            probe = choose_probe(q, grade, st.answers.get(pi, []),
                                 used=st.used_follow_ups.get(pi, []),
                                 hints_given=st.hints.get(pi, 0))
        if probe is not None:
            gaps = [*grade.missed, *grade.unchecked]
            req = self._request("follow_up", pi, missed=[k.point for k in gaps],
                                other_question=bool(grade.other_question), probe=probe)
            practice = self.config.mode == "practice"
            held: list[TextDelta] = []
            stream = self._compose(req)
            if practice:  # the partial feedback comes first, so hold the follow-up's text
                composed = yield from _hold(stream, held)
            else:
                composed = yield from stream
            if composed.text:
                if practice:
                    yield from self._feedback(pi, grade, q, partial=True)
                    for d in held:
                        yield d.model_copy(update={"index": self._index})
                item = self.plan[pi]
                self._record(Asked(
                    kind="follow_up", plan_index=pi, stage_id=item.stage_id, question_id=q.id,
                    follow_up=asked_follow_ups + 1, text=composed.text,
                    interviewer=composed.interviewer, prompt_version=composed.prompt_version,
                    fallback=composed.fallback))
                yield self._done(InterviewerReply(
                    kind="follow_up", text=composed.text, stage_id=item.stage_id,
                    question_id=q.id, interviewer=composed.interviewer,
                    fallback=composed.fallback))
                return
        if self.config.mode == "practice":
            yield from self._feedback(pi, grade, q)
        yield from self._advance()

    def _probe(self, pi: int, grade: Grade, q: Question) -> Generator[StreamEvent, None, None]:
        """Ask the follow-up the grade brings (a review asks about its most serious finding),
        after the partial feedback in practice mode."""
        item = self.plan[pi]
        text = grade.follow_up or ""
        if self.config.mode == "practice":
            yield from self._feedback(pi, grade, q, partial=True)
        self._record(Asked(kind="follow_up", plan_index=pi, stage_id=item.stage_id,
                           question_id=q.id, follow_up=1, text=text, interviewer="review"))
        yield self._done(InterviewerReply(kind="follow_up", text=text, stage_id=item.stage_id,
                                          question_id=q.id, interviewer="review"))

    def _feedback(self, pi: int, grade: Grade | None, q: Question,
                  partial: bool = False) -> Generator[StreamEvent, None, None]:
        item = self.plan[pi]
        said = self._said_before("feedback", item.stage_id, q.id)
        if said is not None:  # resumed after the feedback was recorded: show it, once
            text = said.text
        else:
            if grade is None:
                text = f"Skipped. Example answer: {q.example_answer.strip()}"
            else:
                text = feedback_text(grade, q, partial=partial)
            self._record(Said(kind="feedback", text=text, stage_id=item.stage_id,
                              question_id=q.id))
        yield self._done(InterviewerReply(
            kind="feedback", text=text, stage_id=item.stage_id, question_id=q.id, grade=grade,
            example_answer=None if partial else q.example_answer))

    def _bare(self, asked: Asked) -> str:
        """The question without the interviewer's lead-in (follow-ups are bare already)."""
        if asked.kind == "question":
            return self.pack.question(asked.question_id).question.strip()
        return asked.text

    def _hint(self) -> Generator[StreamEvent, None, None]:
        asked = self._state.awaiting
        if asked is None:
            yield self._notice("There is no open question to hint at.")
            return
        pi = asked.plan_index
        self._record(CandidateSaid(handled_as="hint", text="/hint", plan_index=pi))
        # hint_number counts hints before this one
        req = self._request("hint", pi)
        req.hint_number = max(0, req.hint_number - 1)
        composed = yield from self._compose(req)
        text = composed.text or "No hint for this one."
        self._record(Said(kind="hint", text=text, stage_id=asked.stage_id,
                          question_id=asked.question_id, interviewer=composed.interviewer,
                          prompt_version=composed.prompt_version, fallback=composed.fallback))
        yield self._done(InterviewerReply(
            kind="hint", text=text, stage_id=asked.stage_id, question_id=asked.question_id,
            interviewer=composed.interviewer, fallback=composed.fallback))

    def _skip(self) -> Generator[StreamEvent, None, None]:
        asked = self._state.awaiting
        if asked is None:
            yield self._notice("There is no open question to skip.")
            return
        pi = asked.plan_index
        self._record(Skipped(plan_index=pi, stage_id=asked.stage_id,
                             question_id=asked.question_id, follow_up=asked.follow_up))
        yield from self._after_skip(pi)

    def _after_skip(self, pi: int) -> Generator[StreamEvent, None, None]:
        if self.config.mode == "practice":
            q = self.pack.question(self.plan[pi].question_id)
            yield from self._feedback(pi, self._state.grades.get(pi), q)
        yield from self._advance()

    def _repeat(self) -> Generator[StreamEvent, None, None]:
        asked = self._state.awaiting
        if asked is None:
            yield self._notice("There is no open question to repeat.")
            return
        self._record(CandidateSaid(handled_as="repeat", text="/repeat",
                                   plan_index=asked.plan_index))
        yield self._done(InterviewerReply(  # the question again, not its lead-in
            kind=asked.kind, text=self._bare(asked), stage_id=asked.stage_id,
            question_id=asked.question_id, interviewer=asked.interviewer, repeated=True))

    def _derail(self, text: str, kind: str | None) -> Generator[StreamEvent, None, None]:
        asked = self._state.awaiting
        assert asked is not None
        self._record(CandidateSaid(handled_as="derail", text=text, plan_index=asked.plan_index))
        yield from self._say("notice", "derail", asked.plan_index, candidate_text=text,
                             derail=kind)

    def _clarify(self, text: str) -> Generator[StreamEvent, None, None]:
        asked = self._state.awaiting
        assert asked is not None
        self._record(CandidateSaid(handled_as="clarify", text=text, plan_index=asked.plan_index))
        yield from self._say("clarification", "clarify", asked.plan_index, candidate_text=text)

    def _end(self, *, early: bool) -> Generator[StreamEvent, None, None]:
        if self.finished:
            yield self._summary_reply()
            return
        pi = max(self._state.current, 0)
        yield from self._say("closing", "closing", pi, ended_early=early)
        self._record(Ended(reason="ended_early" if early else "completed"))
        yield self._summary_reply()

    def _summary_reply(self) -> ReplyDone:
        summary = self.summary()
        return self._done(InterviewerReply(kind="summary", text=summary.headline(),
                                           summary=summary))

    def _resume(self) -> Generator[StreamEvent, None, None]:
        st = self._state
        if self.finished:
            yield self._summary_reply()
            return
        if st.current < 0:
            yield from self._replaying(self._advance())
            return
        if st.awaiting is not None:
            a = st.awaiting
            yield self._notice(f"Welcome back. {len(st.grades)} of {len(self.plan)} questions "
                               "answered so far; here is where we were.")
            yield self._done(InterviewerReply(
                kind=a.kind, text=a.text, stage_id=a.stage_id, question_id=a.question_id,
                interviewer=a.interviewer,
                reason=self.plan[a.plan_index].reason if a.kind == "question" else None))
            return
        # the process stopped after an answer was saved but before the next question was asked
        yield self._notice("Welcome back; your last answer was saved. Let's continue.")
        if isinstance(st.last, Skipped):
            yield from self._replaying(self._after_skip(st.current))
        else:
            yield from self._replaying(self._after_answer(st.current))

    def _replaying(self, steps: Iterator[StreamEvent]) -> Generator[StreamEvent, None, None]:
        """Redo the steps the interrupted run was in, without repeating what it had recorded."""
        self._replay = list(self._state.said_since)
        try:
            yield from steps
        finally:
            self._replay = []


def _has_gap(grade: Grade, below: float, missed_share: float | None) -> bool:
    """A low score with missed key points (or points the grader cannot check) earns a
    follow-up; optionally, so does missing more than `missed_share` of the key points at any
    score."""
    if not (grade.missed or grade.unchecked):
        return False
    if grade.score < below:
        return True
    return missed_share is not None and len(grade.missed) > missed_share * len(grade.key_points)


def _hold(stream: Generator[StreamEvent, None, Composed],
          held: list[TextDelta]) -> Generator[StreamEvent, None, Composed]:
    """Run a compose step, keeping its deltas instead of yielding them."""
    while True:
        try:
            ev = next(stream)
        except StopIteration as stop:
            return stop.value
        if isinstance(ev, TextDelta):
            held.append(ev)
        else:
            yield ev


def _collect(events: Iterator[StreamEvent]) -> list[InterviewerReply]:
    return [e.reply for e in events if isinstance(e, ReplyDone)]


def _app_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("interviewer")
    except PackageNotFoundError:
        return None

