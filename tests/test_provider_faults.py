"""The real `OpenAIChatModel` and `LLMGrader` against a fault-injecting server on loopback.

Every way an endpoint fails (slow, 429, 5xx, garbage in a 200, a cut stream, JSON cut at
max_tokens, no json_schema support) must end in a Grade: the LLM's, or the reference grade with
`provenance.fallback_reason` set. The server records what it received, so we also check what the
client sent: retries, Retry-After, temperature 0, response_format. Fast: tiny timeouts and retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fault_server import (
    FaultServer,
    cut,
    delay,
    length,
    malformed,
    normal,
    run_fault_server,
    status,
)
from session_support import FULL, KeywordGrader, make_services

from interviewer.core.errors import ModelError
from interviewer.core.grade import (
    CriterionScore,
    Grade,
    GradeProvenance,
    GradeRequest,
    KeyPointHit,
    criteria_for,
)
from interviewer.core.pack import Question
from interviewer.core.session import ReplyDone, SessionConfig, TextDelta
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.grading.llm_grader import OUTPUT_SCHEMA, LLMGrader
from interviewer.interview.llm_interviewer import LLMInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.llm import Message
from interviewer.llm.openai_compat import OpenAIChatModel

TIMEOUT = 10.0  # seconds: generous, so a busy CI machine never times out by accident
SHORT_TIMEOUT = 0.5  # for the timeout tests: `delay` behaviours sleep well beyond it
RETRIES = 1
FAST_5XX = "0.01"  # Retry-After on injected 5xx so the client's backoff does not slow the suite

QUESTION = Question(
    id="ml-overfitting-1",
    section="Machine Learning",
    topic="overfitting",
    kind="technical",
    stages=["technical-interviews"],
    question="What is overfitting and how do you prevent it?",
    intent="Checks the bias-variance basics.",
    how_to_answer="Define it, then name prevention techniques.",
    example_answer=(
        "Overfitting is when a model learns noise in the training data and fails to generalise. "
        "Prevent it with regularisation, cross-validation and more data."
    ),
    key_points=[
        "learns noise and does not generalise",
        "regularisation",
        "cross-validation",
    ],
)
ANSWER = (
    "Overfitting means the model memorises noise in the training set and does badly on new data. "
    "I use L2 regularisation and early stopping."
)
REQUEST = GradeRequest(question=QUESTION, answer=ANSWER)


def grade_json(score: int = 4) -> str:
    """A reply that passes the grader's schema and evidence checks for REQUEST."""
    return json.dumps({
        "key_points": [
            {"index": 1, "covered": True, "evidence": "memorises noise in the training set"},
            {"index": 2, "covered": True, "evidence": "L2 regularisation"},
            {"index": 3, "covered": False, "evidence": None},
        ],
        "criteria": [
            {"id": c.id, "score": score, "rationale": "fine"} for c in criteria_for(QUESTION)
        ],
        "misconceptions": [],
        "strengths": ["clear definition"],
        "gaps": ["no cross-validation"],
        "score": score,
        "next_step": "Explain how cross-validation detects overfitting.",
    })


class FakeReferenceGrader:
    """The fallback: a fixed reference grade, recording what it was asked."""

    name = "reference"

    def __init__(self) -> None:
        self.requests: list[GradeRequest] = []

    def grade(self, request: GradeRequest) -> Grade:
        self.requests.append(request)
        return Grade(
            score=3.0,
            criteria=[
                CriterionScore(id=c.id, name=c.name, score=3) for c in criteria_for(QUESTION)
            ],
            key_points=[
                KeyPointHit(point=p, covered=i < 2) for i, p in enumerate(QUESTION.key_points)
            ],
            next_step="Mention cross-validation.",
            provenance=GradeProvenance(grader="reference"),
        )


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with run_fault_server() as s:
        yield s


@pytest.fixture
def llama_like() -> Iterator[FaultServer]:
    """Answers `{"type": "json_schema"}` with HTTP 500, as llama.cpp's server does."""
    with run_fault_server(reject_json_schema=True) as s:
        yield s


