"""The data-science-interviews pack: regenerated from its CSV it equals the committed file, it
validates, carries its CC BY 4.0 attribution, and nothing in it is specific to Kraken."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT
from interviewer.packs import dsi as dsi_pack

PACK_DIR = PROJECT_ROOT / "knowledge" / "data-science-interviews"
CSV = PACK_DIR / "data_science_interviews_theory.csv"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_regenerating_from_the_csv_gives_the_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "pack.yaml"
    assert dsi_pack.main([str(CSV), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (PACK_DIR / "pack.yaml").read_text(encoding="utf-8")


def test_source_names_the_file_in_the_pack_folder_with_its_hash(pack: Pack) -> None:
    src = PACK_DIR / pack.source.file
    assert src.is_file()
    assert hashlib.sha256(src.read_bytes()).hexdigest() == pack.source.sha256
    assert pack.source.license == "CC BY 4.0"
    assert pack.source.url and "alexeygrigorev/data-science-interviews" in pack.source.url
    assert (PACK_DIR / "LICENSE").read_text(encoding="utf-8").startswith("Attribution 4.0")


def test_attribution_is_on_the_pack_and_in_the_file_header(pack: Pack) -> None:
    assert pack.attribution and "CC BY 4.0" in pack.attribution
    assert "Alexey Grigorev" in pack.attribution
    assert pack.source.attribution == pack.attribution
    head = (PACK_DIR / "pack.yaml").read_text(encoding="utf-8").splitlines()[:3]
    assert any("Alexey Grigorev" in line for line in head)


def test_every_row_becomes_one_question_in_order(pack: Pack, rows: list[dict[str, str]]) -> None:
    assert [q.id for q in pack.questions] == [r["id"] for r in rows]
    assert all(re.fullmatch(r"dsi-theory-\d{3}", q.id) for q in pack.questions)
    for q, r in zip(pack.questions, rows, strict=True):
        assert q.question == r["question"].replace("\xa0", " ").strip()
        assert q.section == q.topic == r["section"].replace("\xa0", " ").strip()
        assert q.difficulty == r["difficulty"]
        assert q.provenance == "source"


def test_stages_follow_difficulty(pack: Pack) -> None:
    assert [s.id for s in pack.stages_in_order()] == ["theory-screen", "technical-deep-dive"]
    for q in pack.questions:
        expected = "theory-screen" if q.difficulty == "easy" else "technical-deep-dive"
        assert q.stages == [expected]
    assert pack.stage("technical").id == "technical-deep-dive"
    assert pack.stage("screen").id == "theory-screen"


def test_topics_are_the_sections(pack: Pack) -> None:
    assert {t.name for t in pack.topics} == {q.section for q in pack.questions}
    assert len(pack.topics) == 19


def test_key_points_and_follow_ups_are_short_and_local(pack: Pack) -> None:
    by_text = {q.question: q for q in pack.questions}
    for q in pack.questions:
        assert 1 <= len(q.key_points) <= 6
        assert all(3 <= len(k) <= 170 for k in q.key_points)
        assert q.question not in q.follow_ups
        for f in q.follow_ups:
            assert by_text[f].section == q.section


def test_nothing_points_outside_or_names_kraken(pack: Pack) -> None:
    text = (PACK_DIR / "pack.yaml").read_text(encoding="utf-8")
    assert "kraken" not in text.lower()
    for q in pack.questions:
        assert "<img" not in q.example_answer
        assert not re.search(r"\]\(https?://", q.example_answer)
    assert pack.company == "Generic ML/DS interview"


def test_clean_markdown_keeps_text_and_formulas() -> None:
    src = (
        'see [this video](https://www.youtube.com/watch?v=x) and ![a plot](https://x/y.png)\n'
        'cost <img src="https://render.githubusercontent.com/render/math?math=a%2Bb"> '
        "is <strong>big</strong>\n\n\n\nend"
    )
    assert dsi_pack.clean_markdown(src) == (
        "see this video and (a plot)\ncost $a+b$ is **big**\n\nend"
    )


def test_key_points_prefer_bullets_then_sentences() -> None:
    bullets = "Intro sentence. More.\n\n- *First* item\n- Second item\n- (image)\n"
    assert dsi_pack.key_points(bullets) == ["Intro sentence.", "First item", "Second item"]
    prose = "One thing. Two things! Code:\n\n```\nx = 1\n```\n" + " ".join(
        f"Sentence {i} here." for i in range(10)
    )
    points = dsi_pack.key_points(prose)
    assert points[:3] == ["One thing.", "Two things!", "Code"]
    assert len(points) == 6
    assert all("x = 1" not in p for p in points)


def test_long_points_are_cut_at_a_boundary() -> None:
    long = "word " * 30 + ", and then " + "more " * 30
    short = dsi_pack._shorten(long.strip())
    assert short.endswith(" …") and len(short) <= dsi_pack.KEY_POINT_CHARS + 2


def test_missing_csv_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dsi_pack.main([str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_authored_misconceptions_are_merged_from_the_overlay(pack: Pack) -> None:
    overlay = yaml.safe_load((PACK_DIR / dsi_pack.MISCONCEPTIONS_FILE).read_text(encoding="utf-8"))
    with_claims = {q.id: [m.claim for m in q.misconceptions] for q in pack.questions
                   if q.misconceptions}
    assert with_claims == {qid: [m["claim"] for m in ms] for qid, ms in overlay.items()}
    assert all(2 <= len(ms) <= 4 for ms in with_claims.values())
    head = (PACK_DIR / "pack.yaml").read_text(encoding="utf-8").split("\nname:")[0]
    assert "written for the interviewer project" in " ".join(
        line.removeprefix("# ") for line in head.splitlines())


def test_an_overlay_naming_an_unknown_question_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "misconceptions.yaml"
    bad.write_text("dsi-theory-999:\n  - claim: Accuracy is always the right metric.\n"
                   "    correction: It misleads on imbalanced data; use recall or PR-AUC.\n",
                   encoding="utf-8")
    assert dsi_pack.main([str(CSV), "--misconceptions", str(bad)]) == 2
    assert "no such question: dsi-theory-999" in capsys.readouterr().err


def test_a_malformed_overlay_is_refused_with_its_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "misconceptions.yaml"
    bad.write_text("dsi-theory-004:\n  - claim: ''\n", encoding="utf-8")
    assert dsi_pack.main([str(CSV), "--misconceptions", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
