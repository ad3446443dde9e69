"""Exports read well: the pack's text as written (no HTML entities, no needless escapes, its
code spans as code), one-line question headings, separate blocks, the grader's reasons, and
strongest/weakest only when they mean something; candidate text still renders as text.

Markdown is checked by rendering it with a CommonMark renderer (markdown-it-py, in the lock)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from session_support import FULL, POOR, KeywordGrader, make_pack, make_services

from interviewer.app.services import Services
from interviewer.core.grade import Grade, GradeRequest
from interviewer.core.pack import Pack, iter_packs
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.core.transcript import Transcript
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.export import md_authored, md_escape, to_html, to_markdown

markdown_it = pytest.importorskip("markdown_it")

STAGE = "Responsible AI & Security"
TITLE = "Take-home assignment: build a service that flags suspicious withdrawals."
BRIEF_BODY = ("You get a CSV with a sparse, delayed `confirmed_fraud` label (about 200,000 "
              "rows). Build:\n1. A model that ranks withdrawals by risk.\n"
              "2. A small HTTP API (`POST /score`).")
BRIEF = f"{TITLE}\n\n{BRIEF_BODY}"
HOSTILE = "<script>alert('x')</script> **bold** [link](javascript:alert(1)) <img src=x>"


def render(md: str) -> str:
    return str(markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
               .render(md))


def pack() -> Pack:
    """The test pack with a stage name holding `&` and a take-home brief as its first question."""
    data = make_pack().model_dump()
    data["stages"][1]["name"] = STAGE
    for q in data["questions"]:
        if q["id"] == "tech-1":
            q["question"] = BRIEF
    return Pack.model_validate(data)


class ReasoningGrader(KeywordGrader):
    """Keyword grades with a reason per criterion, one of them quoting hostile text."""

    def grade(self, request: GradeRequest) -> Grade:
        g = super().grade(request)
        for c in g.criteria:
            c.rationale = f"{c.name} judged on the key points."
        g.criteria[0].rationale = "Quotes the answer: " + HOSTILE + "\nsecond | line"
        return g


@pytest.fixture
def services(settings: Settings) -> Services:
    return make_services(settings, pack=pack(), grader=ReasoningGrader())


def played(services: Services, answers: list[str], **kw: Any) -> Transcript:
    """A technical-stage session (the brief comes first with this seed), ended after these."""
    cfg: dict[str, Any] = {"pack": "mini", "stage": "technical", "questions": 3, "seed": 2,
                           "max_follow_ups": 0, **kw}
    s = InterviewSession.create(services, SessionConfig(**cfg))
    s.start()
    for a in answers:
        s.send(a)
    if not s.finished:
        s.end()
    t = s.transcript()
    assert t.questions[0].question == BRIEF  # the seed still puts the brief first
    return t


def test_pack_text_is_not_entity_escaped_nor_over_escaped(services: Services) -> None:
    t = played(services, [FULL, POOR])
    md = to_markdown(t)
    assert "&amp;" not in md and "\\(" not in md and "\\`" not in md and "\\_" not in md
    assert f"- Stages: {STAGE}" in md and f"| {STAGE} |" in md
    assert "over 2 answered questions (" in md  # no "\(" escaping of ordinary parentheses
    page = render(md)
    assert "<code>confirmed_fraud</code>" in page and "<code>POST /score</code>" in page
    assert "Responsible AI &amp; Security" in page  # the renderer's own, correct, escaping


def test_markdown_escapes_only_what_markdown_would_act_on() -> None:
    assert md_escape("AI & Security: question(s) on snake_case #1") == (
        "AI & Security: question(s) on snake_case #1")
    assert md_escape("&amp; <b>x</b> _y_ `z` a|b") == (
        r"\&amp; &lt;b&gt;x&lt;/b&gt; \_y\_ \`z\` a\|b")
    authored = md_authored("Use `a|b` & <script>x</script>, __init__ and *p_j*\n# not a heading")
    page = render(authored)
    assert "<code>a|b</code>" in page and "&lt;script&gt;" in page and "<script" not in page
    assert "<em>" not in page and "<strong>" not in page and "<h1>" not in page
    assert "__init__" in page and "*p_j*" in page
    assert md_authored("`a|b`", cell=True) == r"`a\|b`"  # GFM: a pipe in a cell, even in code


def _shown(page: str) -> str:
    """The text a reader sees in rendered HTML (code spans marked with backticks again)."""
    page = re.sub(r"<code>(.*?)</code>", r"`\1`", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_every_text_of_the_shipped_packs_renders_as_written(settings: Settings) -> None:
    """Names, questions, example answers, key points and follow-ups of the real packs: what a
    reader sees is what the author wrote (lists, `<` comparisons, snake_case, code spans)."""
    texts = []
    for p in iter_packs(settings.knowledge_dir):
        texts += [st.name for st in p.stages]
        for q in p.questions:
            texts += [q.question, q.example_answer, q.topic, *q.key_points, *q.follow_ups]
    assert len(texts) > 1000
    wrong = [t for t in texts if _shown(render(md_authored(t))) != " ".join(t.split())]
    assert wrong == []


def test_hostile_text_in_grader_notes_renders_as_text(services: Services) -> None:
    page = render(to_markdown(played(services, [FULL, POOR])))
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt; **bold** [link](javascript:alert(1))" in (
        page.replace("&quot;", '"'))


def test_markdown_shows_each_criterion_with_why_in_one_table_row(services: Services) -> None:
    t = played(services, [FULL, POOR])
    md = to_markdown(t)
    assert "| Criterion | Score | Why |" in md
    assert "| Completeness | 5 | Completeness judged on the key points. |" in md
    page = render(md)
    # the hostile, multi-line reason stays inside its row: one cell, shown as text
    assert "<td>Quotes the answer: &lt;script&gt;" in page and "second | line</td>" in page


def test_gaps_and_next_step_are_separate_blocks(services: Services) -> None:
    page = render(to_markdown(played(services, [POOR])))
    assert "<p><strong>Gaps:</strong> misses points</p>" in page
    assert "<p><strong>Next step:</strong> Practise Machine Learning.</p>" in page


def test_a_take_home_heading_is_its_first_line_and_the_brief_appears_once(
        services: Services) -> None:
    t = played(services, [FULL])
    md = to_markdown(t)
    assert f"### Q1. {TITLE}\n" in md
    assert md.count("`confirmed_fraud`") == 1
    page = render(md)
    assert f"<h3>Q1. {TITLE}</h3>" in page
    html_page = to_html(t)
    assert f"<h3>Q1. {TITLE}</h3>" in html_page and html_page.count("confirmed_fraud") == 1
    # an interviewer that put the brief in its own words: the pack's brief is shown once
    t.questions[0].exchanges[0].prompt = "Here is the take-home; take your time."
    md = to_markdown(t)
    assert md.count("`confirmed_fraud`") == 1 and f"### Q1. {TITLE}\n" in md
    assert to_html(t).count("confirmed_fraud") == 1


def test_a_follow_up_asked_but_not_answered_says_so(services: Services) -> None:
    t = played(services, [POOR], max_follow_ups=1)  # low score: a follow-up, then the end
    q1 = t.questions[0]
    assert [x.kind for x in q1.exchanges] == ["question", "follow_up"]
    assert q1.exchanges[1].answer is None and not q1.exchanges[1].skipped
    md = to_markdown(t)
    follow_up = md.index("**Follow-up:**")
    assert md[follow_up:].split("\n\n")[1] == "*(not answered)*"
    assert "<p><em>(not answered)</em></p>" in to_html(t)


@pytest.mark.parametrize(("answers", "shown"), [
    ([POOR, POOR, POOR], False),  # all tied at 1.0
    ([FULL], False),  # one answer is neither
    ([FULL, POOR], True),
])
def test_strongest_and_weakest_only_when_they_differ(services: Services, answers: list[str],
                                                     shown: bool) -> None:
    t = played(services, answers)
    for text in (to_markdown(t), to_html(t)):
        assert ("Strongest answers" in text) is shown
        assert ("Weakest answers" in text) is shown


def test_a_point_the_grader_cannot_check_is_not_shown_as_missed(services: Services) -> None:
    t = played(services, [FULL, POOR])
    rec = next(r for r in t.questions if r.final_grade is not None)
    g = rec.final_grade
    assert g is not None
    points = [k.model_copy(update={"covered": False, "measured": i != 0})
              for i, k in enumerate(g.key_points)]
    rec.exchanges[-1].grade = g.model_copy(update={"key_points": points})
    md = to_markdown(t)
    assert f"- [ ] {points[0].point} *(not checked automatically)*" in md
    assert f"- [ ] {points[1].point}\n" in md
    page = to_html(t)
    assert '<li class="unchecked">?' in page and '<li class="missed">&#10007;' in page


def test_the_question_field_holds_the_question_not_the_lead_in(services: Services) -> None:
    """QA: "Question: Thanks. Next question. What is ..." in every export."""
    from interviewer.interview.offline import LEAD_INS

    t = played(services, [FULL, POOR])
    second = t.questions[1]
    asked = second.exchanges[0].prompt
    lead = asked.split("\n\n", 1)[0]
    assert any(lead in options for options in LEAD_INS.values())  # asked with a lead-in ...
    md = to_markdown(t)
    assert f"**Question:** {second.question}" in md and f"**Question:** {lead}" not in md
    page = to_html(t)
    assert f"<strong>Question:</strong> {second.question}" in page and lead not in page
