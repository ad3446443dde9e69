"""Grade cards and reports: candidate text shows as typed, the numbers are the grade's."""

from __future__ import annotations

import html
import re

from interviewer.core.grade import (
    CriterionScore,
    Grade,
    GradeProvenance,
    KeyPointHit,
    WrongClaim,
)
from interviewer.core.markdown import md_block, md_escape
from interviewer.core.summary import AnswerRef, ScoreItem, SessionSummary
from interviewer.ui import render
from interviewer.ui.charts import score_chart


def _grade(**extra: object) -> Grade:
    base: dict[str, object] = dict(
        score=3.6,
        criteria=[CriterionScore(id="correctness", name="Correctness", score=4, rationale="ok"),
                  CriterionScore(id="depth", name="Depth", score=2)],
        key_points=[KeyPointHit(point="Type I is a false positive", covered=True,
                                evidence="<img src=x onerror=alert(1)> false positive"),
                    KeyPointHit(point="Power is 1 - beta", covered=False)],
        next_step="Practise power calculations.",
        provenance=GradeProvenance(grader="reference", duration_ms=12.0),
    )
    base.update(extra)
    return Grade(**base)  # type: ignore[arg-type]


def test_grade_card_lists_points_the_grader_cannot_check_apart_from_missed() -> None:
    points = [KeyPointHit(point="Type I is a false positive", covered=True),
              KeyPointHit(point="Power is 1 - beta", covered=False),
              KeyPointHit(point="Gives a specific situation", covered=False, measured=False)]
    card = render.grade_card(_grade(key_points=points))
    assert "Key points covered (1/2)" in card and "Key points missed (1)" in card
    assert "**Check yourself (1)**" in card and "- ? Gives a specific situation" in card
    missed = card.split("**Key points missed")[1].split("**Check yourself")[0]
    assert "specific situation" not in missed
    assert "Check yourself" not in render.grade_card(_grade())


def test_md_escape_neutralises_markup_and_images() -> None:
    """The page uses the one escaper the exports use (core.markdown)."""
    text = "![x](http://evil.example/p.png) **bold** <b>hi</b> [link](http://a) `code`"
    out = md_escape(text)
    assert not re.search(r"(?<!\\)[*\[\]`]", out)  # no emphasis, link, image or code opens
    assert "<" not in out and ">" not in out  # no HTML
    assert html.unescape(out.replace("\\", "")) == text  # nothing lost, only escaped


def test_defang_keeps_markdown_but_blocks_images_and_html() -> None:
    out = render.defang("**Good** ![t](http://evil.example/t.png) <script>x</script>")
    assert "**Good**" in out
    assert "![" not in out and "<script>" not in out and "&lt;script&gt;" in out


def test_grade_card_shows_scores_points_and_next_step() -> None:
    card = render.grade_card(_grade())
    assert "3.6 / 5" in card
    assert "| Correctness | 4/5 | ok |" in card and "| Depth | 2/5 |" in card
    assert "Key points covered (1/2)" in card and "Key points missed (1)" in card
    assert "Power is 1 - beta" in card
    assert "<img" not in card and "&lt;img" in card  # the evidence is text
    assert "**Next step:** Practise power calculations." in card
    assert "reference grader" in card


def test_grade_card_says_what_is_wrong_and_what_is_true_instead() -> None:
    wrong = WrongClaim(text="Type I is a <b>false negative</b>",
                       problem="a known misconception: Type I is a false negative.",
                       correction="A Type I error is a false positive.")
    card = render.grade_card(_grade(misconceptions=[wrong.text], wrong_claims=[wrong]))
    watch = card.split("**Watch out**", 1)[1]
    assert "&lt;b&gt;false negative&lt;/b&gt;" in watch  # the answer's words, as text
    assert "a known misconception: Type I is a false negative. In fact: A Type I error is a " \
        "false positive." in watch
    # an LLM grade names the claims without explanations: they are listed as found
    plain = render.grade_card(_grade(misconceptions=["Power is alpha"]))
    assert "- Power is alpha" in plain.split("**Watch out**", 1)[1]
    assert "**Watch out**" not in render.grade_card(_grade())


