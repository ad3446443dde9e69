"""Follow-ups chosen from the grade (interview/probe.py): a wrong claim is put back, quoted and
never corrected; a story missing a part is asked for it; a vague answer for an example; a missed
key point gets a probe toward it that never states it; nothing the candidate did not say is
presupposed (QA: "What was the hardest trade-off you made on that project?" after an answer that
named no project)."""

from __future__ import annotations

import pytest
from fakes import make_grade, make_question

from interviewer.core.grade import Grade, GradeRequest, KeyPointHit, WrongClaim
from interviewer.core.pack import Question, load_pack
from interviewer.core.settings import PROJECT_ROOT
from interviewer.interview.guard import count_questions, find_leak
from interviewer.interview.probe import (
    EXAMPLE_TEXT,
    STAR_TEXT,
    anchor_phrase,
    choose_probe,
    missing_star_parts,
    presupposes,
    quote,
)

LONG = ("I would compare the training and validation error over time and look at the gap, "
        "then try a simpler model and more data if it keeps growing across the folds.")


def _grade(q: Question, *, covered: int, score: float = 2.5,
           wrong: list[WrongClaim] | None = None) -> Grade:
    g = make_grade(GradeRequest(question=q, answer="x"), score=score, covered=covered)
    if wrong:
        g = g.model_copy(update={"wrong_claims": wrong, "misconceptions": [w.text for w in wrong]})
    return g


def test_a_wrong_claim_is_quoted_back_without_its_correction() -> None:
    q = make_question()
    claim = WrongClaim(text="More epochs always improve a model.", problem="a misconception",
                       correction="More epochs can overfit: stop when validation error rises.")
    p = choose_probe(q, _grade(q, covered=2, wrong=[claim]), [LONG])
    assert p is not None and p.kind == "wrong_claim"
    assert "\u201cMore epochs always improve a model\u201d" in p.text
    assert "validation error rises" not in p.text and "overfit" not in p.text
    assert count_questions(p.text) == 1
    # asked once: the next follow-up moves on to a gap
    again = choose_probe(q, _grade(q, covered=2, wrong=[claim]), [LONG], used=[p.text])
    assert again is None or again.kind != "wrong_claim"


def test_quotes_are_cut_and_cannot_carry_markup_or_a_question() -> None:
    said = "**Accuracy** is [all](http://x.example) you need, right? " + "and more " * 20
    q = quote(said)
    assert not set("*[]()?") & set(q)
    assert q.endswith("…") and len(q.split()) <= 19


def test_a_vague_answer_is_asked_for_one_example() -> None:
    q = make_question()
    p = choose_probe(q, _grade(q, covered=0, score=1.5), ["It depends on the data."])
    assert p is not None and p.kind == "example" and p.text == EXAMPLE_TEXT


def test_the_first_missed_point_gets_a_probe_that_does_not_state_it() -> None:
    q = make_question(follow_ups=[], hints=[])
    g = _grade(q, covered=1)  # the first point covered: the second is the one to probe
    p = choose_probe(q, g, [LONG])
    assert p is not None and p.kind == "missed_point" and p.target == q.key_points[1]
    assert "regularisation" in p.text.lower()  # toward it ...
    assert not find_leak(p.text, q).leaked  # ... never the point itself
    assert count_questions(p.text) == 1


def test_a_pack_follow_up_on_the_missed_point_is_preferred() -> None:
    fu = "How would you choose the strength of L2 regularisation?"
    q = make_question(follow_ups=["What would you monitor afterwards?", fu])
    p = choose_probe(q, _grade(q, covered=1), [LONG])
    assert p is not None and p.text == fu


@pytest.mark.parametrize(("answer", "missing"), [
    ("We had a model problem once and it was fine in the end.", ["situation", "actions"]),
    ("At my last company our fraud model blocked good users. I analysed the logs and "
     "retrained it.", ["result"]),
    ("At my last company our fraud model blocked good users. I analysed the logs and "
     "retrained it, and as a result false blocks dropped 30%.", []),
])
def test_star_parts_missing(answer: str, missing: list[str]) -> None:
    assert missing_star_parts(answer) == missing


def test_a_story_without_its_result_is_asked_for_it() -> None:
    q = make_question(kind="behavioral", question="Tell me about a time a model failed.")
    answer = ("At my last company our fraud model blocked good users. I analysed the logs and "
              "retrained it with the help of the ops team over two weeks in the spring.")
    g = _grade(q, covered=0, score=3.0)
    g = g.model_copy(update={"key_points": [KeyPointHit(point=k, covered=False, measured=False)
                                            for k in q.key_points]})
    p = choose_probe(q, g, [answer])
    assert p is not None and p.kind == "star_part" and p.target == "result"
    assert p.text == STAR_TEXT["result"]


def test_presupposition_needs_the_thing_to_have_been_said() -> None:
    fu = "What was the hardest trade-off you made on that project?"
    assert presupposes(fu, "I think it depends on the situation.") == "that project"
    assert presupposes(fu, "Our churn project at Acme cut losses by 10%.") is None
    assert presupposes("How would you make sure the model generalises?", "no model") is None
    assert presupposes("How did you test the model you built?", "It depends.") == \
        "the model you built"


@pytest.fixture(scope="module")
def kraken():  # type: ignore[no-untyped-def]
    return load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")


def test_a_pack_follow_up_about_that_project_is_never_asked_after_no_project(kraken) -> None:  # type: ignore[no-untyped-def]
    q = kraken.question("final-4")
    assert any(presupposes(f, "") for f in q.follow_ups)  # the pack has such a follow-up
    unchecked = [KeyPointHit(point=k, covered=False, measured=False) for k in q.key_points]
    g = make_grade(GradeRequest(question=q, answer="x"), score=3.0).model_copy(
        update={"key_points": unchecked})
    vague = "I had a big impact on many things, and I measured it carefully in the end."
    used: list[str] = []
    for _ in range(6):  # every follow-up it would ever ask this answer
        p = choose_probe(q, g, [vague], used=used)
        if p is None:
            break
        assert presupposes(p.text, vague) is None, p.text
        used.append(p.text)


def test_anchor_phrases_name_a_topic_of_the_point(kraken) -> None:  # type: ignore[no-untyped-def]
    q = kraken.question("statistics-probability-3")
    assert anchor_phrase(q.key_points[1], q.question, "") == "statistical tests"
    assert anchor_phrase(q.key_points[3], q.question, "") == "sample size"
    # a topic the candidate already named is no probe
    assert anchor_phrase(q.key_points[3], q.question, "the sample size matters") != "sample size"
