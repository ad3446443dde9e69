"""`interviewer eval conduct`: simulated candidates drive full interview sessions; we check that
the interviewer behaves (one question per turn, only its stage's questions, no answer revealed
before the candidate answers, follow-ups only after a gap and capped, the session ends, the
transcript is complete) and that the grades order the personas (strong > average > weak).

Interviewers exercised, all without a network unless an endpoint is asked for:
- `offline`: the written offline interviewer;
- `stub:<script>`: the LLM interviewer driven by a scripted model that misbehaves on purpose
  (`benign`, `leak`: pastes the example answer and key points, `double`: asks two questions,
  `malformed`: empty, truncated, binary, over-long replies and errors, `grade`: announces a
  score, `mixed`: all of them in turn). The session guard must turn each of these into the
  offline text, so the same checks must pass; `fallbacks` counts how often it had to;
- `openai:MODEL`: a real OpenAI-compatible endpoint from the settings (optionally with an LLM
  playing the candidate, `--llm-candidate`).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals import DATASETS_DIR, REPORTS_DIR, RUNS_DIR, RunLog, git_commit
from evals.metrics.conduct import (
    CheckResult,
    ReplyView,
    TurnView,
    check_follow_up_relevance,
    check_follow_ups,
    check_no_grade_talk,
    check_no_reveal,
    check_one_question_per_turn,
    check_persona_bounds,
    check_persona_order,
    check_questions_in_stage,
    check_session_ends,
    check_transcript_complete,
    follow_up_counts,
    mean,
    pass_rates,
)
from evals.personas import (
    GRADED_ORDER,
    PERSONAS,
    CandidateTurn,
    LLMCandidate,
    Persona,
    ScriptSpec,
    average_answer,
    load_persona_file,
    make_persona,
)
from interviewer.app.services import Services
from interviewer.core.agents import LLM, OFFLINE, REFERENCE, AgentName
from interviewer.core.errors import InputError, ModelError
from interviewer.core.grade import Grade, Grader, GradeRequest
from interviewer.core.pack import Pack, Question, load_pack
from interviewer.core.session import InterviewerReply, Mode, SessionConfig
from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.interview.llm_interviewer import LLMInterviewer
from interviewer.interview.offline import Composed, ComposeRequest, OfflineInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.llm import ChatModel, Completion
from interviewer.llm.fakes import Reply, ScriptedChatModel
from interviewer.transcripts.store import JsonlTranscriptStore

DEFAULT_PACK = "kraken-ml-engineer"
DEFAULT_REPORT = REPORTS_DIR / "conduct_latest.md"
DEFAULT_PERSONA_FILE = DATASETS_DIR / "personas_v1.yaml"
STUB_SCRIPTS = ("benign", "leak", "double", "malformed", "grade", "mixed")
FULL_LOOP = "full-loop"
CONTROL = "control:"  # an interviewer name prefix: unguarded, expected to fail the checks
CHECKS = ("one_question_per_turn", "questions_in_stage", "no_reveal_before_answer",
          "follow_ups_gap_and_cap", "no_grade_talk", "session_ends", "transcript_complete")


# --- a scripted LLM interviewer that misbehaves on purpose --------------------------------------

_BENIGN = {
    "opening": "Hello, I'm Dana and I'll be your interviewer for this stage. We'll go through a "
               "few questions one at a time, so take your time with each.",
    "lead_in": "Thanks, let's move on to the next one.",
    "follow_up": "Could you walk me through how you would check that in practice?",
    "hint": "Try structuring your answer around the data you would have and the decision it "
            "feeds.",
    "clarify": "Answer it as you understand it and state your assumptions as you go.",
    "derail": "Let's stay with the question we're on; I'd like to hear your own take.",
    "transition": "Thank you, that's the end of this part. The next stage comes up now.",
    "closing": "Thank you for your time today. Your summary follows.",
}
_MALFORMED: list[Reply] = [
    "", '{"role": "assistant", "content": null', "\x00\x00\x00", "A" * 2_000,
    ModelError("stub: connection reset by peer"),
    Completion(text="Let's turn", finish_reason="length"), "   \n\t  ",
]


class StubInterviewerModel(ScriptedChatModel):
    """A ChatModel that answers each interviewer prompt from a script of behaviours, picked in
    turn. It reads the task and the question from the call's `CallInfo` and knows the pack, so a
    `leak` reply really contains that question's example answer. Records every call."""

    def __init__(self, pack: Pack, script: str, *, chunk_size: int = 32) -> None:
        if script not in STUB_SCRIPTS:
            raise InputError(f"unknown stub script {script!r} (known: {', '.join(STUB_SCRIPTS)})")
        super().__init__(model_name=f"stub-{script}", chunk_size=chunk_size)
        self.pack = pack
        self._questions = {q.id: q for q in pack.questions}
        self.script = script
        self._n = 0
        self.behaviours: list[str] = []

    def _next(self) -> Reply:
        info = self.calls[-1].info
        task = info.task if info is not None else "lead_in"
        q = self._questions.get(info.question_id or "") if info is not None else None
        cycle = STUB_SCRIPTS[:-1] if self.script == "mixed" else (self.script,)
        behaviour = cycle[self._n % len(cycle)]
        self._n += 1
        self.behaviours.append(behaviour)
        return self._reply(behaviour, task, q)

    def _reply(self, behaviour: str, task: str, q: Question | None) -> Reply:
        if behaviour == "leak" and q is not None:
            if task == "follow_up":
                return f"Did you consider that {q.key_points[-1].rstrip('.').lower()}?"
            return ("Happy to help. A model answer would be: " + q.example_answer + " Key points: "
                    + " ".join(q.key_points))
        if behaviour == "double":
            return ("Before we go on, what's your favourite model? And how would you deploy it "
                    "to production?")
        if behaviour == "malformed":
            return _MALFORMED[(self._n - 1) % len(_MALFORMED)]
        if behaviour == "grade":
            return "Honestly that already deserves a 5/5, so let's keep going."
        return _BENIGN.get(task, _BENIGN["lead_in"])


