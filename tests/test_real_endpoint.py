"""A real OpenAI-compatible server on loopback: llama-cpp-python's server with SmolLM2-135M.

The model is far too small to grade or interview well; these tests check the wire protocol and
the shapes and fallbacks of what the app makes of it, never quality. Opt-in (`make test-llm`,
which installs llama-cpp-python, fetches the GGUF and fails rather than skips; or `pytest -m llm`),
see tests/llm_servers.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_servers import MODEL_ALIAS, check_can_run, llama_server
from session_support import FULL, KeywordGrader, make_services

from interviewer.core.grade import Grade, GradeRequest
from interviewer.core.pack import Pack, load_pack
from interviewer.core.session import ReplyDone, SessionConfig, TextDelta
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.grading import llm_grader
from interviewer.grading.llm_grader import OUTPUT_SCHEMA, LLMGradeOutput, LLMGrader
from interviewer.interview.llm_interviewer import LLMInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.llm import Message
from interviewer.llm.openai_compat import OpenAIChatModel

pytestmark = [pytest.mark.llm, pytest.mark.integration, pytest.mark.timeout(600)]

PACK = "kraken-ml-engineer"
GRADE_MAX_TOKENS = 400  # a valid grade from this model took ~80 tokens
GREETING = [
    Message(role="system", content="You are a friendly interviewer. Answer in one sentence."),
    Message(role="user", content="Hello! Who are you?"),
]


@pytest.fixture(scope="module")
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    check_can_run(request.config)
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_server(log) as url:
        yield url


@pytest.fixture(autouse=True)
def _short_grades(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cap the grader's reply: a 135M model can ramble for the full 1500 tokens (twice, with the
    retry), minutes on a busy 2-core machine, and these tests check shapes, not essays."""
    monkeypatch.setattr(llm_grader, "MAX_TOKENS", GRADE_MAX_TOKENS)


@pytest.fixture(scope="module")
def kraken() -> Pack:
    return load_pack(PROJECT_ROOT / "knowledge", PACK)


def real_settings(base_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", knowledge_dir=PROJECT_ROOT / "knowledge",
        prompts_dir=PROJECT_ROOT / "prompts", openai_base_url=base_url,
        openai_model=MODEL_ALIAS, llm_timeout=300.0, llm_max_retries=0,
    )


@pytest.fixture
def model(base_url: str, tmp_path: Path) -> OpenAIChatModel:
    return OpenAIChatModel.from_settings(real_settings(base_url, tmp_path), "grader")


def test_the_server_lists_the_model(model: OpenAIChatModel) -> None:
    ids = [m.id for m in model.client.models.list()]
    assert MODEL_ALIAS in ids


def test_plain_completion_shape(model: OpenAIChatModel) -> None:
    completion = model.complete(GREETING, temperature=0.0, max_tokens=40)
    assert isinstance(completion.text, str) and completion.text.strip()
    assert completion.finish_reason in {"stop", "length"}
    assert completion.model  # the server names the model it ran


def test_stream_yields_text_pieces(model: OpenAIChatModel) -> None:
    pieces = list(model.stream(GREETING, temperature=0.7, max_tokens=40))
    assert len(pieces) > 1, pieces
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


def test_raw_stream_has_no_usage_chunk_and_ends_with_a_finish_reason(
    model: OpenAIChatModel,
) -> None:
    """The protocol facts the client relies on (STACK-NOTES): chunk deltas, a finish_reason on
    the last choice, no usage chunk."""
    chunks = list(model.client.chat.completions.create(
        model=MODEL_ALIAS, messages=[m.model_dump() for m in GREETING],  # type: ignore[misc]
        stream=True, max_tokens=20, temperature=0.0,
    ))
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in {"stop", "length"}
    assert all(getattr(c, "usage", None) is None for c in chunks)