def make_model(server: FaultServer, **overrides: Any) -> OpenAIChatModel:
    values: dict[str, Any] = {
        "openai_base_url": server.base_url,
        "openai_model": "fault-model",
        "llm_timeout": TIMEOUT,
        "llm_max_retries": RETRIES,
        "prompts_dir": PROJECT_ROOT / "prompts",
    }
    values.update(overrides)
    return OpenAIChatModel.from_settings(Settings(**values), "grader")


def make_grader(
    server: FaultServer, **overrides: Any
) -> tuple[LLMGrader, FakeReferenceGrader]:
    fallback = FakeReferenceGrader()
    return LLMGrader(make_model(server, **overrides), PROJECT_ROOT / "prompts", fallback), fallback


def warmed_grader(server: FaultServer, **overrides: Any) -> LLMGrader:
    """A grader whose model has already learnt the server's JSON mode (the first request's
    format probing is covered by its own tests); the server's record is cleared."""
    grader, _ = make_grader(server, **overrides)
    server.script(normal(grade_json()))
    assert grader.grade(REQUEST).provenance.grader == "llm"
    server.reset()
    return grader


def assert_fallback(grade: Grade, *words: str) -> None:
    assert grade.provenance.grader == "reference"
    reason = grade.provenance.fallback_reason
    assert reason, "a fallback grade must say why"
    for word in words:
        assert word.lower() in reason.lower(), reason


MESSAGES = [Message(role="system", content="Be brief."), Message(role="user", content="Hi")]


# -- the client on its own ---------------------------------------------------------------------


def test_plain_completion_sends_what_it_was_given(server: FaultServer) -> None:
    server.script(normal("Hello there."))
    completion = make_model(server).complete(MESSAGES, temperature=0.0, max_tokens=50)

    assert (completion.text, completion.finish_reason, completion.model) == (
        "Hello there.", "stop", "fault-model"
    )
    [req] = server.chat_requests
    assert req.body is not None
    assert req.body["model"] == "fault-model"
    assert req.body["messages"] == [m.model_dump() for m in MESSAGES]
    assert req.temperature == 0.0
    assert req.body["max_tokens"] == 50
    assert req.response_format is None
    assert not req.stream


def test_stream_yields_the_pieces_in_order(server: FaultServer) -> None:
    text = "Tell me about a model you shipped to production last year."
    server.script(normal(text))
    pieces = list(make_model(server).stream(MESSAGES, temperature=0.7))

    assert len(pieces) > 1
    assert "".join(pieces) == text
    [req] = server.chat_requests
    assert req.stream and req.temperature == 0.7


def test_429_is_retried_after_the_retry_after_delay(server: FaultServer) -> None:
    server.script(status(429, retry_after="0.4"), normal("after the rate limit"))
    completion = make_model(server).complete(MESSAGES)

    assert completion.text == "after the rate limit"
    first, second = server.chat_requests
    assert first.answered == "status" and second.answered == "normal"
    assert second.at - first.at >= 0.4  # waited at least what the server asked for


def test_5xx_is_retried_then_becomes_a_model_error(server: FaultServer) -> None:
    server.default = status(503, retry_after=FAST_5XX)
    with pytest.raises(ModelError, match="503"):
        make_model(server, llm_max_retries=2).complete(MESSAGES)
    assert len(server.chat_requests) == 3  # 1 + 2 retries


def test_timeout_is_retried_then_becomes_a_model_error(server: FaultServer) -> None:
    server.default = delay(30)
    with pytest.raises(ModelError, match="timed out"):
        make_model(server, llm_timeout=SHORT_TIMEOUT).complete(MESSAGES)
    assert len(server.chat_requests) == 1 + RETRIES


def test_a_connection_cut_mid_body_is_retried(server: FaultServer) -> None:
    server.script(cut(), normal("second time lucky"))
    assert make_model(server).complete(MESSAGES).text == "second time lucky"
    assert [r.answered for r in server.chat_requests] == ["cut", "normal"]


def test_malformed_json_body_is_a_model_error(server: FaultServer) -> None:
    server.default = malformed()
    with pytest.raises(ModelError):
        make_model(server).complete(MESSAGES)


