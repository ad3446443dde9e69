"""Deriving what the engine needs from a guide alone: unit tests on the fixture guides, no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interviewer.core.pack import Topic
from interviewer.core.settings import PROJECT_ROOT
from interviewer.packs.derive import (
    derive_pack,
    follow_up_question,
    guidance_clauses,
    match_topics,
    persona,
    question_kind,
    rubric_point,
    sentences,
    stage_format,
    third_person,
)
from interviewer.packs.guide_parser import GuideQuestion, GuideStage, parse_guide

GUIDES = Path(__file__).parent / "fixtures" / "guides"
FIXTURES = sorted(p.stem for p in GUIDES.glob("*.txt"))


def derived(name: str):  # noqa: ANN201 - a Pack
    text = (GUIDES / f"{name}.txt").read_text(encoding="utf-8")
    return derive_pack(parse_guide(text, "guide.txt"), name, embed=None)


@pytest.mark.parametrize("name", [*FIXTURES, "kraken"])
def test_every_question_and_stage_is_playable(name: str) -> None:
    if name == "kraken":
        text = (PROJECT_ROOT / "knowledge" / "kraken-ml-engineer" / "guide.txt").read_text()
        pack = derive_pack(parse_guide(text, "guide.txt"), "k", embed=None)
    else:
        pack = derived(name)
    for q in pack.questions:
        assert 1 <= len(q.key_points) <= 8 and q.stages and q.provenance == "derived"
        assert q.hints and q.topic
        assert all(p.strip() and p.endswith((".", "?", "!")) for p in q.key_points)
    for s in pack.stages:
        assert pack.questions_for(s.id), f"stage {s.id} has nothing to ask"
        assert s.persona and s.focus and s.provenance == "derived"


def test_topics_follow_the_table_though_names_differ() -> None:
    pack = derived("northbridge-bank-data-analyst")
    by_section = {q.section: q.topic for q in pack.questions}
    assert by_section == {"SQL & Databases": "Data Analysis & SQL",
                          "Statistics": "Probability & Statistics",
                          "Behavioral Questions": "Behavioral & Communication"}
    games = derived("emberfall-games-backend-engineer")
    assert {q.section: q.topic for q in games.questions} == {
        "Coding & Algorithms": "Algorithms & Data Structures",
        "System Design": "System Design & Architecture",
        "Databases & Concurrency": "SQL & Databases",
        "Behavioral": "Behavioral & Culture"}
    assert games.question("system-design-1").difficulty == "hard"  # the table says Hard


def test_a_section_no_topic_fits_keeps_its_name() -> None:
    topics = [Topic(name="Machine Learning", difficulty="Hard", ask_chance="High")]
    assert match_topics(["Statistics & Probability", "Machine Learning"], topics) == {
        "Statistics & Probability": "Statistics & Probability",
        "Machine Learning": "Machine Learning"}


def test_topic_matching_uses_the_encoder_when_given() -> None:
    topics = [Topic(name="Leadership & Influence", difficulty="Medium", ask_chance="High"),
              Topic(name="Pricing", difficulty="Medium", ask_chance="High")]
    seen: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        vecs = {"Working With Executives": [1.0, 0.0], "Leadership & Influence": [0.9, 0.436],
                "Pricing": [0.0, 1.0]}
        return np.array([vecs[t] for t in texts])

    assert match_topics(["Working With Executives"], topics, embed) == {
        "Working With Executives": "Leadership & Influence"}
    assert seen == [["Working With Executives", "Leadership & Influence", "Pricing"]]


def test_kinds_from_wording_then_section() -> None:
    pack = derived("emberfall-games-backend-engineer")
    assert pack.question("behavioral-1").kind == "behavioral"
    assert pack.question("behavioral-2").kind == "conversational"  # "Why do you want ..."
    assert pack.question("system-design-1").kind == "technical"
    hospital = derived("riverside-general-hospital-product-manager")
    assert hospital.question("healthcare-compliance-2").kind == "conversational"
    assert hospital.question("stakeholder-management-2").kind == "behavioral"  # by its section


def test_stages_from_kind_and_descriptions() -> None:
    games = derived("emberfall-games-backend-engineer")
    design = games.question("system-design-1").stages
    assert "system-design-interview" in design and "recruiter-call" not in design
    assert "online-coding-assessment" in games.question("coding-algorithms-1").stages
    assert "system-design-interview" not in games.question("coding-algorithms-1").stages
    assert set(games.question("behavioral-1").stages) >= {"behavioral-interview"}
    bank = derived("northbridge-bank-data-analyst")
    # the assessment is SQL and Excel: the SQL section is asked there, statistics is not
    assert "sql-and-excel-assessment" in bank.question("sql-databases-1").stages
    assert "sql-and-excel-assessment" not in bank.question("statistics-1").stages
    assert bank.questions_for("hiring-manager-and-team-interview")[0].kind == "behavioral"


def test_personas_format_and_aliases_from_descriptions() -> None:
    bank = derived("northbridge-bank-data-analyst")
    s = {x.id: x for x in bank.stages}
    assert s["recruiter-phone-screen"].persona == "recruiter"
    assert s["technical-interview"].persona == "senior data analyst"
    assert s["hiring-manager-and-team-interview"].persona == "hiring manager"
    assert s["recruiter-phone-screen"].duration_minutes == 20
    assert "screen" in s["recruiter-phone-screen"].aliases
    assert bank.stage("technical").id == "technical-interview"
    hospital = derived("riverside-general-hospital-product-manager")
    assert hospital.stages[-1].persona == "director of digital health"
    assert "product sense" in hospital.stage("case").focus


def test_key_points_are_claims_and_rubric_points() -> None:
    bank = derived("northbridge-bank-data-analyst")
    q = bank.question("sql-databases-3")
    assert q.key_points[0].startswith("An INNER JOIN returns only the rows")
    assert "Defines both joins." in q.key_points
    story = bank.question("behavioral-questions-1")  # a story: the guidance is the rubric
    assert story.key_points[0] == "Uses the STAR method."
    assert not any("credit cards" in p for p in story.key_points)
    assert bank.question("sql-databases-1").follow_ups == ["How would you handle ties and "
                                                           "refunds?"]


def test_derivation_is_deterministic() -> None:
    a = derived("riverside-general-hospital-product-manager")
    b = derived("riverside-general-hospital-product-manager")
    assert a.model_dump() == b.model_dump()


@pytest.mark.parametrize(("clause", "question"), [
    ("Mention how you would handle ties and refunds", "How would you handle ties and refunds?"),
    ("explain how you gather input", "How do you gather input?"),
    ("show how you understood the concerns", "Could you also show how you understood the "
                                             "concerns?"),
    ("give the complexity", "Could you also give the complexity?"),
])
def test_follow_up_question(clause: str, question: str) -> None:
    assert follow_up_question(clause) == question


@pytest.mark.parametrize(("clause", "point"), [
    ("Use the STAR method", "Uses the STAR method."),
    ("be honest about what went wrong", "Is honest about what went wrong."),
    ("Clearly define both terms", "Clearly defines both terms."),
    ("focus on your own actions", "Focuses on their own actions."),
    ("connect the challenges that interest you", "Connects the challenges that interest them."),
])
def test_rubric_point(clause: str, point: str) -> None:
    assert rubric_point(clause) == point


def test_guidance_clauses_keep_lists_together() -> None:
    assert guidance_clauses("Explain the time and space complexity, give an example, and "
                            "mention heaps.") == ["Explain the time and space complexity",
                                                  "give an example", "mention heaps"]
    assert guidance_clauses("Use STAR: describe the situation, the task and the result.") == [
        "Use STAR", "describe the situation, the task and the result"]


def test_sentences_keep_abbreviations_and_sql() -> None:
    assert sentences("Use e.g. a heap. Then stop.") == ["Use e.g. a heap.", "Then stop."]
    assert len(sentences("SET owner = ? WHERE id = ? AND x. Done now.")) == 2


def test_small_helpers() -> None:
    assert [third_person(v) for v in ("focus", "clarify", "say", "be")] == [
        "focuses", "clarifies", "says", "is"]
    stage = GuideStage(id="s", order=1, name="Onsite", description="A half-day loop with the "
                       "head of engineering about culture.")
    assert persona(stage, "Backend Engineer") == "head of engineering"
    assert stage_format(stage) == ("half-day loop", 240)
    q = GuideQuestion(id="x", section="SQL", question="Tell me about a time you failed.",
                      intent="", how_to_answer="Be honest.", example_answer="I failed.")
    assert question_kind(q) == "behavioral"


def test_a_story_of_ones_own_is_behavioral_and_screens_ask_it() -> None:
    """A guide whose sections are all technical: the questions about the candidate's own past
    ("a major incident you handled") are stories, which the recruiter screen asks; it is not
    handed the whole technical loop."""
    sre = derived("meridian-freight-site-reliability-engineer")
    assert sre.question("reliability-incident-management-2").kind == "behavioral"
    assert sre.question("automation-infrastructure-as-code-2").kind == "behavioral"
    assert sre.question("reliability-incident-management-1").kind == "technical"
    screen = sre.questions_for("recruiter-screen")
    assert screen and {q.kind for q in screen} == {"behavioral"}


def test_a_difficulty_range_counts_as_its_harder_end() -> None:
    sre = derived("meridian-freight-site-reliability-engineer")  # Linux & Networking: Medium/High
    assert sre.question("linux-networking-troubleshooting-1").topic == "Linux & Networking"
    assert sre.question("linux-networking-troubleshooting-1").difficulty == "hard"
    weights = {t.name: t.weight for t in sre.topics}
    assert weights["Infrastructure as Code"] == 2.5  # Medium/High: between medium and high
    assert weights["Incident Response"] == 4.0
