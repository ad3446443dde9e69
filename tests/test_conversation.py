"""The conversation with the real Kraken pack and the offline interviewer: stages open like their
interviewer, lead-ins match what happened, a new stage is introduced by its own interviewer, the
greeting's count matches the plan, a corrected claim lifts its cap, `/end` after an answer asks
nothing more, and /clarify answers instead of refusing."""

from __future__ import annotations

import pytest
from fakes import FakeGrader

from interviewer.app.services import Services
from interviewer.core.grade import Grade, GradeRequest
from interviewer.core.pack import Pack, load_pack
from interviewer.core.session import InterviewerReply, SessionConfig
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.interview.guard import find_leak
from interviewer.interview.offline import LEAD_INS, OfflineInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.store import JsonlTranscriptStore

SEEDS = range(6)


@pytest.fixture(scope="module")
def kraken() -> Pack:
    return load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")


def _services(settings: Settings, pack: Pack, grader: object | None = None) -> Services:
    return Services(settings=settings, grader=grader or FakeGrader(score=3.0),
                    interviewer=OfflineInterviewer(),
                    store=JsonlTranscriptStore(settings.transcripts_dir), packs={pack.name: pack})


def _first(replies: list[InterviewerReply], kind: str) -> InterviewerReply:
    return next(r for r in replies if r.kind == kind)


@pytest.mark.parametrize("questions", [1, 3, 5])
def test_the_recruiter_screen_never_opens_with_a_guide_technical_question(
        settings: Settings, kraken: Pack, questions: int) -> None:
    guide_technical = {q.id for q in kraken.questions
                       if q.provenance == "guide" and q.kind == "technical"}
    assert len(guide_technical) == 12  # the guide's twelve
    for seed in SEEDS:
        s = InterviewSession.create(_services(settings, kraken), SessionConfig(
            pack=kraken.name, stage="initial-screening", questions=questions, seed=seed))
        replies = s.start()
        opening, first = _first(replies, "opening"), _first(replies, "question")
        assert first.question_id not in guide_technical, (seed, first.text)
        assert first.question_id == "screening-1"  # background first
        assert "background" in first.text.lower() and "background" in opening.text.lower()
        asked = [kraken.question(i.question_id) for i in s.plan]
        kinds = [q.kind for q in asked]
        assert kinds == sorted(kinds, key=lambda k: k != "conversational")  # talk, then tech


def test_the_final_interview_opens_with_motivation_and_closes_with_your_questions(
        settings: Settings, kraken: Pack) -> None:
    for seed in SEEDS:
        s = InterviewSession.create(_services(settings, kraken), SessionConfig(
            pack=kraken.name, stage="final-interview", questions=4, seed=seed))
        ids = [i.question_id for i in s.plan]
        assert ids[0] == "screening-2" and ids[-1] == "final-1", ids


def test_full_loop_stages_are_introduced_by_their_own_interviewer(
        settings: Settings, kraken: Pack) -> None:
    s = InterviewSession.create(_services(settings, kraken), SessionConfig(
        pack=kraken.name, stage=None, questions=2, seed=3, max_follow_ups=0))
    said = s.start()
    while not s.finished:
        said += s.send("/skip")
    per_stage: dict[str, int] = {}
    for item in s.plan:
        per_stage[item.stage_id] = per_stage.get(item.stage_id, 0) + 1
    openings = [r for r in said if r.kind == "opening"]
    assert len(openings) == len(per_stage)
    first = openings[0].text
    assert f"{len(per_stage)} stages, {len(s.plan)} questions in all" in first
    for op in openings:  # each greeting's count is its stage's (what the page's header shows)
        stage = next(st for st in kraken.stages if st.name in op.text)
        n = per_stage[stage.id]
        assert f"In this stage I'll ask you {n} question" in op.text
    transitions = [r for r in said if r.kind == "transition"]
    assert len(transitions) == len(per_stage) - 1
    assert all("I'll hand you over to" in t.text for t in transitions)
    # every stage's first question starts it; none says "Thanks. Next question."
    firsts, seen = [], set()
    for r in said:
        if r.kind == "question" and r.stage_id not in seen:
            seen.add(r.stage_id)
            firsts.append(r.text)
    assert all(t.startswith(("Let's start.", "Here's the take-home brief")) for t in firsts)
    assert not any("Next question" in t for t in firsts)


class ScoreScript:
    """Grades answers by a script of scores (all points missed below 4)."""

    name = "reference"

    def __init__(self, *scores: float) -> None:
        self.scores = list(scores)

    def grade(self, request: GradeRequest) -> Grade:
        score = self.scores.pop(0)
        return FakeGrader(score=score, covered=len(request.question.key_points)
                          if score >= 4 else 0).grade(request)


