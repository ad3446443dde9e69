"""How a follow-up answer changes the question's grade: a new wrong claim counts, a newly covered
key point may raise it, nothing new leaves it as it was (QA: gibberish raised 3.8 to 3.9, a strong
follow-up answer lowered it to 3.5)."""

from __future__ import annotations

from fakes import make_grade, make_question
from session_support import FULL, KeywordGrader, make_services
from test_session import _session

from interviewer.core.grade import Grade, GradeRequest, WrongClaim
from interviewer.core.settings import Settings
from interviewer.interview.settle import settle_follow_up

REQ = GradeRequest(question=make_question(), answer="x")


def _grade(score: float, covered: int, wrong: list[str] | None = None) -> Grade:
    g = make_grade(REQ, score=score, covered=covered)
    if wrong:
        g = g.model_copy(update={"misconceptions": wrong, "wrong_claims": [
            WrongClaim(text=w, problem="a known misconception: w") for w in wrong]})
    return g


def _same_verdict(a: Grade, b: Grade) -> bool:
    return a.model_dump(exclude={"provenance"}) == b.model_dump(exclude={"provenance"})


def test_a_follow_up_that_adds_nothing_leaves_the_grade() -> None:
    before = _grade(3.8, covered=1)
    for after in (_grade(3.9, covered=1), _grade(3.5, covered=1)):  # longer; diluted
        after.provenance.fallback_reason = "HTTP 500"
        settled = settle_follow_up(before, after)
        assert _same_verdict(settled, before)
        # the grading that ran is what the transcript records, and why its verdict did not
        assert settled.provenance.fallback_reason == "HTTP 500"
        assert "earlier grade stands" in (settled.provenance.settled or "")


def test_a_newly_covered_point_may_raise_the_grade_never_lower_it() -> None:
    before = _grade(3.8, covered=1)
    up = _grade(4.4, covered=2)
    assert settle_follow_up(before, up) is up
    down = settle_follow_up(before, _grade(3.5, covered=2))
    assert down.score == 3.8 and len(down.covered) == 2  # the new point shows as covered
    assert down.provenance.settled and up.provenance.settled is None


def test_a_new_wrong_claim_in_the_follow_up_counts() -> None:
    before = _grade(3.8, covered=1)
    wrong = _grade(2.0, covered=2, wrong=["Accuracy is all you need."])
    assert settle_follow_up(before, wrong) is wrong
    old = _grade(3.0, covered=1, wrong=["Old claim."])  # said before: nothing new
    assert _same_verdict(settle_follow_up(old, _grade(3.4, covered=1, wrong=["Old claim."])),
                         old)


class ScriptedGrader:
    """Returns the scripted (score, covered) grades in turn; records what it was sent."""

    name = "reference"

    def __init__(self, *script: tuple[float, int]) -> None:
        self.script = list(script)
        self.requests: list[GradeRequest] = []

    def grade(self, request: GradeRequest) -> Grade:
        self.requests.append(request)
        score, covered = self.script.pop(0)
        return make_grade(request, score=score, covered=covered)


def test_the_session_keeps_the_grade_when_a_follow_up_answer_adds_nothing(
        settings: Settings) -> None:
    grader = ScriptedGrader((3.0, 1), (3.4, 1))  # longer, nothing new covered
    s = _session(make_services(settings, grader=grader), max_follow_ups=1)
    s.start()
    pi = s._state.current
    s.send("zebracorn drift only")
    assert s._state.awaiting is not None and s._state.awaiting.follow_up
    s.send("asdf qwerty lol")
    assert s._state.grades[pi].score == 3.0
    assert grader.requests[-1].answer.endswith("asdf qwerty lol")  # still graded together
    # and the transcript records the settled grade with the answer
    record = next(r for r in s.transcript().questions if len(r.exchanges) == 2)
    assert record.exchanges[1].answer == "asdf qwerty lol"
    assert record.final_grade is not None and record.final_grade.score == 3.0


def test_the_session_raises_the_grade_when_the_follow_up_covers_more(settings: Settings) -> None:
    s = _session(make_services(settings, grader=KeywordGrader()), max_follow_ups=1)
    s.start()
    pi = s._state.current
    s.send("zebracorn drift only")
    first = s._state.grades[pi].score
    s.send(FULL)
    assert s._state.grades[pi].score > first