def test_grade_card_says_when_the_answer_fits_another_question() -> None:
    card = render.grade_card(_grade(other_question="What is a *p-value*?"))
    assert "reads like an answer to another question" in card
    assert "\u201cWhat is a \\*p-value\\*\u201d" in card  # quoted as text, asking nothing
    assert "another question" not in render.grade_card(_grade())


def test_grade_card_flags_low_confidence_and_llm_fallback() -> None:
    grade = _grade(low_confidence=True, confidence_reason="graders disagree",
                   provenance=GradeProvenance(grader="llm", model="gpt-x",
                                              fallback_reason="bad JSON"))
    card = render.grade_card(grade)
    assert "Low confidence" in card and "graders disagree" in card
    assert "`gpt-x`" in card and "bad JSON" in card


def _summary(**extra: object) -> SessionSummary:
    base: dict[str, object] = dict(
        session_id="a" * 32, pack="kraken-ml-engineer", mode="practice",
        stages=["technical-interviews"], planned=3, answered=2, skipped=1, finished=True,
        ended_early=False, overall=3.25,
        criteria=[ScoreItem(id="correctness", name="Correctness", score=3.5, count=2)],
        topics=[ScoreItem(id="Statistics", name="Statistics", score=3.0, count=1),
                ScoreItem(id="ML", name="ML", score=3.5, count=1)],
        strongest=[AnswerRef(question_id="q1", stage_id="s", question="What is *bias*?",
                             topic="ML", score=3.5)],
        weakest=[AnswerRef(question_id="q2", stage_id="s", question="Type I vs II?",
                           topic="Statistics", score=3.0)],
        next_steps=["Review power."],
    )
    base.update(extra)
    return SessionSummary(**base)  # type: ignore[arg-type]


def test_report_lists_overall_scores_answers_and_steps() -> None:
    text = render.report(_summary())
    assert "3.2 / 5" in text or "3.3 / 5" in text
    assert "2 answered question(s) (1 skipped, 3 planned)" in text
    assert "| Correctness | 3.5 | 2 |" in text and "| Statistics | 3.0 | 1 |" in text
    assert "Strongest answers" in text and "What is \\*bias\\*?" in text
    assert "Weakest answers" in text and "1. Review power." in text


def test_report_names_a_long_brief_by_its_first_line() -> None:
    brief = ("Take-home assignment: build a service that flags suspicious withdrawals.\n\n"
             "You get a CSV of about 200,000 historical withdrawals ...\n1. A model ...")
    weak = AnswerRef(question_id="th", stage_id="s", question=brief, topic="ML", score=2.7)
    text = render.report(_summary(weakest=[weak]))
    assert "\\- 2.7" not in text and "- 2.7: Take-home assignment: build a service that flags " \
        "suspicious withdrawals." in text
    assert "200,000" not in text
    long_line = AnswerRef(question_id="q", stage_id="s", question="word " * 60, topic="ML",
                          score=3.0)
    assert long_line.title.endswith("\u2026") and len(long_line.title) <= 141


def test_report_without_grades_says_so_and_has_no_chart() -> None:
    empty = _summary(answered=0, overall=None, criteria=[], topics=[], strongest=[],
                     weakest=[], next_steps=[])
    assert "no graded answers" in render.report(empty)
    assert score_chart(empty) is None


def test_chart_has_one_bar_per_criterion_and_topic() -> None:
    fig = score_chart(_summary())
    assert fig is not None
    crit, topics = fig.data
    assert list(crit.y) == ["Correctness"] and list(crit.x) == [3.5]
    assert list(topics.y) == ["Statistics", "ML"] and list(topics.x) == [3.0, 3.5]


def test_banner_says_offline_plainly() -> None:
    assert "no language model is configured" in render.offline_banner(False, None)
    online = render.offline_banner(True, "gpt-4o-mini")
    assert "`gpt-4o-mini`" in online and "offline" in online