def test_a_stream_cut_mid_way_raises_a_model_error_after_the_partial_text(
    server: FaultServer,
) -> None:
    server.script(cut("one two three four five six seven eight", after=2))
    received: list[str] = []
    with pytest.raises(ModelError):
        for piece in make_model(server).stream(MESSAGES):
            received.append(piece)
    assert received and "".join(received).startswith("one two")
    assert len(server.chat_requests) == 1  # a started stream cannot be retried transparently


def test_finish_reason_length_is_reported(server: FaultServer) -> None:
    server.script(length('{"score": 4, "next_st'))
    completion = make_model(server).complete(MESSAGES, json_schema=OUTPUT_SCHEMA, max_tokens=8)
    assert completion.finish_reason == "length"
    assert completion.text == '{"score": 4, "next_st'


def test_json_schema_rejected_with_500_falls_back_to_json_object(llama_like: FaultServer) -> None:
    model = make_model(llama_like)
    llama_like.script(normal('{"a": 1}'), normal('{"a": 2}'))

    assert model.complete(MESSAGES, json_schema=OUTPUT_SCHEMA).text == '{"a": 1}'
    first, second = llama_like.chat_requests
    assert first.response_format is not None and first.response_format["type"] == "json_schema"
    assert first.answered == "json_schema_rejected"
    assert second.response_format is not None and second.response_format["type"] == "json_object"

    # learnt: the next JSON request goes straight to json_object
    assert model.complete(MESSAGES, json_schema=OUTPUT_SCHEMA).text == '{"a": 2}'
    third = llama_like.chat_requests[2]
    assert third.response_format is not None and third.response_format["type"] == "json_object"
    assert len(llama_like.chat_requests) == 3


# -- the grader: every failure still ends in a Grade -----------------------------------------


def test_llm_grade_and_what_the_grader_sent(server: FaultServer) -> None:
    grader, fallback = make_grader(server)
    server.script(normal(grade_json(score=4)))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm"
    assert grade.provenance.fallback_reason is None
    assert grade.provenance.model == "fault-model"
    assert grade.provenance.prompt_version and grade.provenance.prompt_version.startswith(
        "grader_rubric@"
    )
    assert grade.score == 4
    assert [k.covered for k in grade.key_points] == [True, True, False]
    assert fallback.requests == [REQUEST]  # the reference grade is the guard rail

    [req] = server.chat_requests
    assert req.temperature == 0.0
    assert req.body is not None and req.body.get("max_tokens")
    rf = req.response_format
    assert rf is not None and rf["type"] == "json_schema"
    assert rf["json_schema"]["schema"] == OUTPUT_SCHEMA
    assert ANSWER in req.body["messages"][-1]["content"] or any(
        ANSWER in m["content"] for m in req.body["messages"]
    )


def test_grader_on_a_llama_like_server_uses_json_object(llama_like: FaultServer) -> None:
    grader, _ = make_grader(llama_like)
    llama_like.default = normal(grade_json(score=3))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm" and grade.score == 3
    formats = [(r.response_format or {}).get("type") for r in llama_like.chat_requests]
    assert formats == ["json_schema", "json_object"]
    assert all(r.temperature == 0.0 for r in llama_like.chat_requests)


def test_truncated_json_is_retried_once(server: FaultServer) -> None:
    grader, _ = make_grader(server)
    server.script(length(grade_json()[:60]), normal(grade_json(score=5)))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm" and grade.score == 5
    first, second = server.chat_requests
    assert second.body is not None
    retry_note = second.body["messages"][-1]["content"]
    assert "cut off" in retry_note or "length" in retry_note  # the retry says what went wrong


def test_truncated_json_twice_falls_back(server: FaultServer) -> None:
    grader, _ = make_grader(server)
    server.default = length(grade_json()[:60])
    grade = grader.grade(REQUEST)

    assert_fallback(grade, "length")
    assert len(server.chat_requests) == 2


def test_prose_instead_of_json_twice_falls_back(server: FaultServer) -> None:
    grader, _ = make_grader(server)
    server.default = normal("I think this answer deserves a 5, well done!")
    assert_fallback(grader.grade(REQUEST), "json")
    assert len(server.chat_requests) == 2


