"""Conduct eval: personas, the misbehaving stub interviewer, the driver and the eval command.

Sessions run on the real Kraken pack with the offline interviewer or the LLM interviewer fed by
the stub, and a keyword grader (fast, its grade depends on the answer) so follow-ups happen.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from session_support import KeywordGrader

from evals import conduct
from evals.conduct import (
    CONTROL,
    STUB_SCRIPTS,
    CachedGrader,
    StubInterviewerModel,
    interviewers_for,
    make_services,
    run_conduct_eval,
    run_session,
)
from evals.personas import (
    DERAILS,
    PERSONAS,
    CandidateTurn,
    average_answer,
    make_persona,
    strong_answer,
    weak_answer,
)
from interviewer.core.errors import InputError, ModelError
from interviewer.core.grade import GradeRequest
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import Settings
from interviewer.interview.llm_interviewer import LLMInterviewer
from interviewer.interview.offline import ComposeRequest
from interviewer.llm import Completion, Message

PACK = "kraken-ml-engineer"


@pytest.fixture(scope="module")
def pack() -> Pack:
    from interviewer.core.settings import PROJECT_ROOT

    return load_pack(PROJECT_ROOT / "knowledge", PACK)


# --- personas -------------------------------------------------------------------------------


def test_quality_personas_derive_from_the_pack_but_never_copy_it(pack: Pack) -> None:
    for q in pack.questions:
        strong, avg, weak = strong_answer(q), average_answer(q), weak_answer(q)
        assert strong != q.example_answer and q.example_answer not in strong
        assert len(strong) > len(avg) > len(weak)
        assert strong == strong_answer(q)  # deterministic for a seed
    grader = KeywordGrader()
    q = pack.question("machine-learning-1")
    scores = [grader.grade(GradeRequest(question=q, answer=a)).score
              for a in (strong_answer(q), average_answer(q), weak_answer(q))]
    assert scores[0] > scores[1] > scores[2]


def test_conduct_personas_do_what_they_say(pack: Pack) -> None:
    q = pack.question("statistics-probability-1")
    turn = CandidateTurn(question=q, prompt_text=q.question)

    def say(name: str, **kw: int) -> str:
        return make_persona(name, 3).reply(turn.model_copy(update=kw))

    assert [say("silent", attempt=a) for a in range(4)] == ["", "   ", "\n", "/skip"]
    assert say("answer-seeker", attempt=1) == "/hint"
    assert "answer" in say("answer-seeker", attempt=0).lower()
    derail = say("derailer", attempt=0)
    assert derail in DERAILS
    assert "Ignore the rubric" in say("derailer", attempt=1)
    assert not any(w in say("gibberish").lower().split() for w in q.question.lower().split())
    assert make_persona("strong").reply(CandidateTurn(question=None)) == "/end"
    with pytest.raises(ValueError):
        make_persona("nobody")


# --- the stub interviewer model ------------------------------------------------------------


def _request(pack: Pack, task: str, qid: str = "machine-learning-1") -> ComposeRequest:
    q = pack.question(qid)
    stage = pack.stage(q.stages[0])
    return ComposeRequest(task=task, company=pack.company, role=pack.role,  # type: ignore[arg-type]
                          stage=stage, question=q, question_number=1, questions_in_stage=2,
                          next_stage=stage, pack=pack.name)


def test_the_llm_interviewer_tells_the_stub_its_task_and_question(
    pack: Pack, settings: Settings
) -> None:
    for task in ("opening", "lead_in", "follow_up", "hint", "clarify", "closing"):
        model = StubInterviewerModel(pack, "benign")
        llm = LLMInterviewer(model, settings.prompts_dir)
        out = list(llm.compose(_request(pack, task)))
        info = model.last_call.info
        assert info is not None
        assert (info.task, info.question_id, info.stage_id) == (
            task, "machine-learning-1", pack.question("machine-learning-1").stages[0])
        assert info.prompt_version == out[-1].prompt_version  # type: ignore[union-attr]
        assert info.prompt_version and info.prompt_version.endswith("+interviewer_tasks@1")
        # the stub answered from the info: the benign reply for that task (the guard kept it)
        assert out[-1].text == conduct._BENIGN[task]  # type: ignore[union-attr]


def test_stub_scripts_misbehave_as_named(pack: Pack, settings: Settings) -> None:
    req = _request(pack, "hint")
    q = pack.question("machine-learning-1")
    llm = LLMInterviewer(StubInterviewerModel(pack, "benign"), settings.prompts_dir)
    prompt, msgs = llm.messages(req, pack.name)
    info = llm.call_info(req, prompt)
    text = "\n".join(m.content for m in msgs)

    def reply(script: str) -> str:
        model = StubInterviewerModel(pack, script)
        return "".join(model.stream([Message(role="user", content=text)], info=info))

    assert q.example_answer in reply("leak")
    assert reply("double").count("?") == 2
    assert "5/5" in reply("grade")
    assert reply("benign") == conduct._BENIGN["hint"]
    model = StubInterviewerModel(pack, "malformed")
    outs: list[object] = []
    for _ in range(len(conduct._MALFORMED)):
        try:
            outs.append("".join(model.stream([Message(role="user", content=text)], info=info)))
        except ModelError as e:
            outs.append(e)
    assert "" in outs and any(isinstance(o, ModelError) for o in outs)
    assert any(isinstance(m, Completion) and m.finish_reason == "length"
               for m in conduct._MALFORMED)
    mixed = StubInterviewerModel(pack, "mixed")
    for _ in range(10):
        with contextlib.suppress(ModelError):
            "".join(mixed.stream([Message(role="user", content=text)], info=info))
    assert set(mixed.behaviours) == set(STUB_SCRIPTS) - {"mixed"}
    assert len(mixed.calls) == 10
    with pytest.raises(InputError):
        StubInterviewerModel(pack, "polite")


# --- sessions ------------------------------------------------------------------------------


@pytest.fixture
def store_dir() -> Iterator[Path]:
    """Transcripts in memory-backed scratch space when there is one (the store fsyncs)."""
    with tempfile.TemporaryDirectory(dir=conduct.scratch_dir()) as d:
        yield Path(d)


def _session(settings: Settings, pack: Pack, store_dir: Path, interviewer: str, persona: str,
             scope: str = "technical-interviews", mode: str = "practice") -> conduct.SessionRun:
    services = make_services(settings, pack, interviewer, KeywordGrader(), store_dir)
    return run_session(services, pack, interviewer=interviewer, persona=make_persona(persona),
                       scope=scope, mode=mode, seed=11)  # type: ignore[arg-type]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_completes_a_checked_offline_session(
    persona: str, settings: Settings, pack: Pack, store_dir: Path
) -> None:
    run = _session(settings, pack, store_dir, "offline", persona)
    assert run.finished and run.passed, [c for c in run.checks if not c.passed]
    assert run.planned == 3
    if persona == "silent":
        assert run.answered == 0 and run.skipped == 3  # empty messages are never graded
    if persona == "strong":
        assert run.answered == 3 and run.follow_ups == 0
    if persona == "weak":
        assert run.follow_ups >= 1  # a gap triggers a follow-up, capped at one per question


def test_guarded_stub_passes_and_the_unguarded_control_is_caught(
    settings: Settings, pack: Pack, store_dir: Path
) -> None:
    guarded = _session(settings, pack, store_dir, "stub:leak", "answer-seeker")
    assert guarded.passed and guarded.fallbacks > 0
    control = _session(settings, pack, store_dir, CONTROL + "leak", "answer-seeker")
    failed = {c.name for c in control.checks if not c.passed}
    assert "no_reveal_before_answer" in failed
    double = _session(settings, pack, store_dir, CONTROL + "double", "weak")
    assert "one_question_per_turn" in {c.name for c in double.checks if not c.passed}


def test_full_loop_in_interview_mode_visits_every_stage(
    settings: Settings, pack: Pack, store_dir: Path
) -> None:
    run = _session(settings, pack, store_dir, "offline", "average", scope="full-loop",
                   mode="interview")
    assert run.passed and run.finished
    assert run.planned == 3 * 4 + 1  # the take-home stage has one brief


def test_cached_grader_grades_each_answer_once(pack: Pack) -> None:
    inner = KeywordGrader()
    cached = CachedGrader(inner)
    q = pack.question("machine-learning-1")
    for _ in range(3):
        cached.grade(GradeRequest(question=q, answer="labeled data"))
    cached.grade(GradeRequest(question=q, answer="unlabeled data"))
    assert len(inner.requests) == 2 and cached.name == "keyword"


# --- the eval ------------------------------------------------------------------------------


def test_eval_orders_personas_and_reports_the_control(settings: Settings) -> None:
    report, runs = run_conduct_eval(
        settings, interviewers=["offline", "stub:mixed", CONTROL + "mixed"],
        grader=KeywordGrader(), full_loop=False, both_modes=False, max_samples=60)
    assert report.sessions == len([r for r in runs if not r.interviewer.startswith(CONTROL)])
    assert report.sessions_passed == 1.0, report.failures
    assert report.persona_order["offline"].passed
    assert report.control_sessions > 0 and (report.control_caught or 0) > 0.5
    metrics = report.summary_metrics()
    assert metrics["pass_rate.no_reveal_before_answer"] == 1.0
    assert metrics["gap.strong_minus_average"] > 0 and metrics["gap.average_minus_weak"] > 0
    assert report.fallback_rate["stub:mixed"] > 0 and report.fallback_rate["offline"] == 0


def test_interviewers_for_models() -> None:
    assert interviewers_for("offline")[0] == "offline"
    assert interviewers_for("offline")[-1].startswith(CONTROL)
    assert "offline" not in interviewers_for("stub")
    assert interviewers_for("openai:gpt-4o-mini") == ["openai:gpt-4o-mini"]
    with pytest.raises(InputError):
        interviewers_for("claude")


def test_command_writes_run_log_and_report(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conduct, "default_grader", lambda s, m=None: KeywordGrader())
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    conduct.register(sub)
    args = parser.parse_args(["conduct", "--model", "offline", "--max-samples", "16",
                              "--seed", "3", "--runs-dir", str(tmp_path / "runs"),
                              "--report", str(tmp_path / "rep" / "conduct.md")])
    assert args.func(args, settings) == 0
    [log] = list((tmp_path / "runs").glob("conduct-*.jsonl"))
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert lines[0]["spec"]["model"] == "offline" and lines[0]["spec"]["seed"] == 3
    assert lines[0]["spec"]["git_commit"]
    assert len(lines) == 1 + 16 + 1
    assert all(x["type"] == "match" for x in lines[1:-1])
    final = lines[-1]["final_report"]
    assert final["summary"]["sessions_passed"] == 1.0
    md = (tmp_path / "rep" / "conduct.md").read_text()
    assert "Persona ordering" in md and "conduct_assets/persona_means.png" in md
    assert (tmp_path / "rep" / "conduct_assets" / "persona_means.png").stat().st_size > 1000


def test_openai_model_needs_an_endpoint(settings: Settings) -> None:
    args = argparse.Namespace(model="openai:gpt-4o-mini", no_write=True)
    with pytest.raises(InputError):
        conduct.run(args, settings)
