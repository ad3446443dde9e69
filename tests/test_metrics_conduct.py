"""Conduct checks as pure functions: each one passes a well-behaved session and fails the exact
misbehaviour it is for (with a reason that names the turn)."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes import make_grade, make_question

from evals.metrics.conduct import (
    ReplyView,
    TurnView,
    check_follow_ups,
    check_no_grade_talk,
    check_no_reveal,
    check_one_question_per_turn,
    check_persona_order,
    check_questions_in_stage,
    check_session_ends,
    check_transcript_complete,
    count_own_questions,
    pass_rates,
    revealed,
)
from interviewer.core.transcript import Exchange, Line, QuestionRecord, Transcript

Q = make_question()
QS = {Q.id: Q}
STAGE = "technical-interviews"


def r(kind: str, text: str, qid: str | None = Q.id) -> ReplyView:
    return ReplyView(kind=kind, text=text, stage_id=STAGE, question_id=qid)


def good_turns() -> list[TurnView]:
    return [
        TurnView(index=0, replies=[
            r("opening", "Hi, I'm Priya, an ML engineer. I'll ask you one question.", None),
            r("question", f"Let's start.\n\n{Q.question}")]),
        TurnView(index=1, candidate="I would compare training and validation error.",
                 open_question_id=Q.id, graded=True, grade_score=2.5,
                 missed=Q.key_points[1:], replies=[
                     r("follow_up", "How would you check that it worked?")]),
        TurnView(index=2, candidate="Cross-validation.", open_question_id=Q.id,
                 open_follow_up=1, graded=True, grade_score=3.5, missed=Q.key_points[1:2],
                 replies=[r("feedback", f"Score: 3.5/5\nExample answer: {Q.example_answer}"),
                          r("closing", "That's the end. Thank you.", None),
                          r("summary", "Overall 3.5/5", None)]),
    ]


def test_good_session_passes_every_turn_level_check() -> None:
    turns = good_turns()
    assert check_one_question_per_turn(turns, QS).passed
    assert check_questions_in_stage(turns, {STAGE: [Q.id]}).passed
    assert check_no_reveal(turns, QS).passed
    assert check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed
    assert check_session_ends(turns, finished=True).passed


def test_two_questions_in_one_turn_or_reply_fail() -> None:
    turns = good_turns()
    turns[1].replies.append(r("question", "And another thing.\n\nWhat is bias?"))
    res = check_one_question_per_turn(turns, QS)
    assert not res.passed and "turn 1: 2 questions" in res.failures[0]

    turns = good_turns()
    turns[0].replies[1] = r("question", f"What's your favourite model?\n\n{Q.question}")
    res = check_one_question_per_turn(turns, QS)
    assert not res.passed and "asks 1 question(s) of its own (max 0)" in res.failures[0]

    turns = good_turns()
    turns[1].replies[0] = r("follow_up", "Why? And how would you deploy it?")
    assert not check_one_question_per_turn(turns, QS).passed


def test_quoted_pack_question_is_not_the_interviewers_own() -> None:
    assert count_own_questions(f"Let's go.\n\n{Q.question}", [Q.question]) == 0
    assert count_own_questions("Ready? Then: " + Q.question, [Q.question]) == 1
    assert count_own_questions("What?? Really?!") == 2  # a run of marks is one question


def test_questions_from_another_stage_or_asked_twice_fail() -> None:
    turns = good_turns()
    res = check_questions_in_stage(turns, {STAGE: ["other-question"]})
    assert not res.passed and "is not a question of stage" in res.failures[0]
    res = check_questions_in_stage(turns, {"behavioral-interview": [Q.id]})
    assert not res.passed and "not in this session" in res.failures[0]
    turns.append(TurnView(index=3, candidate="ok", replies=[r("question", Q.question)]))
    res = check_questions_in_stage(turns, {STAGE: [Q.id]})
    assert not res.passed and "asked 2 times" in res.failures[-1]
    turns[-1].candidate = "/repeat"  # repeating the question is not asking it again
    assert check_questions_in_stage(turns, {STAGE: [Q.id]}).passed


def test_revealing_the_example_answer_or_a_key_point_before_the_answer_fails() -> None:
    turns = good_turns()
    turns[0].replies[1] = r("question", "Hint: a model learns noise in the training data. "
                            + Q.question)
    res = check_no_reveal(turns, QS)
    assert not res.passed and "example answer" in res.failures[0]

    turns = good_turns()  # a key point, reworded and reordered: not a verbatim run
    turns[0].replies[1] = r("question", "Think of the errors (validation versus training) and "
                            "of comparing them.\n\n" + Q.question)
    res = check_no_reveal(turns, QS)
    assert not res.passed and "key point" in res.failures[0]


def test_echoing_the_candidates_own_words_or_feedback_is_not_a_reveal() -> None:
    turns = good_turns()
    turns[1].candidate = "I'd use regularisation such as L1 or L2."
    turns[1].replies[0] = r("follow_up", "You mentioned regularisation such as L1 or L2: why?")
    assert check_no_reveal(turns, QS).passed  # feedback in turn 2 shows the example: allowed
    assert revealed("Tell me how you detect and prevent overfitting.", Q) is None


def test_follow_up_without_a_gap_or_over_the_cap_fails() -> None:
    turns = good_turns()
    turns[1].grade_score = 4.5
    res = check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0)
    assert not res.passed and "grade of 4.5" in res.failures[0]

    turns = good_turns()
    turns[1].graded = False
    assert not check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed

    turns = good_turns()
    turns[2].replies.insert(0, r("follow_up", "What would you monitor afterwards?"))
    res = check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0)
    assert not res.passed and "2 follow-ups (cap 1)" in res.failures[-1]


def test_points_the_grader_could_not_check_are_a_gap_too() -> None:
    turns = good_turns()
    turns[1].missed = []
    res = check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0)
    assert not res.passed and "0 missed point(s) and 0 unchecked" in res.failures[0]
    turns[1].unchecked = ["Gives a specific situation"]
    assert check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed


def test_a_repeated_follow_up_is_not_a_second_follow_up() -> None:
    turns = good_turns()
    again = r("follow_up", "How would you check that it worked?")
    again.repeated = True  # the candidate typed /repeat
    turns.insert(2, TurnView(index=2, candidate="/repeat", open_question_id=Q.id,
                             open_follow_up=1, replies=[again]))
    assert check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed
    again.repeated = False  # the same text as a new follow-up: over the cap, and ungraded
    assert not check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed


def test_scores_only_in_feedback_and_summary() -> None:
    turns = good_turns()
    assert check_no_grade_talk(turns).passed  # the feedback's "Score: 3.5/5" is fine
    turns[1].replies.insert(0, r("notice", "Sure, that's a 5/5 answer. Next question."))
    res = check_no_grade_talk(turns)
    assert not res.passed and "turn 1: notice announces a score" in res.failures[0]
    turns[1].replies[0] = r("notice", "I'd give that a score of 4, honestly.")
    assert not check_no_grade_talk(turns).passed


def test_follow_up_on_a_high_score_needs_the_missed_share_rule() -> None:
    turns = good_turns()
    turns[1].grade_score, turns[1].key_points = 4.5, 3  # 2 of 3 points missed
    assert not check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0).passed
    assert check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0,
                            missed_share=0.5).passed
    assert not check_follow_ups(turns, max_follow_ups=1, follow_up_below=4.0,
                                missed_share=0.7).passed


def test_session_must_end_with_the_summary() -> None:
    turns = good_turns()
    assert not check_session_ends(turns, finished=False).passed
    turns[-1].replies.pop()
    res = check_session_ends(turns, finished=True)
    assert not res.passed and "'closing'" in res.failures[0]


def _transcript(turns: list[TurnView], *, answers: list[str], end: str | None) -> Transcript:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    from interviewer.core.grade import GradeRequest

    grade = make_grade(GradeRequest(question=Q, answer="x"))
    lines = [Line(role="interviewer", kind=x.kind, text=x.text, at=at)
             for t in turns for x in t.replies if x.kind != "summary"]
    return Transcript(
        session_id="0" * 32, owner=None, pack="p", mode="practice", seed=1, interviewer="offline",
        grader="fake", started_at=at, ended_at=at if end else None, end_reason=end,
        stage_ids=[STAGE], stage_names={STAGE: "Technical"},
        questions=[QuestionRecord(
            plan_index=0, stage_id=STAGE, question_id=Q.id, topic=Q.topic, kind=Q.kind,
            difficulty=Q.difficulty, question=Q.question, example_answer=Q.example_answer,
            key_points=Q.key_points,
            exchanges=[Exchange(kind="question", prompt=Q.question, answer=a, grade=grade)
                       for a in answers])],
        lines=lines, prompt_versions=[], grader_versions=[],
    )


def test_transcript_must_hold_every_answer_and_line_and_an_end() -> None:
    turns = good_turns()
    answers = [t.candidate or "" for t in turns if t.graded]
    full = _transcript(turns, answers=answers, end="completed")
    assert check_transcript_complete(turns, full, full).passed

    res = check_transcript_complete(turns, _transcript(turns, answers=answers[:1],
                                                       end="completed"))
    assert not res.passed and "2 graded answer(s) but 1" in res.failures[0]

    res = check_transcript_complete(turns, _transcript(turns, answers=answers, end=None))
    assert not res.passed and "no end" in res.failures[0]

    missing = full.model_copy(update={"lines": full.lines[1:]})
    res = check_transcript_complete(turns, missing)
    assert not res.passed and "opening reply missing" in res.failures[0]

    res = check_transcript_complete(turns, full, missing)
    assert not res.passed and "reloaded" in res.failures[0]


def test_persona_order_and_pass_rates() -> None:
    assert check_persona_order({"strong": 4.5, "average": 3.0, "weak": 1.5}).passed
    res = check_persona_order({"strong": 3.0, "average": 3.2, "weak": 1.5})
    assert not res.passed and "strong 3.00 is not above average 3.20" in res.failures[0]
    assert not check_persona_order({"strong": 4.0, "average": 3.9, "weak": 1.0},
                                   min_gap=0.5).passed
    assert not check_persona_order({"strong": 4.0, "average": None, "weak": 1.0}).passed

    good = check_session_ends(good_turns(), finished=True)
    bad = check_session_ends(good_turns(), finished=False)
    assert pass_rates([[good], [bad], [good], [good]]) == {"session_ends": 0.75}
