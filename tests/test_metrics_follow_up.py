"""The follow-up relevance check (evals/metrics/conduct.py): each follow-up must target what the
grade named and presuppose nothing; it fails the exact misses the issue reported."""

from __future__ import annotations

from fakes import make_question

from evals.metrics.conduct import (
    ReplyView,
    TurnView,
    assumed,
    check_follow_up_relevance,
    follow_up_counts,
    follow_up_verdict,
)

Q = make_question()
QS = {Q.id: Q}


def turn(follow_up: str, **kw: object) -> TurnView:
    base: dict[str, object] = {
        "index": 1, "candidate": "x", "open_question_id": Q.id, "graded": True,
        "grade_score": 2.0, "missed": Q.key_points[1:], "covered": Q.key_points[:1],
        "question_kind": "technical",
        "answer_text": ("I compare training and validation error and watch the gap between "
                        "them over the epochs, then I stop early when it grows.")}
    base.update(kw)
    return TurnView(**base, replies=[ReplyView(kind="follow_up", text=follow_up,  # type: ignore[arg-type]
                                               question_id=Q.id)])


def test_a_wrong_claim_must_be_quoted_back() -> None:
    claim = "More epochs always improve a model."
    good = turn("You said \u201cmore epochs always improve a model\u201d. Would you stand by it?",
                wrong_claims=[claim])
    assert follow_up_verdict(good, good.replies[0].text, Q) is None
    # the pre-issue follow-up: a pack question about something else, the claim left standing
    off = turn("How would you use L2 regularisation here?", wrong_claims=[claim])
    assert "does not quote the wrong claim" in (follow_up_verdict(off, off.replies[0].text, Q)
                                                or "")


def test_a_missed_point_must_be_probed_not_something_else() -> None:
    t = turn("Where does regularisation come into it?")
    assert follow_up_verdict(t, t.replies[0].text, Q) is None
    unrelated = turn("Which of Kraken's values resonates most with you, and why?")
    assert "targets none of" in (follow_up_verdict(unrelated, unrelated.replies[0].text, Q) or "")


def test_a_vague_answer_is_met_with_a_request_for_an_example() -> None:
    vague = {"answer_text": "It depends.", "covered": []}
    ok = turn("Can you make that concrete with one example?", **vague)
    assert follow_up_verdict(ok, ok.replies[0].text, Q) is None
    deep = turn("How would you retire a set of rules once a model covers the same cases?",
                **vague)
    assert follow_up_verdict(deep, deep.replies[0].text, Q) is not None


def test_a_story_without_a_result_is_asked_for_it() -> None:
    story = {"question_kind": "behavioral", "missed": [], "covered": [],
             "unchecked": ["States a measurable result."],
             "answer_text": ("At my last company our fraud model blocked good users. I analysed "
                             "the logs with the ops team and I retrained the model over two "
                             "weeks, talking to support every day about what they saw.")}
    ok = turn("How did it turn out: what was the result?", **story)
    assert follow_up_verdict(ok, ok.replies[0].text, Q) is None
    other = turn("How did you communicate the incident to stakeholders?", **story)
    assert follow_up_verdict(other, other.replies[0].text, Q) is not None


def test_presupposing_an_unmentioned_project_fails_whatever_else() -> None:
    fu = "What was the hardest trade-off you made on that project?"
    assert assumed(fu, "It depends on the situation.") == "that project"
    assert assumed(fu, "On my churn project at Acme I owned the model.") is None
    t = turn(fu, answer_text="I measured it carefully.", covered=[])
    why = follow_up_verdict(t, fu, Q)
    assert why is not None and why.startswith("presupposes")
    assert follow_up_counts([t], QS) == (1, 0, 1)
    res = check_follow_up_relevance([t], QS)
    assert not res.passed and "that project" in res.failures[0]


def test_follow_ups_after_ungraded_turns_are_not_counted() -> None:
    t = turn("Where does regularisation come into it?", graded=False)
    assert follow_up_counts([t], QS) == (0, 0, 0)
    assert check_follow_up_relevance([t], QS).passed