def test_earlier_exchanges_replay_answers_and_hide_grades_in_interview_mode(
    settings: object,
) -> None:
    from interviewer.app.services import build_services
    from interviewer.core.session import SessionConfig
    from interviewer.interview.session import InterviewSession

    class Fixed:
        name = "fixed"

        def grade(self, request: object) -> Grade:
            return _grade(score=2.0)

    svc = build_services(settings, grader=Fixed(), offline=True)  # type: ignore[arg-type]
    for mode, shows in (("practice", True), ("interview", False)):
        session = InterviewSession.create(svc, SessionConfig(
            pack="kraken-ml-engineer", stage="technical-interviews", mode=mode, questions=3,
            seed=3, max_follow_ups=0))
        session.start()
        session.send("first <b>answer</b> here, about errors and thresholds")
        session.send("/skip")
        text = render.earlier_exchanges(session.transcript(), show_grades=shows)
        assert "first &lt;b&gt;answer&lt;/b&gt; here" in text
        assert "*Skipped.*" in text
        assert ("grade **2.0 / 5** ●●○○○" in text) is shows
        assert "(grade" not in text
        assert text.count("\n---\n") == 1  # two questions so far, the third is still open


def test_banner_says_why_a_configured_model_was_switched_off() -> None:
    problem = "Cannot connect to the model endpoint http://127.0.0.1:9/v1 <b>x</b>"
    text = render.offline_banner(True, "m", problem)
    assert text.startswith("**Offline mode: the configured model is unreachable.**")
    assert "Cannot connect" in text and "<b>" not in text  # shown as text
    assert "A language model is configured" not in text


def test_kept_text_is_verbatim_in_a_block_nothing_in_it_can_close() -> None:
    text = "a ```` fence `x` and <script>alert(1)</script> ![i](http://e.example/p.png)"
    block = md_block(text)
    fence = block.split("text\n", 1)[0]
    assert fence == "`" * 5 and block.endswith("\n" + fence)
    assert block[len(fence) + len("text\n"):-len(fence) - 1] == text  # as typed
    assert md_block("plain").startswith("```text\n")


def test_kept_note_inline_when_short_else_its_length() -> None:
    assert render.kept_note("my *answer*") == "\n\nYour text, kept:\n\nmy \\*answer\\*"
    long = "x" * 20_500
    note = render.kept_note(long)
    assert "20,500 characters" in note and "xx" not in note
    assert render.kept_label(long) == "Your text, kept (20,500 characters)"


def test_question_review_shows_the_card_and_the_example_answer() -> None:
    from interviewer.core.transcript import Exchange, QuestionRecord

    def rec(**extra: object) -> QuestionRecord:
        base: dict[str, object] = dict(
            plan_index=1, stage_id="s", question_id="q", topic="Statistics", kind="technical",
            difficulty="medium", question="Type I vs Type II errors?\nMore detail.",
            example_answer="A Type I error is a <b>false positive</b>.",
            key_points=["Type I is a false positive", "Power is 1 - beta"])
        base.update(extra)
        return QuestionRecord(**base)  # type: ignore[arg-type]

    graded = rec(exchanges=[Exchange(kind="question", prompt="p", answer="a", grade=_grade())])
    assert render.review_title(graded) == "2. Type I vs Type II errors? · 3.6 / 5"
    text = render.question_review(graded)
    assert text.startswith("### Grade: 3.6 / 5")
    assert "Key points covered (1/2)" in text and "Key points missed (1)" in text
    assert text.endswith("**Example answer**\n\nA Type I error is a &lt;b&gt;false "
                         "positive&lt;/b&gt;.")
    skipped = rec(exchanges=[Exchange(kind="question", prompt="p", skipped=True)])
    assert render.review_title(skipped).endswith("· skipped")
    assert render.question_review(skipped).startswith("**Skipped.**")
    open_one = rec(exchanges=[Exchange(kind="question", prompt="p")])
    assert render.review_title(open_one).endswith("· not answered")