def test_json_request_falls_down_the_ladder_to_what_llama_cpp_accepts(
    model: OpenAIChatModel,
) -> None:
    """json_schema -> HTTP 500 on llama.cpp; the client must settle on json_object (+schema)."""
    schema = {
        "title": "greeting", "type": "object",
        "properties": {"name": {"type": "string"}, "mood": {"enum": ["happy", "sad"]}},
        "required": ["name", "mood"],
    }
    ask = [Message(role="user", content="Give a name and a mood as JSON.")]
    completion = model.complete(ask, json_schema=schema, temperature=0.0, max_tokens=60)
    assert model.json_mode in {"json_object_schema", "json_object"}
    assert completion.finish_reason == "stop"
    data = json.loads(completion.text)
    if model.json_mode == "json_object_schema":  # the schema key is enforced: keys and enums
        assert set(data) >= {"name", "mood"} and data["mood"] in {"happy", "sad"}


def test_json_cut_at_max_tokens_reports_length(model: OpenAIChatModel) -> None:
    ask = [Message(role="user", content="Describe overfitting as JSON.")]
    completion = model.complete(ask, json_schema=OUTPUT_SCHEMA, temperature=0.0, max_tokens=6)
    assert completion.finish_reason == "length"
    with pytest.raises(ValueError):
        LLMGradeOutput.model_validate_json(completion.text)


def _request(kraken: Pack) -> GradeRequest:
    q = kraken.question("machine-learning-1")
    return GradeRequest(question=q, answer=q.example_answer, pack=PACK)


def test_one_llm_grade_has_the_right_shape(
    model: OpenAIChatModel, kraken: Pack
) -> None:
    """An LLM grade, or the reference grade with the reason: both are complete Grades."""
    fallback = KeywordGrader()
    grader = LLMGrader(model, PROJECT_ROOT / "prompts", fallback)
    request = _request(kraken)
    grade = grader.grade(request)

    assert isinstance(grade, Grade) and 1 <= grade.score <= 5
    assert fallback.requests == [request]
    assert len(grade.key_points) == len(request.question.key_points)
    assert grade.next_step.strip()
    if grade.provenance.grader == "llm":
        assert grade.provenance.fallback_reason is None
        assert grade.provenance.prompt_version and grade.provenance.model
        assert {c.id for c in grade.criteria} == {
            c.id for c in llm_grader.criteria_for(request.question)
        }
    else:
        assert grade.provenance.fallback_reason  # says why the LLM grade was not used


def test_grade_falls_back_when_the_reply_is_cut_off(
    model: OpenAIChatModel, kraken: Pack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm_grader, "MAX_TOKENS", 8)
    grader = LLMGrader(model, PROJECT_ROOT / "prompts", KeywordGrader())
    grade = grader.grade(_request(kraken))

    assert grade.provenance.grader == "reference"
    assert grade.provenance.fallback_reason and "length" in grade.provenance.fallback_reason


def test_one_interview_turn_streams_and_grades(
    base_url: str, tmp_path: Path, kraken: Pack
) -> None:
    settings = real_settings(base_url, tmp_path)
    interviewer_model = OpenAIChatModel.from_settings(settings, "interviewer")
    grader_model = OpenAIChatModel.from_settings(settings, "grader")
    services = make_services(
        settings, pack=kraken,
        interviewer=LLMInterviewer(interviewer_model, settings.prompts_dir, settings=settings,
                                   max_tokens=120),
        grader=LLMGrader(grader_model, settings.prompts_dir, KeywordGrader()),
    )
    session = InterviewSession.create(services, SessionConfig(
        pack=PACK, stage="technical-interviews", questions=2, seed=1,
    ))

    events = list(session.stream_start())
    replies = [e.reply for e in events if isinstance(e, ReplyDone)]
    assert [r.kind for r in replies] == ["opening", "question"]
    assert all(r.text.strip() for r in replies)
    assert all(r.interviewer == f"llm:{MODEL_ALIAS}" or r.fallback for r in replies)
    assert any(isinstance(e, TextDelta) for e in events)
    asked = session.current_question
    assert asked is not None and asked.question in replies[1].text

    answer = session.send(FULL)
    feedback = [r for r in answer if r.grade is not None]
    assert len(feedback) == 1
    grade = feedback[0].grade
    assert grade is not None
    assert grade.provenance.grader == "llm" or grade.provenance.fallback_reason
    assert not session.finished  # the interview goes on: a follow-up or the next question
    assert answer[-1].kind in {"follow_up", "question"}


