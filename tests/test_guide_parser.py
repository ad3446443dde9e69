"""The guide parser on a synthetic guide for another company, and on malformed variants."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import interviewer.packs.guide_family as guide_family
import interviewer.packs.guide_parser as guide_parser
from interviewer.cli.main import main
from interviewer.core.errors import GuideParseError
from interviewer.core.pack import Pack, load_pack
from interviewer.packs.guide_parser import (
    ParsedGuide,
    guide_fields,
    parse_guide,
    scaffold_pack,
    slugify,
)

PREFIX = "Blue Harbor Data Scientist"

GUIDE_LINES = [
    f"{PREFIX} Interview Questions + Guide in 2024",
    "",
    "Overview",
    "",
    "Blue Harbor is a logistics company that ships containers.",
    "",
    "As a Data Scientist at Blue Harbor, you will forecast demand.",
    "",
    "What Blue Harbor Looks for in a Data Scientist",
    "",
    f"{PREFIX} Interview Process",
    "",
    "The process has two stages.",
    "",
    "1. Phone Screen",
    "",
    "A short call with a recruiter.",
    "",
    "2. Onsite Loop",
    "",
    "Four interviews in one day.",
    "",
    "Candidates say the loop is tiring.",
    "",
    f"{PREFIX} Interview Tips",
    "",
    "Here are some tips.",
    "",
    "Know the Business",
    "",
    "Read about shipping before the interview.",
    "",
    "Don\u2019t Panic",
    "",
    "Stay calm when stuck.",
    "",
    "Good luck!",
    "",
    f"{PREFIX} Interview Questions",
    "",
    "Forecasting & Time Series",
    "",
    "1. How do you validate a forecasting model?",
    "",
    "Forecasting is the core of the job.",
    "",
    "How to Answer",
    "",
    "Explain time-based splits.",
    "",
    "Example",
    "",
    "\u201cI use rolling-origin evaluation.\u201d",
    "",
    "2. Explain seasonality.",
    "",
    "Seasonality drives shipping volume.",
    "",
    "How to Answer",
    "",
    "Define it and give an example.",
    "",
    "Example",
    "",
    "\u201cSeasonality is a repeating pattern.",
    "",
    "For example, volume peaks before holidays.\u201d",
    "",
    "SQL",
    "",
    "1. Write a query that finds late shipments.",
    "",
    "SQL is used daily.",
    "",
    "How to Answer",
    "",
    "Join shipments to schedules.",
    "",
    "Example",
    "",
    '"SELECT id FROM shipments WHERE arrived > due."',
    "",
    "QuestionTopicDifficultyAsk Chance",
    "SQL",
    "Medium",
    "High",
    "Statistics",
    "Hard",
    "Very Low",
    "Loading pricing options",
    "",
    "View all Blue Harbor questions",
    "Senior Data Engineer",
]


def guide_text(lines: list[str] = GUIDE_LINES) -> str:
    return "\n".join(lines) + "\n"


def line_of(lines: list[str], text: str, nth: int = 0) -> int:
    """1-based line number of the nth line equal to text."""
    hits = [i + 1 for i, line in enumerate(lines) if line == text]
    return hits[nth]


def test_parses_every_guide_field() -> None:
    text = guide_text()
    g = parse_guide(text, "blue.txt")
    assert (g.company, g.role) == ("Blue Harbor", "Data Scientist")
    assert g.overview == (
        "Blue Harbor is a logistics company that ships containers.\n\n"
        "As a Data Scientist at Blue Harbor, you will forecast demand."
    )
    assert g.source.model_dump() == {
        "file": "blue.txt",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "title": f"{PREFIX} Interview Questions + Guide in 2024",
    }
    assert [(s.id, s.order, s.name, s.description) for s in g.stages] == [
        ("phone-screen", 1, "Phone Screen", "A short call with a recruiter."),
        ("onsite-loop", 2, "Onsite Loop", "Four interviews in one day."),  # closing remark cut
    ]
    assert [(t.id, t.title, t.text) for t in g.tips] == [
        ("know-the-business", "Know the Business", "Read about shipping before the interview."),
        ("dont-panic", "Don\u2019t Panic", "Stay calm when stuck."),  # "Good luck!" cut
    ]
    assert [q.id for q in g.questions] == [
        "forecasting-time-series-1",
        "forecasting-time-series-2",
        "sql-1",
    ]
    first = g.questions[0]
    assert first.model_dump() == {
        "id": "forecasting-time-series-1",
        "section": "Forecasting & Time Series",
        "question": "How do you validate a forecasting model?",
        "intent": "Forecasting is the core of the job.",
        "how_to_answer": "Explain time-based splits.",
        "example_answer": "I use rolling-origin evaluation.",
    }
    # a quote spanning two paragraphs stays one answer; straight quotes are stripped too
    assert g.questions[1].example_answer == (
        "Seasonality is a repeating pattern.\n\nFor example, volume peaks before holidays."
    )
    assert g.questions[2].example_answer == "SELECT id FROM shipments WHERE arrived > due."
    assert [t.model_dump() for t in g.topics] == [
        {"name": "SQL", "difficulty": "Medium", "ask_chance": "High"},
        {"name": "Statistics", "difficulty": "Hard", "ask_chance": "Very Low"},
    ]


def test_company_falls_back_to_first_word_when_body_does_not_separate_them() -> None:
    lines = [
        line.replace("As a Data Scientist at Blue Harbor", "You")
        .replace("Blue Harbor is a logistics company", "It is a logistics company")
        for line in GUIDE_LINES
        if not line.startswith("What Blue Harbor")
    ]
    g = parse_guide(guide_text(lines), "g.txt")
    assert (g.company, g.role) == ("Blue", "Harbor Data Scientist")


def test_company_is_told_apart_by_how_the_body_names_it() -> None:
    lines = [
        line.replace("As a Data Scientist at Blue Harbor", "You")
        for line in GUIDE_LINES
        if not line.startswith("What Blue Harbor")
    ]
    g = parse_guide(guide_text(lines), "g.txt")  # "Blue Harbor is a logistics company"
    assert (g.company, g.role) == ("Blue Harbor", "Data Scientist")


def test_crlf_text_parses_like_lf() -> None:
    lf = parse_guide(guide_text(), "g.txt")
    crlf = parse_guide(guide_text().replace("\n", "\r\n"), "g.txt")
    assert crlf.model_dump(exclude={"source"}) == lf.model_dump(exclude={"source"})


def test_guide_fields_projects_a_full_pack_onto_the_parse() -> None:
    g = parse_guide(guide_text(), "blue.txt")
    data = g.model_dump()
    data["name"] = "blue"
    for stage in data["stages"]:
        stage |= {"persona": "recruiter", "aliases": ["x"]}
    for q in data["questions"]:
        q |= {"topic": "SQL", "stages": ["phone-screen"], "key_points": ["a point"]}
    data["questions"].append(
        {
            "id": "authored-1",
            "section": "Extra",
            "topic": "SQL",
            "stages": ["onsite-loop"],
            "question": "Why us?",
            "intent": "fit",
            "how_to_answer": "be specific",
            "example_answer": "Because.",
            "key_points": ["specific"],
            "provenance": "authored",
        }
    )
    pack = Pack.model_validate(data)
    assert guide_fields(pack) == g
    changed = pack.model_copy(deep=True)
    changed.questions[0].example_answer += " And more."
    assert guide_fields(changed) != g


def test_parser_is_generic() -> None:
    for module in (guide_parser, guide_family):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "kraken" not in source.lower()


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Statistics & Probability", "statistics-probability"),
        ("Don\u2019t Panic", "dont-panic"),
        ("1:1 Interviews (Final)", "1-1-interviews-final"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def without(lines: list[str], text: str, nth: int = 0) -> list[str]:
    i = line_of(lines, text, nth) - 1
    return lines[:i] + lines[i + 1 :]


def replaced(lines: list[str], text: str, new: str, nth: int = 0) -> list[str]:
    i = line_of(lines, text, nth) - 1
    return [*lines[:i], new, *lines[i + 1 :]]


def parse_error(lines: list[str]) -> GuideParseError:
    with pytest.raises(GuideParseError) as info:
        parse_guide(guide_text(lines), "bad.txt")
    err = info.value
    assert err.section and err.section in str(err)
    assert err.line is not None and f"line {err.line}" in str(err)
    return err


def test_question_without_how_to_answer_names_section_and_line() -> None:
    lines = without(GUIDE_LINES, "How to Answer", nth=1)  # the second question's
    err = parse_error(lines)
    assert err.section == "Forecasting & Time Series"
    assert err.line == line_of(lines, "Define it and give an example.")
    assert "How to Answer" in str(err)


def test_question_without_example_names_section_and_line() -> None:
    lines = replaced(without(GUIDE_LINES, "Example", nth=2),  # the SQL question's
                     '"SELECT id FROM shipments WHERE arrived > due."',
                     "SELECT id FROM shipments WHERE arrived > due.")
    err = parse_error(lines)
    assert err.section == "SQL" and "'Example'" in str(err)
    assert err.line == line_of(lines, "SELECT id FROM shipments WHERE arrived > due.")


def test_a_quoted_example_without_its_label_is_the_example() -> None:
    g = parse_guide(guide_text(without(GUIDE_LINES, "Example", nth=2)), "g.txt")
    assert g.questions[-1].example_answer == "SELECT id FROM shipments WHERE arrived > due."
    assert g.questions[-1].how_to_answer == "Join shipments to schedules."


def test_tips_under_another_heading_without_intro() -> None:
    lines = without(replaced(GUIDE_LINES, f"{PREFIX} Interview Tips", "How to Prepare"),
                    "Here are some tips.")
    g = parse_guide(guide_text(lines), "g.txt")
    assert [t.title for t in g.tips] == ["Know the Business", "Don\u2019t Panic"]


def test_missing_process_heading() -> None:
    lines = without(GUIDE_LINES, f"{PREFIX} Interview Process")
    err = parse_error(lines)
    assert err.section == "Interview Process"
    assert err.line == 1


def test_missing_topic_table_is_no_table_and_the_junk_is_ignored() -> None:
    lines = without(GUIDE_LINES, "QuestionTopicDifficultyAsk Chance")
    g = parse_guide(guide_text(lines), "g.txt")
    assert g.topics == []
    assert [q.id for q in g.questions][-1] == "sql-1"


def test_topic_table_without_rows() -> None:
    lines = replaced(GUIDE_LINES, "Medium", "Tricky")
    err = parse_error(lines)
    assert err.section == "QuestionTopicDifficultyAsk Chance"
    assert err.line == line_of(lines, "QuestionTopicDifficultyAsk Chance")


def test_bad_title() -> None:
    err = parse_error(replaced(GUIDE_LINES, GUIDE_LINES[0], "Blue Harbor interview notes"))
    assert (err.section, err.line) == ("title", 1)


def test_question_numbers_must_count_up() -> None:
    lines = replaced(GUIDE_LINES, "2. Explain seasonality.", "3. Explain seasonality.")
    err = parse_error(lines)
    assert err.section == "Forecasting & Time Series"
    assert err.line == line_of(lines, "3. Explain seasonality.")


def test_stage_numbers_must_count_up() -> None:
    lines = replaced(GUIDE_LINES, "2. Onsite Loop", "4. Onsite Loop")
    err = parse_error(lines)
    assert err.section == f"{PREFIX} Interview Process"
    assert err.line == line_of(lines, "4. Onsite Loop")


def test_stage_without_paragraph() -> None:
    lines = without(GUIDE_LINES, "A short call with a recruiter.")
    err = parse_error(lines)
    assert err.section == f"{PREFIX} Interview Process"
    assert err.line == line_of(lines, "1. Phone Screen")


def test_tip_heading_without_paragraph() -> None:
    lines = without(GUIDE_LINES, "Read about shipping before the interview.")
    err = parse_error(lines)
    assert err.section == f"{PREFIX} Interview Tips"
    assert err.line == line_of(lines, "Know the Business")


def test_unclosed_example_quote() -> None:
    lines = replaced(
        GUIDE_LINES, "\u201cI use rolling-origin evaluation.\u201d", "\u201cI use rolling-origin"
    )
    err = parse_error(lines)
    assert err.section == "Forecasting & Time Series"
    assert err.line == line_of(lines, "\u201cI use rolling-origin")


def test_section_without_questions() -> None:
    i = line_of(GUIDE_LINES, "SQL")
    lines = [*GUIDE_LINES[: i - 1], "Empty Section", "", "Some words about it.", "",
             *GUIDE_LINES[i - 1 :]]
    err = parse_error(lines)
    assert err.section == "Empty Section"
    assert err.line == line_of(lines, "Empty Section")


def test_question_before_any_section() -> None:
    lines = without(GUIDE_LINES, "Forecasting & Time Series")
    err = parse_error(lines)
    assert err.section == f"{PREFIX} Interview Questions"
    assert err.line == line_of(lines, "1. How do you validate a forecasting model?")


def test_empty_guide() -> None:
    with pytest.raises(GuideParseError) as info:
        parse_guide("\n\n", "empty.txt")
    assert info.value.section == "title"


def test_parsed_guide_rejects_unknown_fields() -> None:
    data = parse_guide(guide_text(), "g.txt").model_dump() | {"key_points": []}
    with pytest.raises(ValueError, match="key_points"):
        ParsedGuide.model_validate(data)


def test_scaffold_is_a_loadable_pack_that_keeps_the_guide_fields() -> None:
    g = parse_guide(guide_text(), "blue.txt")
    pack = scaffold_pack(g, "blue")
    assert guide_fields(pack) == g
    q = pack.question("forecasting-time-series-2")
    assert q.topic == "Forecasting & Time Series"
    assert q.stages == ["phone-screen", "onsite-loop"]  # no technical stage: every stage
    assert q.key_points == [
        "Seasonality is a repeating pattern.",
        "For example, volume peaks before holidays.",
    ]


def test_scaffold_prefers_technical_interview_stages() -> None:
    lines = [
        line.replace("1. Phone Screen", "1. Technical Assessment").replace(
            "2. Onsite Loop", "2. Technical Interviews"
        )
        for line in GUIDE_LINES
    ]
    pack = scaffold_pack(parse_guide(guide_text(lines), "g.txt"), "g")
    assert {tuple(q.stages) for q in pack.questions} == {("technical-interviews",)}


def test_build_scaffold_cli_gives_a_pack_that_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    guide = tmp_path / "blue.txt"
    guide.write_text(guide_text(), encoding="utf-8")
    root = tmp_path / "knowledge"
    out = root / "blue-harbor" / "pack.yaml"
    assert main(["pack", "build", str(guide), "--scaffold", "-o", str(out)]) == 0
    assert (root / "blue-harbor" / "blue.txt").read_bytes() == guide.read_bytes()
    pack = load_pack(root, "blue-harbor")
    assert guide_fields(pack) == parse_guide(guide_text(), "blue.txt")
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(root))
    capsys.readouterr()
    assert main(["pack", "validate"]) == 0
    assert "3 guide questions match" in capsys.readouterr().out
    # a different guide already in the folder is never overwritten
    guide.write_text(guide_text() + "\nchanged\n", encoding="utf-8")
    assert main(["pack", "build", str(guide), "--scaffold", "-o", str(out)]) == 2
    assert main(["pack", "build", str(guide), "--scaffold"]) == 2  # needs -o
