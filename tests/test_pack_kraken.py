"""The committed Kraken pack: exact agreement with its guide, the ids others rely on, the
authored content's shape and minimums, and the `interviewer pack` commands."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from interviewer.cli.main import main
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT
from interviewer.packs.guide_parser import ParsedGuide, guide_fields, parse_guide

KNOWLEDGE = PROJECT_ROOT / "knowledge"
NAME = "kraken-ml-engineer"
GUIDE = KNOWLEDGE / NAME / "guide.txt"
SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_83b9ac2a3b5582a9.txt"

STAGES = [
    "initial-screening",
    "technical-assessment",
    "technical-interviews",
    "behavioral-interview",
    "final-interview",
]
GUIDE_IDS = [
    f"{section}-{n}"
    for section in ("machine-learning", "statistics-probability", "programming-technical-skills")
    for n in range(1, 5)
]


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(KNOWLEDGE, NAME)


@pytest.fixture(scope="module")
def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def authored(pack: Pack, prefix: str) -> list:
    return [q for q in pack.questions if q.id.startswith(prefix + "-")]


def test_parser_reproduces_the_guide_fields_exactly(pack: Pack, guide_text: str) -> None:
    assert parse_guide(guide_text, "guide.txt") == guide_fields(pack)


def test_source_is_the_unchanged_seed_guide(pack: Pack) -> None:
    raw = GUIDE.read_bytes()
    assert pack.source.file == "guide.txt"
    assert pack.source.sha256 == hashlib.sha256(raw).hexdigest()
    assert pack.source.title == raw.decode("utf-8").splitlines()[0]
    if SEED.is_file():
        assert raw == SEED.read_bytes()


def test_guide_questions_are_word_for_word(pack: Pack, guide_text: str) -> None:
    guide_qs = [q for q in pack.questions if q.provenance == "guide"]
    assert [q.id for q in guide_qs] == GUIDE_IDS
    for q in guide_qs:
        number = q.id.rsplit("-", 1)[1]
        assert f"\n{number}. {q.question}\n" in guide_text
        assert f"\n{q.how_to_answer}\n" in guide_text
        assert f"\n{q.intent}\n" in guide_text
        assert f"\n\u201c{q.example_answer}\u201d\n" in guide_text


def test_stage_ids_order_and_aliases(pack: Pack) -> None:
    assert [s.id for s in pack.stages_in_order()] == STAGES
    assert [s.order for s in pack.stages_in_order()] == [1, 2, 3, 4, 5]
    aliases = {
        "screening": "initial-screening",
        "recruiter": "initial-screening",
        "screen": "initial-screening",
        "take-home": "technical-assessment",
        "takehome": "technical-assessment",
        "assessment": "technical-assessment",
        "technical": "technical-interviews",
        "behavioral": "behavioral-interview",
        "behavioural": "behavioral-interview",
        "final": "final-interview",
        "final-round": "final-interview",
    }
    for alias, stage_id in aliases.items():
        assert pack.stage(alias).id == stage_id


def test_stages_are_authored(pack: Pack) -> None:
    personas = [s.persona for s in pack.stages_in_order()]
    assert personas == [
        "recruiter",
        "take-home reviewer",
        "ML engineer",
        "hiring manager",
        "senior leader",
    ]
    for s in pack.stages:
        assert s.format and s.duration_minutes and len(s.focus) >= 3


def test_tips_and_topics(pack: Pack) -> None:
    tip_ids = [t.id for t in pack.tips]
    assert "understand-the-interview-process" in tip_ids
    assert "follow-up-professionally" in tip_ids
    assert len(tip_ids) == 7
    assert [t.name for t in pack.topics] == [
        "Python & General Programming",
        "Machine Learning",
        "Responsible AI & Security",
    ]


def test_every_stage_has_enough_questions(pack: Pack) -> None:
    for stage_id in STAGES:
        minimum = 1 if stage_id == "technical-assessment" else 4
        assert len(pack.questions_for(stage_id)) >= minimum, stage_id


def test_guide_questions_are_fully_annotated(pack: Pack) -> None:
    topics = {t.name for t in pack.topics}
    for q in (pack.question(i) for i in GUIDE_IDS):
        # a topic of the guide's table, or the guide's own section when the table has none
        # for it (statistics: labelled "Machine Learning", the by-topic chart misfiled them)
        assert q.topic in topics or q.topic == q.section, q.id
        assert q.kind == "technical"
        assert "technical-interviews" in q.stages
        assert 3 <= len(q.key_points) <= 6, q.id
        assert 1 <= len(q.follow_ups) <= 3, q.id
        assert 2 <= len(q.misconceptions) <= 4, q.id
        assert 1 <= len(q.hints) <= 3, q.id
    for qid in ("statistics-probability-1", "statistics-probability-3"):
        assert pack.question(qid).topic == "Statistics & Probability"
    assert pack.question("take-home-1").topic == "Take-Home Assignment"


def test_known_misconceptions_are_listed(pack: Pack) -> None:
    assert (
        "A p-value is the probability that the null hypothesis is true."
        in [m.claim for m in pack.question("statistics-probability-1").misconceptions]
    )
    assert any(
        "Shapiro-Wilk" in m.claim and "proves" in m.claim
        for m in pack.question("statistics-probability-3").misconceptions
    )


def test_authored_minimums(pack: Pack) -> None:
    screening = authored(pack, "screening")
    assert len(screening) >= 4
    assert all(q.kind == "conversational" and "initial-screening" in q.stages for q in screening)
    screening_text = " ".join(q.question.lower() for q in screening)
    assert "why do you want to work at kraken" in screening_text
    assert "crypto industry" in screening_text

    behavioral = authored(pack, "behavioral")
    assert len(behavioral) >= 5
    assert all(q.kind == "behavioral" and "behavioral-interview" in q.stages for q in behavioral)

    final = authored(pack, "final")
    assert len(final) >= 4
    assert all("final-interview" in q.stages for q in final)
    assert {"technical", "behavioral"} <= {q.kind for q in final}
    ask_us = pack.find_question_by_text("What questions do you have for us?")
    assert ask_us is not None and ask_us.provenance == "authored"
    assert ask_us.example_answer.count("?") >= 4  # a set of questions to ask

    rai = authored(pack, "responsible-ai")
    assert len(rai) >= 3
    for q in rai:
        assert (q.topic, q.difficulty, q.kind) == ("Responsible AI & Security", "hard", "technical")
        assert {"technical-interviews", "final-interview"} <= set(q.stages)


def test_take_home_brief(pack: Pack) -> None:
    q = pack.question("take-home-1")
    assert q.kind == "take_home" and q.stages == ["technical-assessment"]
    assert q.provenance == "authored"
    weights = {c.id: c.weight for c in q.rubric}
    assert {"security", "correctness", "ml-methodology", "code-quality", "communication"} <= set(
        weights
    )
    assert weights["security"] == max(weights.values())
    assert weights["security"] >= 0.25 * sum(weights.values())
    security = next(c for c in q.rubric if c.id == "security").description.lower()
    for must in ("secret", "validation", "pii", "pinned"):
        assert must in security


def test_authored_questions_are_complete(pack: Pack) -> None:
    kinds = Counter(q.kind for q in pack.questions if q.provenance == "authored")
    assert kinds["take_home"] >= 1
    for q in pack.questions:
        if q.provenance == "guide":
            continue
        assert q.provenance == "authored", q.id
        assert len(q.example_answer.split()) >= 60, q.id
        assert q.intent and q.how_to_answer, q.id
        assert 3 <= len(q.key_points) <= 6, q.id
        assert 1 <= len(q.follow_ups) <= 3, q.id
        assert 1 <= len(q.hints) <= 3, q.id
        assert q.misconceptions, q.id


def test_behavioral_examples_follow_star(pack: Pack) -> None:
    for q in pack.questions:
        if q.kind == "behavioral":
            for label in ("Situation:", "Task:", "Action:", "Result:"):
                assert label in q.example_answer, (q.id, label)


def test_key_points_are_short_checkable_claims(pack: Pack) -> None:
    for q in pack.questions:
        for point in q.key_points:
            assert 4 <= len(point.split()) <= 40, (q.id, point)
        assert len(set(q.key_points)) == len(q.key_points), q.id


# --- the `interviewer pack` commands -------------------------------------------------------


def test_pack_build_round_trip(tmp_path: Path, guide_text: str) -> None:
    out = tmp_path / "out" / "pack.yaml"
    assert main(["pack", "build", str(GUIDE), "-o", str(out)]) == 0
    written = ParsedGuide.model_validate(yaml.safe_load(out.read_text(encoding="utf-8")))
    assert written == parse_guide(guide_text, "guide.txt")


def test_pack_build_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "build", str(GUIDE)]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["company"] == "Kraken" and len(data["questions"]) == 12


def test_pack_build_rejects_a_bad_guide(
    tmp_path: Path, guide_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    lines = guide_text.splitlines()
    drop = [i for i, line in enumerate(lines) if line == "How to Answer"][5]  # stats question 2
    bad.write_text("\n".join(lines[:drop] + lines[drop + 1 :]), encoding="utf-8")
    out = tmp_path / "pack.yaml"
    assert main(["pack", "build", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"(section 'Statistics & Probability', line {drop + 2})" in err
    assert not out.exists()


def test_pack_build_missing_or_binary_file(tmp_path: Path) -> None:
    assert main(["pack", "build", str(tmp_path / "none.txt")]) == 2
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00junk")
    assert main(["pack", "build", str(binary)]) == 2


def test_pack_list_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "list"]) == 0
    assert NAME in capsys.readouterr().out
    assert main(["pack", "validate", NAME]) == 0
    out = capsys.readouterr().out
    assert "12 guide questions match" in out
    assert "initial-screening" in out and "take_home 1" in out and "guide 12" in out


def test_pack_validate_json(capsys: pytest.CaptureFixture[str], pack: Pack) -> None:
    import json

    assert main(["pack", "validate", NAME, "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["per_provenance"]["guide"] == 12
    assert report["per_stage"] == {s: len(pack.questions_for(s)) for s in STAGES}


def _copy_pack(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE / NAME, root / NAME)
    return root


def test_pack_validate_catches_an_edited_guide_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_pack(tmp_path)
    path = root / NAME / "pack.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][4]["example_answer"] += " (edited)"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(root))
    assert main(["pack", "validate", NAME]) == 1
    assert "questions[4].example_answer" in capsys.readouterr().err


def test_pack_validate_catches_a_changed_guide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_pack(tmp_path)
    guide = root / NAME / "guide.txt"
    guide.write_text(guide.read_text(encoding="utf-8") + "\nextra\n", encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(root))
    assert main(["pack", "validate", NAME]) == 1
    assert "sha256" in capsys.readouterr().err


def test_pack_validate_unknown_pack() -> None:
    assert main(["pack", "validate", "no-such-pack"]) == 2


def test_neighbours_are_the_section_for_technical_and_the_pack_for_stories(pack: Pack) -> None:
    q = pack.question("statistics-probability-1")
    assert [n.id for n in pack.neighbours(q)] == [
        "statistics-probability-2", "statistics-probability-3", "statistics-probability-4"]
    # an answer about overfitting to a behavioral question answers another question entirely
    story = pack.neighbours(pack.question("behavioral-1"))
    assert {n.id for n in story} == {x.id for x in pack.questions
                                     if x.id != "behavioral-1" and x.kind != "take_home"}
    assert all(n.kind != "take_home" for n in pack.neighbours(pack.question("final-3")))