def test_recap_titles_a_long_question_and_keeps_code_as_code() -> None:
    """QA: a take-home brief inside ** ** showed the asterisks, and code lost its lines."""
    from datetime import UTC, datetime

    from interviewer.core.transcript import Exchange, QuestionRecord, Transcript

    brief = "Take-home: build a scorer.\n\nYou get a CSV.\n1. A model.\n2. An API."
    answer = "**My plan**: a baseline.\n\n```python\ndef score(x):\n    return 0.5\n```\nDone."
    rec = QuestionRecord(plan_index=0, stage_id="s", question_id="q", topic="t",
                         kind="take_home", difficulty="hard", question=brief,
                         example_answer="e", key_points=["k"],
                         exchanges=[Exchange(kind="question", prompt=brief, answer=answer,
                                             grade=_grade(score=1.8))])
    now = datetime.now(UTC)
    t = Transcript(session_id="x", owner=None, pack="p", mode="practice", seed=1,
                   interviewer="offline", grader="reference", started_at=now, ended_at=None,
                   end_reason=None, stage_ids=["s"], stage_names={"s": "S"}, questions=[rec],
                   lines=[], prompt_versions=[], grader_versions=[])
    text = render.earlier_exchanges(t, show_grades=True)
    assert text.startswith("**1. Take-home: build a scorer.**\n")  # the title, one line
    assert "You get a CSV" not in text
    assert "```python\ndef score(x):\n    return 0.5\n```" in text  # code kept as code
    assert "\\*\\*My plan\\*\\*" in text  # the candidate's own markup shown as typed
    assert "grade **1.8 / 5** ●●○○○" in text


def test_candidate_code_cannot_close_its_block_or_inject() -> None:
    text = "see:\n```\nx = '```'\n![p](http://e.example/p.png)\n```\nafter [a](http://e)"
    md = render.candidate_markdown(text)
    block = md.split("\n\n")[1]
    fence = block.split("text\n", 1)[0]
    assert len(fence) >= 4 and block.endswith(fence)  # longer than the ``` inside
    assert "\\[a\\](http://e)" in md  # a link in prose is text


def test_partial_card_keeps_the_gaps_for_after_the_follow_up() -> None:
    wrong = WrongClaim(text="Accuracy is fine on imbalanced data.", problem="a misconception",
                       correction="Accuracy misleads on imbalanced data.")
    grade = _grade(misconceptions=[wrong.text], wrong_claims=[wrong])
    card = render.grade_card(grade, title="Partial grade", partial=True)
    assert "Accuracy misleads" not in card and "Watch out" not in card
    assert "Key points missed" not in card and "Next step" not in card
    assert "come after the follow-up" in card
    assert "Accuracy misleads" in render.grade_card(grade)  # the full card says it


def test_card_says_a_claim_was_corrected() -> None:
    fixed = WrongClaim(text="A p-value is the chance the null is true.", problem="m")
    card = render.grade_card(_grade(corrected=[fixed]))
    assert "Corrected in your follow-up" in card and "no longer caps the grade" in card


def test_a_card_with_no_checkable_point_says_nothing_about_key_points() -> None:
    points = [KeyPointHit(point="Gives a specific situation.", covered=False, measured=False)]
    card = render.grade_card(_grade(key_points=points))
    assert "Key points covered" not in card and "Key points missed" not in card
    assert "(0/0)" not in card and "Check yourself (1)" in card


def test_chart_stacks_its_parts_and_wraps_long_labels() -> None:
    """QA: side by side, "Responsible AI & Security" was clipped and the toolbar covered "By
    topic"."""
    import json

    from interviewer.ui.charts import with_config

    long = ScoreItem(id="rai", name="Responsible AI & Security", score=2.0, count=1)
    fig = score_chart(_summary(topics=[long]))
    assert fig is not None
    crit, topics = fig.data
    assert topics.y[0] == "Responsible AI &<br>Security" and topics.customdata[0] == long.name
    top, bottom = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert bottom[1] < top[0]  # one above the other, each the chart's full width
    assert fig.layout.xaxis.domain == fig.layout.xaxis2.domain == (0.0, 1.0)
    assert fig.layout.modebar.orientation == "v"
    shown = json.loads(with_config(fig.to_json()))
    assert shown["config"]["displayModeBar"] == "hover" and not shown["config"]["displaylogo"]
    assert shown["layout"]["annotations"][1]["text"] == "By topic"