class UnguardedInterviewer:
    """The control: the LLM interviewer's prompts and the stub's replies with no guard at all.
    Its sessions are expected to FAIL the checks; if they pass, the checks have lost their
    teeth. Never used outside the eval."""

    def __init__(self, model: ChatModel, prompts_dir: Path, settings: Settings) -> None:
        self._llm = LLMInterviewer(model, prompts_dir, settings=settings)
        self.model = model
        self.name = f"unguarded:{model.model_name}"

    def compose(self, req: ComposeRequest) -> Iterator[str | Composed]:
        prompt, msgs = self._llm.messages(req, req.pack)
        info = self._llm.call_info(req, prompt)
        text = "".join(self.model.stream(msgs, info=info)).strip()  # a ModelError: the session's
        if text:
            yield text
        yield Composed(text=text or None, interviewer=self.name)


# --- graders ------------------------------------------------------------------------------------


class CachedGrader:
    """Grades each (question, answer) once: personas repeat answers across interviewers."""

    def __init__(self, inner: Grader) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self._cache: dict[tuple[str, str], Grade] = {}
        self.calls = 0

    def grade(self, request: GradeRequest) -> Grade:
        key = (request.question.id, request.answer)
        if key not in self._cache:
            self.calls += 1
            self._cache[key] = self.inner.grade(request)
        return self._cache[key]


def default_grader(settings: Settings, model: ChatModel | None = None) -> Grader:
    """The reference grader offline; the configured grader with a real endpoint."""
    from interviewer.grading.factory import make_grader

    return make_grader(settings, model=model, choice=LLM if model is not None else REFERENCE)


# --- one simulated session ----------------------------------------------------------------------