def test_lead_ins_match_how_the_last_question_went(settings: Settings, kraken: Pack) -> None:
    s = InterviewSession.create(_services(settings, kraken, ScoreScript(2.0, 4.5)),
                                SessionConfig(pack=kraken.name, stage="technical-interviews",
                                              questions=4, seed=1, max_follow_ups=0))
    s.start()
    after_low = _first(s.send("It depends."), "question").text
    assert not after_low.startswith(("Good", "Nice"))
    assert any(after_low.startswith(x) for x in LEAD_INS["weak"])
    after_high = _first(s.send("A full answer."), "question").text
    assert any(after_high.startswith(x) for x in LEAD_INS["strong"])
    after_skip = _first(s.send("/skip"), "question").text
    assert any(after_skip.startswith(x) for x in LEAD_INS["skipped"])


def test_interview_mode_lead_ins_keep_their_judgement(settings: Settings, kraken: Pack) -> None:
    s = InterviewSession.create(_services(settings, kraken, ScoreScript(4.8)), SessionConfig(
        pack=kraken.name, stage="technical-interviews", questions=3, seed=1,
        max_follow_ups=0, mode="interview"))
    s.start()
    nxt = _first(s.send("A full answer."), "question").text
    assert any(nxt.startswith(x) for x in LEAD_INS["neutral"])


def test_clarify_gives_intent_and_scope_and_never_refuses(settings: Settings,
                                                          kraken: Pack) -> None:
    s = InterviewSession.create(_services(settings, kraken), SessionConfig(
        pack=kraken.name, stage="technical-interviews", questions=1, seed=2))
    s.start()
    q = s.current_question
    assert q is not None
    reply = _first(s.send("/clarify do you mean in production or in a notebook?"),
                   "clarification")
    assert "rather not" not in reply.text
    assert "production" in reply.text and "Either reading works" in reply.text
    assert not find_leak(reply.text, q).leaked
    assert s.awaiting_answer  # nothing graded


def test_end_after_an_answer_shows_no_next_question(settings: Settings, kraken: Pack) -> None:
    s = InterviewSession.create(_services(settings, kraken, ScoreScript(2.0)), SessionConfig(
        pack=kraken.name, stage="technical-interviews", questions=3, seed=1))
    s.start()
    kinds = [e.reply.kind for e in s.stream_send_then_end("Part of an answer.")
             if hasattr(e, "reply")]
    assert kinds == ["feedback", "closing", "summary"]  # no follow-up, no next question
    assert s.finished and s.transcript().ended_early
    assert s.summary().answered == 1


@pytest.fixture(scope="module")
def real_grader():  # type: ignore[no-untyped-def]
    from interviewer.grading.reference import ReferenceGrader
    from interviewer.packs.embeddings import MiniLM

    return ReferenceGrader(MiniLM.for_grading())


@pytest.mark.integration
def test_a_corrected_claim_lifts_the_cap_and_the_card_says_so(
        settings: Settings, kraken: Pack, real_grader) -> None:  # type: ignore[no-untyped-def]
    q = kraken.question("machine-learning-4")
    alone = kraken.model_copy(update={"questions": [q]})
    s = InterviewSession.create(_services(settings, alone, real_grader), SessionConfig(
        pack=kraken.name, stage="technical-interviews", questions=1, seed=1))
    s.start()
    first = ("For classification I use precision, recall and F1, and for regression MAE and "
             "RMSE. Accuracy is a reliable metric on heavily imbalanced data.")
    replies = s.send(first)
    capped = _first(replies, "feedback").grade
    assert capped is not None and capped.wrong_claims and capped.score <= 2.0
    follow = _first(replies, "follow_up").text
    assert "Accuracy is a reliable metric on heavily imbalanced data" in follow
    assert "misleading" not in follow.lower()  # the correction is the candidate's to give
    fixed = ("I was wrong there: on heavily imbalanced data accuracy is misleading, because "
             "always predicting the majority class scores high. I would report precision, "
             "recall and PR-AUC instead.")
    card = _first(s.send(fixed), "feedback")
    assert card.grade is not None and card.grade.corrected
    assert card.grade.score > capped.score and not card.grade.wrong_claims
    assert "Corrected in your follow-up" in card.text
    assert "Correct the claim" not in card.grade.next_step
    # a follow-up that repeats the claim keeps the cap
    s2 = InterviewSession.create(_services(settings, alone, real_grader), SessionConfig(
        pack=kraken.name, stage="technical-interviews", questions=1, seed=1))
    s2.start()
    s2.send(first)
    again = _first(s2.send("Yes, I stand by it: accuracy is a reliable metric on heavily "
                           "imbalanced data."), "feedback")
    assert again.grade is not None and not again.grade.corrected and again.grade.score <= 2.0