def test_server_error_is_retried_then_falls_back(server: FaultServer) -> None:
    grader = warmed_grader(server)
    server.default = status(500, retry_after=FAST_5XX)
    grade = grader.grade(REQUEST)

    assert_fallback(grade, "500")
    assert len(server.chat_requests) == 1 + RETRIES


def test_timeout_is_retried_then_falls_back(server: FaultServer) -> None:
    grader = warmed_grader(server, llm_timeout=SHORT_TIMEOUT)
    server.default = delay(30)
    grade = grader.grade(REQUEST)

    assert_fallback(grade, "timed out")
    assert len(server.chat_requests) == 1 + RETRIES


def test_rate_limit_honours_retry_after_then_grades(server: FaultServer) -> None:
    grader = warmed_grader(server)
    server.script(status(429, retry_after="0.3"), normal(grade_json()))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm"
    first, second = server.chat_requests
    assert second.at - first.at >= 0.3
    assert second.response_format == first.response_format  # a retry, same request


def test_rate_limit_on_the_first_json_request_is_retried(server: FaultServer) -> None:
    grader, _ = make_grader(server)
    server.script(status(429, retry_after="0.2"), normal(grade_json()))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm", grade.provenance.fallback_reason
    assert [r.answered for r in server.chat_requests] == ["status", "normal"]


def test_timeout_on_the_first_json_request_is_retried(server: FaultServer) -> None:
    grader, _ = make_grader(server, llm_timeout=SHORT_TIMEOUT)
    server.script(delay(30), normal(grade_json()))
    grade = grader.grade(REQUEST)

    assert grade.provenance.grader == "llm", grade.provenance.fallback_reason
    assert [r.answered for r in server.chat_requests] == ["delay", "normal"]


def test_connection_cut_mid_reply_is_retried_then_grades(server: FaultServer) -> None:
    grader = warmed_grader(server)
    server.script(cut(grade_json()), normal(grade_json()))
    assert grader.grade(REQUEST).provenance.grader == "llm"
    assert [r.answered for r in server.chat_requests] == ["cut", "normal"]


def test_malformed_body_falls_back(server: FaultServer) -> None:
    grader = warmed_grader(server)
    server.default = malformed()
    assert_fallback(grader.grade(REQUEST))


def test_unreachable_endpoint_falls_back() -> None:
    with run_fault_server() as gone:
        base_url = gone.base_url
    settings = Settings(openai_base_url=base_url, llm_timeout=SHORT_TIMEOUT, llm_max_retries=0)
    grader = LLMGrader(
        OpenAIChatModel.from_settings(settings, "grader"),
        PROJECT_ROOT / "prompts",
        FakeReferenceGrader(),
    )
    assert_fallback(grader.grade(REQUEST), "connect")


# -- an interview turn: a failing endpoint never stops the interview ---------------------------

INTERVIEWER_TEXT = "Hello, I am Sam, an ML engineer at Acme. We will go through two topics today."


def mini_grade_json(question: Question, score: int = 5) -> str:
    """A valid grade for any question of the mini pack, without evidence quotes."""
    return json.dumps({
        "key_points": [
            {"index": i, "covered": True, "evidence": None}
            for i in range(1, len(question.key_points) + 1)
        ],
        "criteria": [
            {"id": c.id, "score": score, "rationale": "ok"} for c in criteria_for(question)
        ],
        "score": score,
        "next_step": "Keep going.",
    })


@pytest.fixture
def grader_server() -> Iterator[FaultServer]:
    with run_fault_server() as s:
        yield s


def make_session(
    settings: Settings, interviewer_server: FaultServer, grader_server: FaultServer,
    **model_overrides: Any,
) -> InterviewSession:
    interviewer = LLMInterviewer(
        make_model(interviewer_server, **model_overrides), PROJECT_ROOT / "prompts",
        settings=settings,
    )
    grader = LLMGrader(
        make_model(grader_server, **model_overrides), PROJECT_ROOT / "prompts", KeywordGrader()
    )
    services = make_services(settings, grader=grader, interviewer=interviewer)
    config = SessionConfig(pack="mini", stage="technical", questions=2, seed=4)
    return InterviewSession.create(services, config)