# One answer per group of the blind dev half (4 kinds of 11). A grade (with its retry) took this
# model 10 s on 2 quiet cores and 1-3 minutes on 2 busy ones (prompt ~1,400 tokens at ~40
# tokens/s, then grammar-constrained sampling at 2-6 tokens/s): the sample is as small as a
# stratified one can be.
BLIND_SAMPLE = 4
BLIND_MAX_TOKENS = 200  # a valid grade from this model took 80-120 tokens


@pytest.mark.timeout(1800)
def test_the_blind_eval_grades_a_stratified_dev_sample_with_the_llm_grader(
    base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`interviewer eval grading --dataset blind --grader llm --split dev --limit 4` against the
    real server: wire and contract, not quality (a 135M model). Every sampled answer is graded,
    by the LLM or, counted as a fallback, by the reference grader; scores in 1..5; model and
    prompt version recorded; the LLM's own report written; no test-half answer in any output."""
    from evals import DATASETS_DIR
    from evals import blind as bl
    from interviewer.llm.prompts import load_prompt

    monkeypatch.setattr(llm_grader, "MAX_TOKENS", BLIND_MAX_TOKENS)
    caplog.set_level("INFO")
    settings = real_settings(base_url, tmp_path)
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    report = bl.run_blind_eval(settings, splits=("dev",), grader="llm", limit=BLIND_SAMPLE,
                               runs_dir=runs, reports_dir=reports)
    bl.print_summary(report)

    version = load_prompt(settings.prompts_dir, llm_grader.PROMPT_NAME).version
    assert (report.grader, report.model, report.prompt_version) == ("llm", MODEL_ALIAS, version)
    f = report.fallbacks["dev"]
    assert f.sampled == BLIND_SAMPLE == f.llm + f.fallback
    assert sum(f.reasons.values()) == f.fallback
    assert f.sampled <= report.model_calls <= 2 * f.sampled  # one try, at most one retry
    assert report.served_models or f.llm == 0
    assert {g.name for g in report.groups} == set(bl.GROUPS)
    assert sum(g.sampled for g in report.groups) == BLIND_SAMPLE

    log_path = next(runs.glob("grading-blind-llm-*.jsonl"))
    lines = [json.loads(x) for x in log_path.read_text(encoding="utf-8").splitlines()]
    spec = lines[0]["spec"]
    assert (spec["model"], spec["prompt_version"], spec["limit"]) == (MODEL_ALIAS, version,
                                                                     BLIND_SAMPLE)
    graded = [x["data"] for x in lines if "sample_id" in x]
    assert len(graded) == BLIND_SAMPLE and len({d["kind"] for d in graded}) == BLIND_SAMPLE
    assert report.sample is not None and len(report.sample.missing_kinds["dev"]) == 11 - 4
    for d in graded:
        assert 1 <= d["reference"] <= 5
        assert (d["llm"] is None) == (d["fallback"] is not None)
        assert d["llm"] is None or 1 <= d["llm"] <= 5
    assert sum(d["llm"] is None for d in graded) == f.fallback

    md = (reports / "grading_blind_llm.md").read_text(encoding="utf-8")
    assert f"prompt `{version}`" in md and f"| dev | {BLIND_SAMPLE} | {f.llm} | {f.fallback} " in md
    assert not (reports / "grading_blind.md").exists()

    # the test half is not read by a dev run, and none of its answers is in any output
    printed = capsys.readouterr()
    outputs = "\n".join([md, log_path.read_text(encoding="utf-8"), printed.out, printed.err,
                         *(r.getMessage() for r in caplog.records)])
    test_answers = [json.loads(x)["answer"] for name in bl.FILES["test"]
                    for x in (DATASETS_DIR / "blind" / name).read_text(
                        encoding="utf-8").splitlines() if x.strip()]
    leaked = sum(1 for a in test_answers if len(a) >= 40 and a in outputs)
    assert leaked == 0, "test-half answer text in the eval's outputs"
