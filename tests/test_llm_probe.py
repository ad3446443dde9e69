"""The LLM interviewer gets the same inputs as the offline one: the follow-up prompt names what
the grade found (a wrong claim to put back, quoted; a missing part of a story; the missed point
first), the lead-in knows how the last answer went, and a follow-up that presupposes what the
candidate never said falls back to the offline probe."""

from __future__ import annotations

from fakes import FakeGrader
from session_support import make_pack, make_services
from test_session_llm import LEAD, OPENING

from interviewer.core.grade import WrongClaim
from interviewer.core.session import SessionConfig
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.interview.llm_interviewer import LLMInterviewer
from interviewer.interview.session import InterviewSession
from interviewer.llm.fakes import ScriptedChatModel

CLAIM = WrongClaim(text="Zebracorn drift never matters in production.",
                   problem="a known misconception", correction="It matters a great deal.")
ANSWER = "I would measure zebracorn drift once. Zebracorn drift never matters in production."


def _session(settings: Settings, replies: list[str], grader: FakeGrader,
             **kw: object) -> tuple[InterviewSession, ScriptedChatModel]:
    model = ScriptedChatModel(replies, chunk_size=4)
    llm = LLMInterviewer(model, PROJECT_ROOT / "prompts")
    services = make_services(settings, pack=make_pack(), interviewer=llm, grader=grader)
    cfg = {"pack": "mini", "stage": "technical", "questions": 2, "seed": 4,
           "mode": "interview", **kw}
    s = InterviewSession.create(services, SessionConfig(**cfg))  # type: ignore[arg-type]
    s.start()
    return s, model


def test_the_follow_up_prompt_quotes_the_wrong_claim_and_withholds_the_correction(
        settings: Settings) -> None:
    follow = "You said drift never matters in production. Would you stand by that?"
    s, model = _session(settings, [OPENING, LEAD, follow],
                        FakeGrader(score=2.0, covered=1, wrong_claims=[CLAIM]))
    r = s.send(ANSWER)
    assert [x.kind for x in r] == ["follow_up"] and r[0].text == follow and not r[0].fallback
    sent = model.last_call.text
    assert "They claimed: \u201cZebracorn drift never matters in production.\u201d" in sent
    assert "Do not say what is wrong with it or what is true instead" in sent
    assert CLAIM.correction not in sent
    assert "never mention a project, team, model or situation" in sent


def test_quoting_the_claim_back_is_not_taken_for_an_echo(settings: Settings) -> None:
    follow = ("You said that zebracorn drift never matters in production. Would you still put "
              "it that way?")
    s, _ = _session(settings, [OPENING, LEAD, follow],
                    FakeGrader(score=2.0, covered=1, wrong_claims=[CLAIM]))
    r = s.send(ANSWER)
    assert r[0].text == follow and not r[0].fallback


def test_a_follow_up_about_a_project_never_named_falls_back(settings: Settings) -> None:
    follow = "What was the hardest trade-off you made on that project?"
    s, _ = _session(settings, [OPENING, LEAD, follow], FakeGrader(score=2.0, covered=1))
    r = s.send("I would look at zebracorn drift first.")
    assert [x.kind for x in r] == ["follow_up"] and r[0].fallback
    assert "project" not in r[0].text and "quokka regularisation" in r[0].text  # the probe


def test_the_missed_point_the_probe_targets_comes_first(settings: Settings) -> None:
    s, model = _session(settings, [OPENING, LEAD, "How would you keep the model simple?"],
                        FakeGrader(score=2.0, covered=1))
    s.send("I would look at zebracorn drift first.")
    sent = model.last_call.text
    hidden = sent.split("Not yet covered by the candidate", 1)[1]
    first = hidden.split("\n- ", 1)[1].split("\n", 1)[0]
    assert first == "quokka regularisation applied carefully"


def test_the_lead_in_after_a_weak_answer_is_told_not_to_praise(settings: Settings) -> None:
    s, model = _session(settings, [OPENING, LEAD, "Let's turn to another topic."],
                        FakeGrader(score=1.5, covered=0), mode="practice", max_follow_ups=0)
    s.send("No idea really, it depends.")
    lead_in = model.last_call.text
    assert "The previous answer was weak: do not praise it" in lead_in