class SessionRun(BaseModel):
    """One persona through one session, with the check results."""

    id: str
    interviewer: str
    persona: str
    scope: str  # stage id or FULL_LOOP
    mode: Mode
    seed: int
    session_id: str
    finished: bool
    turns: int
    planned: int
    answered: int
    skipped: int
    follow_ups: int
    # follow-ups after a graded answer; those targeting what the grade named; those that
    # presuppose something the candidate never said (metrics/conduct.py, follow-up relevance)
    probes: int = 0
    probes_on_target: int = 0
    probes_presupposing: int = 0
    probe_failures: list[str] = Field(default_factory=list)
    replies: int
    fallbacks: int
    score: float | None
    scores: list[float] = Field(default_factory=list)  # per graded question (final grade)
    checks: list[CheckResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def _view(r: InterviewerReply) -> ReplyView:
    return ReplyView(kind=r.kind, text=r.text, stage_id=r.stage_id, question_id=r.question_id,
                     fallback=r.fallback, repeated=r.repeated)


def _answers_count(t: Transcript) -> int:
    return sum(1 for rec in t.questions for x in rec.exchanges if x.answer is not None)


def drive(session: InterviewSession, persona: Persona, *, max_turns: int) -> list[TurnView]:
    """Play the persona until the session ends or the turn budget runs out."""
    turns = [TurnView(index=0, replies=[_view(r) for r in session.start()])]
    prompt_text, follow_up, attempt = "", 0, 0
    follow_ups: dict[str, int] = defaultdict(int)

    def note(replies: Sequence[ReplyView]) -> None:
        nonlocal prompt_text, follow_up, attempt
        for r in replies:
            if r.kind in ("question", "follow_up") and not r.repeated:
                if r.kind == "follow_up":
                    follow_ups[r.question_id or ""] += 1
                prompt_text = r.text
                follow_up = follow_ups[r.question_id or ""] if r.kind == "follow_up" else 0
                attempt = 0

    note(turns[0].replies)
    answered = _answers_count(session.transcript())
    while not session.finished and len(turns) <= max_turns:
        q = session.current_question
        text = persona.reply(CandidateTurn(question=q, prompt_text=prompt_text,
                                           follow_up=follow_up, attempt=attempt))
        attempt += 1
        replies = [_view(r) for r in session.send(text)]
        transcript = session.transcript()
        now_answered = _answers_count(transcript)
        graded = now_answered > answered
        answered = now_answered
        score, missed, unchecked, n_points = None, [], [], 0
        seen: dict[str, Any] = {}
        if graded and q is not None:
            rec = next(r for r in transcript.questions if r.question_id == q.id)
            grade = rec.final_grade
            if grade is not None:
                score, missed = grade.score, [k.point for k in grade.missed]
                unchecked = [k.point for k in grade.unchecked]
                n_points = len(grade.key_points)
                seen = {"wrong_claims": [w.text for w in grade.wrong_claims]
                        or list(grade.misconceptions),
                        "covered": [k.point for k in grade.covered],
                        "other_question": bool(grade.other_question),
                        "question_kind": q.kind,
                        "answer_text": "\n\n".join(x.answer for x in rec.exchanges
                                                    if x.answer is not None)}
        turns.append(TurnView(index=len(turns), candidate=text,
                              open_question_id=q.id if q else None, open_follow_up=follow_up,
                              graded=graded, grade_score=score, missed=missed,
                              unchecked=unchecked, key_points=n_points, replies=replies,
                              **seen))
        note(replies)
    return turns


def run_session(services: Services, pack: Pack, *, interviewer: str, persona: Persona,
                scope: str, mode: Mode, seed: int, questions: int = 3,
                max_follow_ups: int = 1) -> SessionRun:
    config = SessionConfig(pack=pack.name, stage=None if scope == FULL_LOOP else scope,
                           mode=mode, questions=questions, seed=seed,
                           max_follow_ups=max_follow_ups)
    started = time.perf_counter()
    session = InterviewSession.create(services, config)
    budget = 12 * len(session.plan) * (1 + max_follow_ups) + 10
    turns = drive(session, persona, max_turns=budget)
    live = session.transcript()
    reloaded = Transcript.from_events(services.store.load(session.session_id))
    allowed = {s: [q.id for q in pack.questions_for(s)] for s in {i.stage_id
                                                                  for i in session.plan}}
    questions_by_id = {q.id: q for q in pack.questions}
    checks = [
        check_one_question_per_turn(turns, questions_by_id),
        check_questions_in_stage(turns, allowed),
        check_no_reveal(turns, questions_by_id),
        check_follow_ups(turns, max_follow_ups=config.max_follow_ups,
                         follow_up_below=config.follow_up_below,
                         missed_share=getattr(config, "follow_up_missed_share", None)),
        check_no_grade_talk(turns),
        check_session_ends(turns, finished=session.finished),
        check_transcript_complete(turns, live, reloaded),
    ]
    replies = [r for t in turns for r in t.replies]
    scores = [rec.final_grade.score for rec in live.questions if rec.final_grade is not None]
    probes, on_target, presupposing = follow_up_counts(turns, questions_by_id)
    relevance = check_follow_up_relevance(turns, questions_by_id)
    return SessionRun(
        id=f"{interviewer}/{persona.name}/{scope}/{mode}", interviewer=interviewer,
        persona=persona.name, scope=scope, mode=mode, seed=seed, session_id=session.session_id,
        finished=session.finished, turns=len(turns), planned=len(session.plan),
        answered=len(scores), skipped=sum(1 for r in live.questions if r.skipped),
        follow_ups=sum(1 for r in replies if r.kind == "follow_up"), probes=probes,
        probes_on_target=on_target, probes_presupposing=presupposing,
        probe_failures=relevance.failures, replies=len(replies),
        fallbacks=sum(1 for r in replies if r.fallback), score=mean(scores), scores=scores,
        checks=checks, seconds=round(time.perf_counter() - started, 3),
    )


# --- the whole eval -----------------------------------------------------------------------------


class Sample(BaseModel):
    interviewer: str
    persona: str
    scope: str
    mode: Mode


def plan_samples(pack: Pack, interviewers: Sequence[str], personas: Sequence[str] = PERSONAS,
                 *, full_loop: bool = True, both_modes: bool = True,
                 stages: Sequence[str] | None = None) -> list[Sample]:
    """Every persona in every stage for each interviewer; the offline interviewer also runs the
    full loop and interview mode (stubs use practice mode, which says the most per turn)."""
    stage_ids = [pack.stage(s).id for s in stages] if stages else \
        [s.id for s in pack.stages_in_order()]
    out = []
    for iv in interviewers:
        scopes = stage_ids + ([FULL_LOOP] if full_loop and iv == OFFLINE else [])
        modes: list[Mode] = ["practice", "interview"] if both_modes and iv == OFFLINE \
            else ["practice"]
        for mode in modes:
            for scope in scopes:
                for p in personas:
                    out.append(Sample(interviewer=iv, persona=p, scope=scope, mode=mode))
    return out


class ConductReport(BaseModel):
    pack: str
    pack_sha256: str
    grader: str
    git_commit: str | None
    seed: int
    sessions: int
    interviewers: list[str]
    personas: list[str]
    pass_rates: dict[str, float]  # per check over every session
    pass_rates_by_interviewer: dict[str, dict[str, float]]
    sessions_passed: float  # share of sessions passing every check
    persona_means: dict[str, dict[str, float | None]]  # interviewer -> persona -> mean score
    persona_order: dict[str, CheckResult]  # interviewer -> strong > average > weak
    # interviewer -> the file personas' mean grades within their expected bounds
    persona_bounds: dict[str, CheckResult] = Field(default_factory=dict)
    fallback_rate: dict[str, float]  # interviewer -> share of replies that were the fallback
    control_sessions: int = 0  # unguarded control sessions (not in the numbers above)
    control_caught: float | None = None  # share of them failing at least one check
    control_caught_by_check: dict[str, int] = Field(default_factory=dict)
    failures: list[str] = Field(default_factory=list)
    control_failures: list[str] = Field(default_factory=list)  # a sample, for the report
    # interviewer -> share of follow-ups (after a graded answer) that target what the grade
    # named, and how many presuppose something the candidate never said (None: no follow-up)
    follow_up_relevance: dict[str, float | None] = Field(default_factory=dict)
    follow_ups_probed: dict[str, int] = Field(default_factory=dict)
    follow_ups_presupposing: dict[str, int] = Field(default_factory=dict)
    follow_up_failures: list[str] = Field(default_factory=list)  # the offline one's, a sample
    # the sweep (offline interviewer): every question answered once by each sweep persona
    sweep_cases: int = 0
    sweep_follow_ups: int = 0
    sweep_relevance: float | None = None
    sweep_presupposing: int = 0
    sweep_by_kind: dict[str, float] = Field(default_factory=dict)  # what was named -> on target
    sweep_failures: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def summary_metrics(self) -> dict[str, float]:
        """The flat numbers the regression guard compares with `evals/baseline.json`."""
        out = {f"pass_rate.{k}": v for k, v in self.pass_rates.items()}
        out["sessions_passed"] = self.sessions_passed
        means = self.persona_means.get(OFFLINE) or next(iter(self.persona_means.values()), {})
        for hi, lo in zip(GRADED_ORDER, GRADED_ORDER[1:], strict=False):
            a, b = means.get(hi), means.get(lo)
            if a is not None and b is not None:
                out[f"gap.{hi}_minus_{lo}"] = round(a - b, 4)
        for p in GRADED_ORDER:
            if means.get(p) is not None:
                out[f"mean.{p}"] = round(means[p] or 0.0, 4)
        out["persona_order_ok"] = float(all(c.passed for c in self.persona_order.values()))
        if self.control_caught is not None:
            out["control_caught"] = self.control_caught
        iv = OFFLINE if OFFLINE in self.follow_up_relevance else \
            next(iter(self.follow_up_relevance), None)
        # shares, so a higher number is better for each (the baseline's thresholds are minima)
        if iv is not None and self.follow_up_relevance.get(iv) is not None:
            n = self.follow_ups_probed.get(iv, 0) or 1
            out["follow_up.relevance"] = self.follow_up_relevance[iv] or 0.0
            out["follow_up.no_presupposition"] = round(
                1.0 - self.follow_ups_presupposing.get(iv, 0) / n, 4)
        if self.sweep_relevance is not None:
            out["follow_up.sweep_relevance"] = self.sweep_relevance
            out["follow_up.sweep_no_presupposition"] = round(
                1.0 - self.sweep_presupposing / (self.sweep_follow_ups or 1), 4)
        return out


def make_services(settings: Settings, pack: Pack, interviewer: str, grader: Grader,
                  store_dir: Path, model: ChatModel | None = None) -> Services:
    store = JsonlTranscriptStore(store_dir)
    if interviewer == OFFLINE:
        iv: Any = OfflineInterviewer()
    elif interviewer.startswith(CONTROL):
        stub = StubInterviewerModel(pack, str(AgentName.parse(interviewer).model))
        iv = UnguardedInterviewer(stub, settings.prompts_dir, settings)
    elif interviewer.startswith("stub:"):
        iv = LLMInterviewer(StubInterviewerModel(pack, str(AgentName.parse(interviewer).model)),
                            settings.prompts_dir, settings=settings)
    else:
        if model is None:
            raise InputError(f"interviewer {interviewer!r} needs a model")
        iv = LLMInterviewer(model, settings.prompts_dir, settings=settings)
    return Services(settings=settings, grader=grader, interviewer=iv, store=store,
                    packs={pack.name: pack})


def run_conduct_eval(
    settings: Settings, *, pack_name: str = DEFAULT_PACK,
    interviewers: Sequence[str] | None = None,
    personas: Sequence[str] = PERSONAS, seed: int = 7, max_samples: int | None = None,
    grader: Grader | None = None, model: ChatModel | None = None, candidate_model:
    ChatModel | None = None, full_loop: bool = True, both_modes: bool = True,
    stages: Sequence[str] | None = None, questions: int = 3,
    on_session: Callable[[SessionRun], None] | None = None,
    scripts: Sequence[ScriptSpec] = (),
    sweep: bool = True,
) -> tuple[ConductReport, list[SessionRun]]:
    """Every sample session, checked. `interviewers` defaults to `interviewers_for("offline")`:
    the offline one, every stub script and the unguarded control. `scripts` are personas written
    as data (`evals/datasets/personas_v1.yaml`); name them in `personas` to run them.
    `sweep`: also ask every question of the pack once per sweep persona (offline interviewer)
    and check the follow-up each answer gets (`sweep_follow_ups`)."""
    started = time.perf_counter()
    by_name = {s.name: s for s in scripts}
    unknown = [p for p in personas if p not in PERSONAS and p not in by_name]
    if unknown:
        raise InputError(f"unknown persona(s) {', '.join(unknown)} (built in: "
                         f"{', '.join(PERSONAS)}; from files: {', '.join(by_name) or 'none'})")
    interviewers = list(interviewers or interviewers_for(OFFLINE))
    pack = load_pack(settings.knowledge_dir, pack_name)
    cached = CachedGrader(grader or default_grader(settings, model))
    samples = plan_samples(pack, interviewers, personas, full_loop=full_loop,
                           both_modes=both_modes, stages=stages)
    if max_samples is not None:
        samples = _spread(samples, max_samples)
    runs: list[SessionRun] = []
    with tempfile.TemporaryDirectory(prefix="conduct-", dir=scratch_dir()) as tmp:
        services = {iv: make_services(settings, pack, iv, cached, Path(tmp) / "t", model)
                    for iv in interviewers}
        for s in samples:
            persona: Persona
            if candidate_model is not None and s.persona in GRADED_ORDER:
                # typed: the candidate model satisfies ChatModel structurally
                persona = LLMCandidate(candidate_model, s.persona, pack.role)  # type: ignore[arg-type]
            else:  # the same words for the same question everywhere: graded once, compared
                persona = make_persona(s.persona, seed, by_name)
            run = run_session(services[s.interviewer], pack, interviewer=s.interviewer,
                              persona=persona, scope=s.scope, mode=s.mode, seed=seed,
                              questions=questions)
            runs.append(run)
            if on_session:
                on_session(run)
        swept = sweep_follow_ups(settings, pack, cached, Path(tmp) / "sweep", seed=seed,
                                 scripts=by_name) if sweep and OFFLINE in interviewers \
            else []
    bounds = {s.name: (s.expect_min_mean, s.expect_max_mean) for s in scripts
              if s.name in personas and (s.expect_min_mean or s.expect_max_mean)}
    report = summarise(runs, pack=pack, grader=cached.name, seed=seed,
                       interviewers=list(interviewers), personas=list(personas), bounds=bounds)
    if swept:
        probed = [c for c in swept if c.follow_up is not None]
        report.sweep_cases = len(swept)
        report.sweep_follow_ups = len(probed)
        report.sweep_relevance = round(sum(c.verdict is None for c in probed) / len(probed), 4) \
            if probed else None
        report.sweep_presupposing = sum(1 for c in probed
                                        if (c.verdict or "").startswith("presupposes"))
        report.sweep_by_kind = _by_kind(probed)
        report.sweep_failures = [f"{c.question_id} / {c.persona}: {c.verdict}: "
                                 f"{(c.follow_up or '')[:120]!r}" for c in probed
                                 if c.verdict][:100]
    report.seconds = round(time.perf_counter() - started, 2)
    return report, runs


# --- the follow-up sweep: every question, one answer of each kind -------------------------------

# Answers of known kinds, each given to every question of the pack: vague, partial, off-topic,
# a list of terms, gibberish, and one that makes the question's first listed misconception.
SWEEP_PERSONAS = ("weak", "average", "terse", "rambler", "keyword-salad", "gibberish",
                  "wrong-claim")


class SweepCase(BaseModel):
    question_id: str
    kind: str
    persona: str
    answer: str
    score: float | None = None
    follow_up: str | None = None
    probe_kind: str | None = None  # what the follow-up targets, by the eval's reading
    verdict: str | None = None  # why the follow-up misses what the grade named; None: on target


def sweep_answer(q: Question, persona: str, seed: int,
                 scripts: dict[str, ScriptSpec]) -> str | None:
    """The persona's first answer to `q`; None when the persona has nothing to say to it."""
    if persona == "wrong-claim":
        if not q.misconceptions:
            return None
        return f"{average_answer(q, seed)} {q.misconceptions[0].claim}"
    if persona not in PERSONAS and persona not in scripts:
        return None
    return make_persona(persona, seed, scripts).reply(
        CandidateTurn(question=q, prompt_text=q.question))


def sweep_follow_ups(settings: Settings, pack: Pack, grader: Grader, store_dir: Path, *,
                     seed: int = 7, scripts: dict[str, ScriptSpec] | None = None,
                     personas: Sequence[str] = SWEEP_PERSONAS) -> list[SweepCase]:
    """Each question alone in a one-question session (interview mode, the offline interviewer),
    answered once by each persona: the follow-up it gets is checked against the grade by the
    same rule as in the sessions (`follow_up_verdict`)."""
    from evals.metrics.conduct import follow_up_verdict

    scripts = scripts or {}
    out: list[SweepCase] = []
    for q in pack.questions:
        alone = pack.model_copy(update={"questions": [q]})
        services = make_services(settings, alone, OFFLINE, grader, store_dir)
        for persona in personas:
            answer = sweep_answer(q, persona, seed, scripts)
            if answer is None:
                continue
            session = InterviewSession.create(services, SessionConfig(
                pack=pack.name, stage=q.stages[0], questions=1, seed=seed, mode="interview"))
            session.start()
            replies = session.send(answer)
            rec = session.transcript().questions[0]
            grade = rec.final_grade
            case = SweepCase(question_id=q.id, kind=q.kind, persona=persona, answer=answer,
                             score=grade.score if grade else None)
            follow = next((r.text for r in replies if r.kind == "follow_up"), None)
            if follow is not None and grade is not None:
                turn = TurnView(
                    index=1, candidate=answer, open_question_id=q.id, graded=True,
                    grade_score=grade.score, missed=[k.point for k in grade.missed],
                    unchecked=[k.point for k in grade.unchecked],
                    key_points=len(grade.key_points),
                    wrong_claims=[w.text for w in grade.wrong_claims]
                    or list(grade.misconceptions),
                    covered=[k.point for k in grade.covered],
                    other_question=bool(grade.other_question), question_kind=q.kind,
                    answer_text=answer)
                case.follow_up = follow
                case.probe_kind = _probe_kind(turn)
                case.verdict = follow_up_verdict(turn, follow, q)
            out.append(case)
    return out


def _probe_kind(t: TurnView) -> str:
    if t.wrong_claims:
        return "wrong_claim"
    if t.other_question:
        return "redirect"
    return "behavioral" if t.question_kind == "behavioral" else "gap"


def _by_kind(cases: Sequence[SweepCase]) -> dict[str, float]:
    groups: dict[str, list[SweepCase]] = defaultdict(list)
    for c in cases:
        groups[c.probe_kind or "gap"].append(c)
    return {k: round(sum(c.verdict is None for c in v) / len(v), 4)
            for k, v in sorted(groups.items())}


def scratch_dir() -> str | None:
    """Memory-backed scratch space when there is one: the store fsyncs every event, and the
    eval's transcripts are thrown away (their durability has its own tests)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _spread(samples: list[Sample], n: int) -> list[Sample]:
    """n samples taken round-robin over (interviewer, persona), so a small run still has every
    persona of every interviewer before it has a second stage of any."""
    if n >= len(samples):
        return samples
    groups: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        groups[(s.interviewer, s.persona)].append(s)
    out: list[Sample] = []
    depth = 0
    while len(out) < n:
        for g in groups.values():
            if depth < len(g) and len(out) < n:
                out.append(g[depth])
        depth += 1
    return out


def summarise(runs: Sequence[SessionRun], *, pack: Pack, grader: str, seed: int,
              interviewers: list[str], personas: list[str],
              bounds: dict[str, tuple[float | None, float | None]] | None = None) -> ConductReport:
    """Checks are scored over the real interviewers; the unguarded control is scored apart (a
    share of its sessions the checks caught)."""
    by_iv: dict[str, list[SessionRun]] = defaultdict(list)
    for r in runs:
        by_iv[r.interviewer].append(r)
    means: dict[str, dict[str, float | None]] = {}
    order: dict[str, CheckResult] = {}
    bounded: dict[str, CheckResult] = {}
    fallback: dict[str, float] = {}
    for iv, rs in by_iv.items():
        per: dict[str, list[float]] = defaultdict(list)
        for r in rs:
            per[r.persona].extend(r.scores)
        means[iv] = {p: (round(m, 4) if (m := mean(per.get(p, []))) is not None else None)
                     for p in personas}
        ran = {r.persona for r in rs}
        if all(p in ran for p in GRADED_ORDER) and not iv.startswith(CONTROL):
            order[iv] = check_persona_order(means[iv])
        if bounds and not iv.startswith(CONTROL):
            bounded[iv] = check_persona_bounds(means[iv], bounds)
        total = sum(r.replies for r in rs)
        fallback[iv] = round(sum(r.fallbacks for r in rs) / total, 4) if total else 0.0
    real = [r for r in runs if not r.interviewer.startswith(CONTROL)]
    control = [r for r in runs if r.interviewer.startswith(CONTROL)]
    failures = [f"{r.id}: {c.name}: {f}" for r in real for c in r.checks for f in c.failures]
    failures += [f"{iv}: persona_order: {f}" for iv, c in order.items() for f in c.failures]
    failures += [f"{iv}: persona_bounds: {f}" for iv, c in bounded.items() for f in c.failures]
    caught: dict[str, int] = {c: 0 for c in CHECKS}
    for r in control:
        for c in r.checks:
            caught[c.name] += not c.passed
    relevance: dict[str, float | None] = {}
    probed: dict[str, int] = {}
    presupposing: dict[str, int] = {}
    for iv, rs in by_iv.items():
        probed[iv] = sum(r.probes for r in rs)
        relevance[iv] = round(sum(r.probes_on_target for r in rs) / probed[iv], 4) \
            if probed[iv] else None
        presupposing[iv] = sum(r.probes_presupposing for r in rs)
    probe_failures = [f"{r.id}: {f}" for r in runs if r.interviewer == OFFLINE
                      for f in r.probe_failures]
    return ConductReport(
        follow_up_relevance=relevance, follow_ups_probed=probed,
        follow_ups_presupposing=presupposing, follow_up_failures=probe_failures[:100],
        pack=pack.name, pack_sha256=pack.source.sha256, grader=grader, git_commit=git_commit(),
        seed=seed, sessions=len(real), interviewers=interviewers, personas=personas,
        pass_rates=pass_rates(r.checks for r in real),
        pass_rates_by_interviewer={iv: pass_rates(r.checks for r in rs)
                                   for iv, rs in by_iv.items()},
        sessions_passed=round(sum(r.passed for r in real) / len(real), 4) if real else 0.0,
        persona_means=means, persona_order=order, persona_bounds=bounded, fallback_rate=fallback,
        control_sessions=len(control),
        control_caught=round(sum(not r.passed for r in control) / len(control), 4)
        if control else None,
        control_caught_by_check=caught if control else {},
        failures=failures[:200],
        control_failures=[f"{r.id}: {c.name}: {f}" for r in control for c in r.checks
                          for f in c.failures[:2]][:30],
    )


# --- report -------------------------------------------------------------------------------------


def write_markdown(report: ConductReport, runs: Sequence[SessionRun], path: Path) -> Path:
    from evals.report import MarkdownReport, bar_chart, grouped_bar_chart

    md = MarkdownReport("Conduct eval: simulated candidates", path)
    md.bullets([
        f"Pack `{report.pack}` (sha256 `{report.pack_sha256[:12]}`), grader `{report.grader}`, "
        f"seed {report.seed}, commit `{report.git_commit or 'unknown'}`",
        f"{report.sessions} sessions: interviewers {', '.join(report.interviewers)}; "
        f"personas {', '.join(report.personas)}; {report.seconds:.1f} s",
        f"Sessions passing every check: **{report.sessions_passed:.1%}**",
    ])
    md.heading("Checks (share of sessions passing)")
    ivs = list(report.pass_rates_by_interviewer)
    md.table(["check", "all", *ivs],
             [[c, report.pass_rates.get(c, 0.0),
               *[report.pass_rates_by_interviewer[iv].get(c, 0.0) for iv in ivs]]
              for c in CHECKS])
    md.heading("Follow-up relevance")
    md.para("Each follow-up after a graded answer must target what the grade named: the wrong "
            "claim (quoted back), the missing situation, actions or result of a story, an "
            "example for a vague answer, or a missed key point; and it must presuppose nothing "
            "the candidate did not say (\"that project\" when none was named). Scripted stubs "
            "write fixed follow-ups, so only the offline interviewer's number speaks to the "
            "choice of follow-up.")
    md.table(["interviewer", "follow-ups", "on target", "presupposing"],
             [[iv, report.follow_ups_probed.get(iv, 0),
               "-" if report.follow_up_relevance.get(iv) is None
               else report.follow_up_relevance[iv],
               report.follow_ups_presupposing.get(iv, 0)] for iv in ivs])
    if report.follow_up_failures:
        md.code("\n".join(report.follow_up_failures[:40]))
    if report.sweep_cases:
        md.para(f"The sweep: every question of the pack alone in a session, answered once by "
                f"each of {', '.join(SWEEP_PERSONAS)} (the last: a partial answer that also "
                f"makes the question's first listed misconception). {report.sweep_cases} "
                f"answers, {report.sweep_follow_ups} follow-ups, "
                f"**{_num(report.sweep_relevance)}** on target, "
                f"{report.sweep_presupposing} presupposing something never said. On target "
                "by what the grade named: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in report.sweep_by_kind.items()) + ".")
        if report.sweep_failures:
            md.code("\n".join(report.sweep_failures[:40]))
    md.heading("Persona ordering (mean grade, 1-5)")
    md.para("How to read it: strong, average and weak answer with known quality and must stay "
            "in that order. The others test conduct, not grading: derailer first tries to take "
            "over the interview or inject instructions, then gives an average-quality answer "
            "(so its mean sits near average's: the derail is refused, not graded); "
            "answer-seeker asks for the answer and hints, then gives a weak attempt; silent and "
            "early-quitter never answer, so they have no grade (-). The grading is the same "
            "reference grader in every row, so the means differ by interviewer only where the "
            "interviewer changes what is asked (follow-ups), and the fallback rate is the share "
            "of turns where a stub's reply was refused and the offline text used instead.")
    md.table(["interviewer", *report.personas, "strong > average > weak", "fallback rate"],
             [[iv, *[("-" if (v := report.persona_means[iv].get(p)) is None else v)
                     for p in report.personas],
               _order_cell(report, iv), report.fallback_rate.get(iv, 0.0)] for iv in ivs])
    if report.persona_bounds:
        md.para("Personas from files with an expected grade range: "
                + "; ".join(f"{iv} {'ok' if c.passed else 'FAILED: ' + '; '.join(c.failures)}"
                            for iv, c in report.persona_bounds.items()) + ".")
    md.image(grouped_bar_chart({iv: report.persona_means[iv] for iv in ivs},
                               md.asset("persona_means.png"),
                               title="Mean grade per persona and interviewer"),
             "mean grade per persona and interviewer")
    md.image(bar_chart(report.fallback_rate, md.asset("fallback_rate.png"),
                       title="Share of interviewer replies replaced by the offline text",
                       ylabel="fallback rate", ylim=(0, 1)), "fallback rate per interviewer")
    md.para("A `stub:*` interviewer is the LLM interviewer fed scripted bad replies: a high "
            "fallback rate there means the guard caught them; the checks passing means none "
            "reached the candidate.")
    if report.control_sessions:
        md.heading("Control: the same stub with no guard")
        md.para(f"{report.control_sessions} sessions of `{CONTROL}mixed` (the stub's bad "
                "replies shown as they are). The checks must catch them: "
                f"**{(report.control_caught or 0):.0%}** of these sessions failed at least one "
                "check.")
        md.table(["check", "control sessions failing it"],
                 [[c, n] for c, n in report.control_caught_by_check.items()])
        if report.control_failures:
            md.code("\n".join(report.control_failures[:15]))
    md.heading(f"Failures ({len(report.failures)})")
    if report.failures:
        md.code("\n".join(report.failures[:100]))
    else:
        md.para("None.")
    md.heading("Sessions")
    md.table(["session", "turns", "answered", "skipped", "follow-ups", "fallbacks", "score",
              "checks"],
             [[r.id, r.turns, r.answered, r.skipped, r.follow_ups, r.fallbacks,
               "-" if r.score is None else round(r.score, 2),
               "ok" if r.passed else ", ".join(c.name for c in r.checks if not c.passed)]
              for r in runs])
    return md.write()


# --- CLI ------------------------------------------------------------------------------------------


def _order_cell(report: ConductReport, iv: str) -> str:
    if iv not in report.persona_order:
        return "-"  # the control, or a run without all three graded personas
    return "yes" if report.persona_order[iv].passed else "NO"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("conduct", help="simulated candidates through full sessions: conduct "
                                       "checks and persona ordering")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=OFFLINE,
                   help="offline (offline + stub interviewers), stub (stub interviewers only) "
                        "or openai:MODEL (the configured endpoint)")
    p.add_argument("--max-samples", type=int, default=None, help="at most N sessions")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--pack", default=DEFAULT_PACK)
    p.add_argument("--persona", action="append",
                   help="only these personas (repeatable): built-in ones "
                        f"({', '.join(PERSONAS)}) or from the persona files")
    p.add_argument("--personas", action="append", type=Path, metavar="FILE",
                   help="a YAML file of personas written as data (repeatable; default "
                        f"{DEFAULT_PERSONA_FILE.relative_to(DEFAULT_PERSONA_FILE.parents[2])})")
    p.add_argument("--llm-candidate", action="store_true",
                   help="with openai:MODEL, the model also plays strong/average/weak candidates")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    p.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def interviewers_for(model: str) -> list[str]:
    stubs = [f"stub:{s}" for s in STUB_SCRIPTS]
    if model == OFFLINE:
        return [OFFLINE, *stubs, CONTROL + "mixed"]
    if model == "stub":
        return [*stubs, CONTROL + "mixed"]
    if model.startswith("openai:"):
        return [model]
    raise InputError(f"unknown --model {model!r}: use offline, stub or openai:MODEL")


def _endpoint_model(settings: Settings, spec: str) -> ChatModel:
    from interviewer.llm.openai_compat import OpenAIChatModel

    name = spec.split(":", 1)[1]
    if not settings.llm_configured:
        raise InputError("openai:MODEL needs OPENAI_API_KEY or OPENAI_BASE_URL")
    tuned = settings.model_copy(update={"interviewer_model": name, "grader_model": name})
    return OpenAIChatModel.from_settings(tuned, "interviewer")


def run(args: argparse.Namespace, settings: Settings) -> int:
    spec = getattr(args, "model", OFFLINE) or OFFLINE
    interviewers = interviewers_for(spec)
    model = _endpoint_model(settings, spec) if spec.startswith("openai:") else None
    files = getattr(args, "personas", None) or [DEFAULT_PERSONA_FILE]
    loaded = [load_persona_file(f) for f in files]
    scripts = [s for f in loaded for s in f.personas]
    personas = getattr(args, "persona", None) or [*PERSONAS, *(s.name for s in scripts)]
    runs_dir = getattr(args, "runs_dir", RUNS_DIR)
    report_path = getattr(args, "report", DEFAULT_REPORT)
    write = not getattr(args, "no_write", False)
    log: RunLog | None = None
    if write:
        log = RunLog(runs_dir, "conduct", {
            "pack": getattr(args, "pack", DEFAULT_PACK), "model": spec,
            "interviewers": interviewers, "personas": personas,
            "persona_files": {str(f): pf.version for f, pf in zip(files, loaded, strict=True)},
            "seed": getattr(args, "seed", 7), "max_samples": getattr(args, "max_samples", None),
            "git_commit": git_commit(), "prompt_versions": _prompt_versions(settings),
        })
    report, runs = run_conduct_eval(
        settings, pack_name=getattr(args, "pack", DEFAULT_PACK), interviewers=interviewers,
        personas=personas, seed=getattr(args, "seed", 7),
        max_samples=getattr(args, "max_samples", None), model=model,
        candidate_model=model if getattr(args, "llm_candidate", False) else None,
        on_session=(lambda r: log.case(r.id, r)) if log else None, scripts=scripts,
    )
    if log is not None:
        log.final(report.model_dump(mode="json") | {"summary": report.summary_metrics()})
        write_markdown(report, runs, report_path)
    if getattr(args, "json", False):
        print(json.dumps(report.model_dump(mode="json"), indent=2))
    else:
        print(format_table(report))
        if log is not None:
            print(f"wrote {log.path} and {report_path}")
    ok = (report.sessions_passed == 1.0
          and all(c.passed for c in report.persona_order.values())
          and all(c.passed for c in report.persona_bounds.values())
          and (report.control_caught is None or report.control_caught > 0))
    return 0 if ok else 1


def _prompt_versions(settings: Settings) -> dict[str, str]:
    from interviewer.core.errors import ConfigError
    from interviewer.llm.prompts import load_prompt

    out = {}
    for path in sorted(settings.prompts_dir.glob("interviewer_*.yaml")):
        try:
            out[path.stem] = load_prompt(settings.prompts_dir, path.stem).version
        except ConfigError:
            continue
    return out


def format_table(report: ConductReport) -> str:
    ivs = list(report.pass_rates_by_interviewer)
    width = max(12, *(len(iv) for iv in ivs)) if ivs else 12
    lines = [f"conduct eval: {report.sessions} sessions, pack {report.pack}, grader "
             f"{report.grader}, {report.seconds:.1f} s",
             f"{'check':26}" + "".join(f" {iv[:width]:>{width}}" for iv in ivs)]
    for c in CHECKS:
        lines.append(f"{c:26}" + "".join(
            f" {report.pass_rates_by_interviewer[iv].get(c, 0.0):>{width}.3f}" for iv in ivs))
    lines.append(f"{'follow-up relevance':26}" + "".join(
        f" {_num(report.follow_up_relevance.get(iv)):>{width}}" for iv in ivs))
    lines.append(f"{'follow-ups presupposing':26}" + "".join(
        f" {report.follow_ups_presupposing.get(iv, 0):>{width}}" for iv in ivs))
    lines.append(f"{'fallback rate':26}" + "".join(
        f" {report.fallback_rate.get(iv, 0.0):>{width}.3f}" for iv in ivs))
    for p in report.personas:
        lines.append(f"{'mean ' + p:26}" + "".join(
            f" {_num(report.persona_means[iv].get(p)):>{width}}" for iv in ivs))
    lines.append(f"{'strong>average>weak':26}" + "".join(
        f" {('yes' if report.persona_order[iv].passed else 'NO') if iv in report.persona_order else '-':>{width}}"  # noqa: E501
        for iv in ivs))
    lines.append(f"sessions passing every check: {report.sessions_passed:.1%}")
    if report.sweep_cases:
        lines.append(f"follow-up sweep (offline, every question x {len(SWEEP_PERSONAS)} "
                     f"answers): {report.sweep_follow_ups} follow-ups, relevance "
                     f"{_num(report.sweep_relevance)}, presupposing {report.sweep_presupposing}"
                     + (" (by what the grade named: " + ", ".join(
                         f"{k} {v:.2f}" for k, v in report.sweep_by_kind.items()) + ")"
                        if report.sweep_by_kind else ""))
    if report.control_caught is not None:
        lines.append(f"unguarded control sessions caught by the checks: "
                     f"{report.control_caught:.1%} of {report.control_sessions}")
    return "\n".join(lines)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"