def test_interview_turn_with_llm_interviewer_and_llm_grader(
    settings: Settings, server: FaultServer, grader_server: FaultServer
) -> None:
    server.default = normal(INTERVIEWER_TEXT)
    session = make_session(settings, server, grader_server)
    events = list(session.stream_start())
    opening, question = [e.reply for e in events if isinstance(e, ReplyDone)]
    assert opening.kind == "opening" and not opening.fallback
    assert opening.text == INTERVIEWER_TEXT and opening.interviewer == "llm:fault-model"
    assert any(isinstance(e, TextDelta) for e in events)  # streamed
    assert question.kind == "question"
    asked = session.current_question
    assert asked is not None and asked.question in question.text
    assert all(r.stream for r in server.chat_requests)

    grader_server.default = normal(mini_grade_json(asked))
    replies = session.send(FULL)
    feedback = next(r for r in replies if r.grade is not None)
    assert feedback.grade is not None and feedback.grade.provenance.grader == "llm"
    assert not session.finished and session.current_question is not None
    [graded] = grader_server.chat_requests
    assert graded.temperature == 0.0 and graded.response_format is not None
    assert not graded.stream


def test_interviewer_stream_cut_falls_back_to_offline_text(
    settings: Settings, server: FaultServer, grader_server: FaultServer
) -> None:
    server.script(cut(INTERVIEWER_TEXT, after=2))
    server.default = normal(INTERVIEWER_TEXT)
    session = make_session(settings, server, grader_server)
    opening, question = session.start()

    assert opening.kind == "opening" and opening.fallback and opening.text
    assert question.kind == "question" and not question.fallback
    assert [r.answered for r in server.chat_requests] == ["cut", "normal"]


def test_interview_goes_on_when_every_endpoint_fails(
    settings: Settings, server: FaultServer, grader_server: FaultServer
) -> None:
    server.default = status(500, retry_after=FAST_5XX)
    grader_server.default = status(500, retry_after=FAST_5XX)
    session = make_session(settings, server, grader_server)
    opening, question = session.start()
    assert (opening.kind, question.kind) == ("opening", "question")
    assert opening.fallback and question.fallback
    first = session.current_question

    replies = session.send(FULL)
    feedback = next(r for r in replies if r.grade is not None)
    assert feedback.grade is not None
    assert feedback.grade.provenance.grader == "reference"
    assert feedback.grade.provenance.fallback_reason
    assert session.current_question is not None and session.current_question != first
    assert len(grader_server.chat_requests) > 1  # the client retried before giving up


def test_interview_goes_on_when_the_endpoint_times_out(
    settings: Settings, server: FaultServer, grader_server: FaultServer
) -> None:
    server.default = delay(30)
    grader_server.default = delay(30)
    session = make_session(settings, server, grader_server, llm_timeout=SHORT_TIMEOUT,
                           llm_max_retries=0)
    opening, question = session.start()
    assert opening.fallback and question.kind == "question"
    replies = session.send(FULL)
    feedback = next(r for r in replies if r.grade is not None)
    assert feedback.grade is not None and feedback.grade.provenance.fallback_reason
    assert "timed out" in feedback.grade.provenance.fallback_reason


@pytest.mark.integration
def test_the_configured_grader_falls_back_to_the_real_reference_grade(server: FaultServer) -> None:
    """The factory's LLM grader (real ReferenceGrader + MiniLM as its fallback) on a dead
    endpoint: the grade is exactly the reference grade, plus the reason."""
    from interviewer.grading.factory import make_grader as make_configured_grader
    from interviewer.grading.factory import make_reference_grader

    settings = Settings(
        openai_base_url=server.base_url, openai_model="fault-model", llm_timeout=TIMEOUT,
        llm_max_retries=RETRIES, prompts_dir=PROJECT_ROOT / "prompts",
    )
    server.default = status(500, retry_after=FAST_5XX)
    grader = make_configured_grader(settings, choice="llm")
    assert isinstance(grader, LLMGrader)
    grade = grader.grade(REQUEST)

    assert_fallback(grade, "500")
    reference = make_reference_grader().grade(REQUEST)
    assert grade.score == reference.score
    assert [k.covered for k in grade.key_points] == [k.covered for k in reference.key_points]
    assert server.chat_requests  # the LLM was tried first
