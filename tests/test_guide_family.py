"""The parser reads the family, not one file: three guides written for these tests (a bank's Data
Analyst, a game studio's Backend Engineer, a hospital's Product Manager), each with several of the
variations real guides show, three held-out guides written by someone else while the parser was
not looked at (an insurer's Actuarial Analyst, a retailer's UX Researcher, a freight company's
SRE), and the Kraken guide. What each must yield is written by hand beside it
(`tests/fixtures/guides/*.expected.yaml`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from interviewer.core.errors import GuideParseError
from interviewer.core.settings import PROJECT_ROOT
from interviewer.packs.guide_family import (
    ASK_CHANCES,
    DIFFICULTIES,
    is_closing,
    is_level,
    reads_as_question,
    split_company_role,
)
from interviewer.packs.guide_parser import ParsedGuide, parse_guide

GUIDES = Path(__file__).parent / "fixtures" / "guides"
FIXTURES = sorted(p.stem for p in GUIDES.glob("*.txt"))
KRAKEN = PROJECT_ROOT / "knowledge" / "kraken-ml-engineer" / "guide.txt"


def load(name: str) -> tuple[str, dict, ParsedGuide]:
    text = (GUIDES / f"{name}.txt").read_text(encoding="utf-8")
    expected = yaml.safe_load((GUIDES / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    return text, expected, parse_guide(text, f"{name}.txt")


def test_there_are_six_fixture_guides() -> None:
    assert len(FIXTURES) >= 6


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_guide_parses_to_what_it_says(name: str) -> None:
    text, want, g = load(name)
    assert (g.company, g.role) == (want["company"], want["role"])
    assert [s.name for s in g.stages] == want["stages"]
    assert [s.order for s in g.stages] == list(range(1, len(want["stages"]) + 1))
    assert [s.description.count("\n\n") + 1 for s in g.stages] == want["stage_paragraphs"]
    assert [t.title for t in g.tips] == want["tips"]
    assert list(dict.fromkeys(q.section for q in g.questions)) == want["sections"]
    assert [{"section": q.section, "question": q.question} for q in g.questions] == \
        want["questions"]
    assert len(g.questions) == text.count("\nHow to Answer\n")
    for q in g.questions:
        assert q.how_to_answer and q.example_answer
        assert (q.intent == "") == (q.question in want["without_context"]), q.question
        assert ("\n\n" in q.example_answer) == (q.question in want["two_paragraph_examples"])
    assert g.overview and g.topics
    if "topics" in want:  # the held-out guides' authors wrote the table down too
        assert [t.model_dump() for t in g.topics] == want["topics"]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_guide_text_stays_verbatim(name: str) -> None:
    text, _, g = load(name)
    paragraphs = [g.overview]
    paragraphs += [s.description for s in g.stages] + [t.text for t in g.tips]
    for q in g.questions:
        paragraphs += [q.question, q.intent, q.how_to_answer, q.example_answer]
    for block in paragraphs:
        for part in filter(None, block.split("\n\n")):
            assert part in text, part[:80]
    assert all(t.name in text and t.difficulty in text for t in g.topics)


def test_variations_each_fixture_covers() -> None:
    """The guides together show every variation the family has in the wild."""
    texts = {n: (GUIDES / f"{n}.txt").read_text(encoding="utf-8") for n in FIXTURES}
    parsed = {n: load(n)[2] for n in FIXTURES}
    lines = {n: [x.strip() for x in t.splitlines()] for n, t in texts.items()}
    assert any("Introduction" in ls for ls in lines.values())
    assert any("Overview" not in ls and "Introduction" not in ls for ls in lines.values())
    assert any("The Interview Process" in ls for ls in lines.values())
    assert any("Interview Process" in ls for ls in lines.values())
    assert any(f"{g.company} {g.role} Interview Process" in lines[n] for n, g in parsed.items())
    assert {len(g.stages) for g in parsed.values()} >= {3, 6}
    assert any("01. " in t for t in texts.values())  # straight through, two digits
    assert any(q.question.endswith(".") for g in parsed.values() for q in g.questions)
    assert any(not t.endswith("\n") for t in texts.values())
    orders = [[t.name for t in g.topics] for g in parsed.values()]
    sections = [list(dict.fromkeys(q.section for q in g.questions)) for g in parsed.values()]
    assert all(not set(o) & set(s) for o, s in zip(orders, sections, strict=True))
    assert any(t.ask_chance == "Medium" for g in parsed.values() for t in g.topics)


def test_straight_through_numbering_keeps_per_section_ids() -> None:
    _, _, g = load("emberfall-games-backend-engineer")
    assert [q.id for q in g.questions][:6] == [
        "coding-algorithms-1", "coding-algorithms-2", "coding-algorithms-3",
        "coding-algorithms-4", "system-design-1", "system-design-2"]


def test_unquoted_example_runs_to_the_next_question() -> None:
    _, _, g = load("emberfall-games-backend-engineer")
    q = g.questions[2]
    assert q.example_answer.startswith("I would run a depth-first search")
    assert q.example_answer.endswith("never reach an in-degree of zero.")


def test_closing_remarks_are_not_part_of_the_last_stage_or_tip() -> None:
    _, _, bank = load("northbridge-bank-data-analyst")
    assert "As you prepare" not in bank.stages[-1].description
    _, _, hospital = load("riverside-general-hospital-product-manager")
    assert "Good luck" not in hospital.tips[-1].text
    assert "Overall" not in hospital.stages[-1].description
    _, _, games = load("emberfall-games-backend-engineer")
    assert games.stages[-1].description.endswith("give hints when you get stuck.")


def test_kraken_guide_still_parses_to_its_stages_and_questions() -> None:
    g = parse_guide(KRAKEN.read_text(encoding="utf-8"), "guide.txt")
    assert (g.company, g.role) == ("Kraken", "Machine Learning Engineer")
    assert [s.name for s in g.stages] == ["Initial Screening", "Technical Assessment",
                                          "Technical Interviews", "Behavioral Interview",
                                          "Final Interview"]
    assert [q.id for q in g.questions] == [
        f"{s}-{i}" for s in ("machine-learning", "statistics-probability",
                             "programming-technical-skills") for i in range(1, 5)]
    assert len(g.tips) == 7 and len(g.topics) == 3


def test_kraken_guide_with_another_company_parses() -> None:
    text = KRAKEN.read_text(encoding="utf-8").replace("Kraken", "Coinbase")
    g = parse_guide(text, "guide.txt")
    assert (g.company, g.role) == ("Coinbase", "Machine Learning Engineer")
    assert len(g.questions) == 12


def test_crlf_bom_and_no_final_newline() -> None:
    text = (GUIDES / "riverside-general-hospital-product-manager.txt").read_text(
        encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    odd = parse_guide("\ufeff" + text.rstrip("\n").replace("\n", "\r\n"), "g.txt")
    assert odd.model_dump(exclude={"source"}) == plain.model_dump(exclude={"source"})


@pytest.mark.parametrize(("text", "line"), [
    ("", 1),
    ("# interviewer\n\nA mock-interview coach.\n", 1),
    ('{"questions": []}', 1),
    ("Acme Analyst Interview Questions + Guide in 2024\n\nOverview\n\nAcme sells anvils.\n", 1),
])
def test_text_that_is_not_a_guide_names_the_line(text: str, line: int) -> None:
    with pytest.raises(GuideParseError) as info:
        parse_guide(text, "x.txt")
    assert info.value.line == line and f"line {line}" in str(info.value)


def test_a_guide_cut_off_after_the_process_names_where() -> None:
    text = KRAKEN.read_text(encoding="utf-8")
    cut = text[: text.index("Kraken Machine Learning Engineer Interview Tips")]
    with pytest.raises(GuideParseError, match="no question found") as info:
        parse_guide(cut, "x.txt")
    assert info.value.line == cut.rstrip().count("\n") + 1  # the last line it read


def test_project_readme_is_not_a_guide() -> None:
    with pytest.raises(GuideParseError, match="first line must read"):
        parse_guide((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), "README.md")


def test_group_heading_before_its_first_section_is_allowed() -> None:
    text = (GUIDES / "northbridge-bank-data-analyst.txt").read_text(encoding="utf-8")
    text = text.replace("\nSQL & Databases\n", "\nTechnical Questions\n\nSQL & Databases\n")
    g = parse_guide(text, "g.txt")
    assert g.questions[0].section == "SQL & Databases"


@pytest.mark.parametrize(("prefix", "body", "want"), [
    ("Acme Corp Data Engineer", "As a Data Engineer at Acme Corp, you", ("Acme Corp",
                                                                         "Data Engineer")),
    ("Stripe Software Engineer", "Stripe is a payments company.", ("Stripe",
                                                                  "Software Engineer")),
    ("Blue Harbor Data Scientist", "nothing useful", ("Blue", "Harbor Data Scientist")),
])
def test_split_company_role(prefix: str, body: str, want: tuple[str, str]) -> None:
    assert split_company_role(prefix, body) == want


@pytest.mark.parametrize(("text", "closing"), [
    ("Throughout the process, keep in touch.", True),
    ("As you prepare for your interviews, think.", True),
    ("By following these tips, you will do well.", True),
    ("Preparing in these areas will help you show technical depth.", True),
    ("With thoughtful preparation and a few stories, you will show the panel.", True),
    ("Feedback is usually shared within a week of the final panel.", True),
    ("Practise these queries out loud before the interview.", False),
    ("The final stage is a panel with the director.", False),
])
def test_is_closing(text: str, closing: bool) -> None:
    assert is_closing(text) is closing


def test_inline_labels_and_an_unlabelled_quoted_example() -> None:
    text = (GUIDES / "northbridge-bank-data-analyst.txt").read_text(encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    inline = text.replace("How to Answer\n\n", "How to Answer: ", 2)
    inline = inline.replace("Example\n\n\u201c", "Example: \u201c", 3)
    unlabelled = inline.replace("\nExample\n\n\u201c", "\n\u201c")
    for variant in (inline, unlabelled):
        g = parse_guide(variant, "g.txt")
        assert [q.model_dump(exclude={"id"}) for q in g.questions] == \
            [q.model_dump(exclude={"id"}) for q in plain.questions]


def test_stages_as_plain_headings_and_numbered_tips_with_their_text() -> None:
    text = (GUIDES / "riverside-general-hospital-product-manager.txt").read_text(
        encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    unnumbered = text.replace("\n1. Recruiter Screen\n", "\nRecruiter Screen\n").replace(
        "\n2. Product Case Interview\n", "\nProduct Case Interview\n").replace(
        "\n3. Final Panel Interview\n", "\nFinal Panel Interview\n")
    g = parse_guide(unnumbered, "g.txt")
    assert [s.name for s in g.stages] == [s.name for s in plain.stages]
    assert [s.description for s in g.stages] == [s.description for s in plain.stages]
    assert [t.title for t in g.tips] == [t.title for t in plain.tips]
    numbered_tips = text.replace(
        "Put Patients First\n\nEvery product decision", "1. Put Patients First: Every product "
        "decision").replace("Learn the Regulatory Basics\n\nYou do not need",
                            "2. Learn the Regulatory Basics: You do not need")
    numbered_tips = numbered_tips.replace("Bring Metrics to Every Answer\n\n", "3. Bring Metrics "
                                          "to Every Answer\n\n").replace(
        "Prepare Stories About Influence\n\n", "4. Prepare Stories About Influence\n\n")
    g = parse_guide(numbered_tips, "g.txt")
    assert [(t.title, t.text) for t in g.tips] == [(t.title, t.text) for t in plain.tips]


# --- variations made from every guide: questions without numbers, the table moved up -------------

ALL_GUIDES = [GUIDES / f"{n}.txt" for n in FIXTURES] + [KRAKEN]


def _unnumbered(text: str, g: ParsedGuide) -> str:
    for q in g.questions:
        text, n = re.subn(rf"(?m)^\d{{1,2}}[.)] +({re.escape(q.question)})[ \t]*$", r"\1", text)
        assert n == 1, q.question
    return text


def _table_moved(text: str, g: ParsedGuide, where: str) -> str:
    """The topic table (header and rows, not the page text after it) moved before the questions
    heading, or after it (before the first section)."""
    lines = text.split("\n")
    at = next(i for i, x in enumerate(lines) if "".join(x.lower().split()) ==
              "questiontopicdifficultyaskchance")
    end, rows = at + 1, 0
    while rows < 3 * len(g.topics):
        rows += bool(lines[end].strip())
        end += 1
    table, rest = lines[at:end], lines[:at] + lines[end:]
    heading = next(i for i, x in enumerate(rest) if x.strip().endswith("Interview Questions"))
    k = heading + (where == "after")
    return "\n".join(rest[:k] + [""] + table + [""] + rest[k:])


def _same(a: ParsedGuide, b: ParsedGuide) -> None:
    assert [q.model_dump(exclude={"id"}) for q in a.questions] == \
        [q.model_dump(exclude={"id"}) for q in b.questions]
    assert (a.stages, a.tips, a.topics, a.overview) == (b.stages, b.tips, b.topics, b.overview)


@pytest.mark.parametrize("path", ALL_GUIDES, ids=lambda p: p.parent.name + "/" + p.stem)
def test_questions_without_numbers_parse_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    unnumbered = parse_guide(_unnumbered(text, plain), "g.txt")
    _same(unnumbered, plain)
    assert [q.id for q in unnumbered.questions] == [q.id for q in plain.questions]


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("path", ALL_GUIDES, ids=lambda p: p.parent.name + "/" + p.stem)
def test_a_topic_table_before_the_questions_parses_the_same(path: Path, where: str) -> None:
    text = path.read_text(encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    moved = _table_moved(text, plain, where)
    first = plain.questions[0].question
    assert moved.index("QuestionTopicDifficultyAsk Chance") < moved.index(first)
    _same(parse_guide(moved, "g.txt"), plain)
    both = _table_moved(_unnumbered(text, plain), plain, where)
    _same(parse_guide(both, "g.txt"), plain)


@pytest.mark.parametrize(("line", "question"), [
    ("What is a p-value?", True),
    ("Walk us through a major incident you handled.", True),
    ("How would you prevent two servers from granting the same item.", True),
    ("Given a table of transactions, write a query that finds duplicates.", True),
    ("Can you explain overfitting.", True),
    ("Given Kraken's focus on security, this question is particularly relevant.", False),
    ("When the test ends, I compare the groups with a z-test.", False),
    ("This question checks whether you can reason about trade-offs.", False),
    ("\u201cWhy does it matter?\u201d", False),
    ("SQL & Databases", False),
])
def test_a_line_reads_as_a_question(line: str, question: bool) -> None:
    assert reads_as_question(line) is question


def test_unnumbered_question_after_a_plain_example_ending_in_a_question() -> None:
    """A rhetorical question closing an unquoted example is not taken for the next question
    (a short one, up to MAX_HEADING_WORDS, reads as a section heading, numbers or not)."""
    text = (GUIDES / "emberfall-games-backend-engineer.txt").read_text(encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    q = plain.questions[2]
    assert "\u201c" not in q.example_answer[:1]  # the unquoted example
    unnumbered = _unnumbered(text, plain).replace(
        q.example_answer, q.example_answer + "\n\nAnd why does the order of the visits matter "
        "so much for the result of the whole search?")
    g = parse_guide(unnumbered, "g.txt")
    assert [x.question for x in g.questions] == [x.question for x in plain.questions]
    assert g.questions[2].example_answer.endswith("the whole search?")
    assert [x.section for x in g.questions] == [x.section for x in plain.questions]


def test_not_a_guide_still_names_the_line_without_numbers() -> None:
    text = (GUIDES / "northbridge-bank-data-analyst.txt").read_text(encoding="utf-8")
    plain = parse_guide(text, "g.txt")
    broken = _unnumbered(text, plain).replace(
        "How would you find the top five customers by total transaction amount in the last 30 "
        "days?", "The top five customers by total transaction amount in the last 30 days")
    with pytest.raises(GuideParseError, match="without a question before it") as info:
        parse_guide(broken, "g.txt")
    assert info.value.line == text.splitlines().index("How to Answer") + 1


@pytest.mark.parametrize(("value", "difficulty", "chance"), [
    ("Medium/High", True, True), ("Low/Medium", True, True), ("Easy - Medium", True, True),
    ("Very High", False, True), ("Low to Medium", True, True), ("Medium", True, True),
    ("Low", False, True), ("Low-Level Design", False, False), ("Statistics", False, False),
])
def test_table_levels_and_ranges(value: str, difficulty: bool, chance: bool) -> None:
    assert is_level(value, DIFFICULTIES) is difficulty
    assert is_level(value, ASK_CHANCES) is chance
